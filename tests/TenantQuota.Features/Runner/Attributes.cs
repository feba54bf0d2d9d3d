namespace TenantQuota.Features.Runner;

public enum StepKind { Given, When, Then }

/// <summary>Opts a class into assembly-wide discovery (<see cref="BindingRegistry.FromAssembly"/>).</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class BindingAttribute : Attribute;

/// <summary>
/// The expression is a regular expression matched against the whole step text; its capture groups
/// become the method's parameters. Anchor it with ^...$ so Reqnroll also reads it as a regex
/// (rather than a Cucumber expression) once we switch.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public abstract class StepDefinitionAttribute(StepKind kind, string expression) : Attribute
{
    public StepKind Kind { get; } = kind;
    public string Expression { get; } = expression;
}

public sealed class GivenAttribute(string expression) : StepDefinitionAttribute(StepKind.Given, expression);

public sealed class WhenAttribute(string expression) : StepDefinitionAttribute(StepKind.When, expression);

public sealed class ThenAttribute(string expression) : StepDefinitionAttribute(StepKind.Then, expression);

public abstract class HookAttribute : Attribute
{
    /// <summary>Lower runs first; same default as Reqnroll.</summary>
    public int Order { get; set; } = 10000;
}

[AttributeUsage(AttributeTargets.Method)]
public sealed class BeforeScenarioAttribute : HookAttribute;

[AttributeUsage(AttributeTargets.Method)]
public sealed class AfterScenarioAttribute : HookAttribute;
