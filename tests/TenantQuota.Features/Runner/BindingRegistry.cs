using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace TenantQuota.Features.Runner;

internal sealed record StepBinding(StepKind Kind, string Expression, Type BindingType, MethodInfo Method)
{
    // Anchoring here keeps "a tenant" from also matching "a tenant exists" when authors forget ^...$.
    public Regex Regex { get; } = new($"^(?:{Expression})$", RegexOptions.CultureInvariant);

    public override string ToString() => $"{BindingType.Name}.{Method.Name} [{Kind}(@\"{Expression}\")]";
}

internal sealed record HookBinding(Type BindingType, MethodInfo Method, int Order);

/// <summary>The step definitions and hooks a runner may use.</summary>
public sealed class BindingRegistry
{
    private static readonly ConcurrentDictionary<(Assembly, string?), BindingRegistry> AssemblyCache = new();

    private BindingRegistry(IEnumerable<Type> bindingTypes)
    {
        var hooks = new List<(HookAttribute Attribute, HookBinding Binding)>();
        BindingTypes = bindingTypes.Distinct().OrderBy(t => t.FullName, StringComparer.Ordinal).ToList();
        foreach (var type in BindingTypes)
        foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static))
        {
            var steps = method.GetCustomAttributes<StepDefinitionAttribute>().ToList();
            var hook = method.GetCustomAttribute<HookAttribute>();
            if (steps.Count == 0 && hook is null) continue;
            EnsureAwaitable(type, method);
            Steps.AddRange(steps.Select(a => CreateStep(a, type, method)));
            if (hook is not null) hooks.Add((hook, new HookBinding(type, method, hook.Order)));
        }
        // Stable, name-based tie-break so hook order never depends on reflection order.
        var ordered = hooks.OrderBy(h => h.Binding.Order).ThenBy(h => h.Binding.BindingType.FullName, StringComparer.Ordinal).ThenBy(h => h.Binding.Method.Name, StringComparer.Ordinal).ToList();
        BeforeScenario = ordered.Where(h => h.Attribute is BeforeScenarioAttribute).Select(h => h.Binding).ToList();
        AfterScenario = ordered.Where(h => h.Attribute is AfterScenarioAttribute).Select(h => h.Binding).ToList();
    }

    public IReadOnlyList<Type> BindingTypes { get; }

    internal List<StepBinding> Steps { get; } = [];
    internal IReadOnlyList<HookBinding> BeforeScenario { get; }
    internal IReadOnlyList<HookBinding> AfterScenario { get; }

    /// <summary>
    /// Every concrete [Binding] class in the assembly, optionally only below a namespace.
    /// Classes without [Binding] are never picked up here, which is how the runner's own tests keep
    /// their bindings out of the product run.
    /// </summary>
    public static BindingRegistry FromAssembly(Assembly assembly, string? namespacePrefix = null) =>
        AssemblyCache.GetOrAdd((assembly, namespacePrefix), key => new BindingRegistry(
            key.Item1.GetTypes().Where(t =>
                t is { IsClass: true, IsAbstract: false } &&
                t.IsDefined(typeof(BindingAttribute), inherit: false) &&
                (key.Item2 is null || (t.Namespace ?? "").StartsWith(key.Item2, StringComparison.Ordinal)))));

    /// <summary>Exactly these classes, with or without [Binding].</summary>
    public static BindingRegistry FromTypes(params Type[] bindingTypes) => new(bindingTypes);

    private static StepBinding CreateStep(StepDefinitionAttribute attribute, Type type, MethodInfo method)
    {
        try
        {
            return new StepBinding(attribute.Kind, attribute.Expression, type, method);
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"{type.Name}.{method.Name} has an invalid step regex: {e.Message}", e);
        }
    }

    private static void EnsureAwaitable(Type type, MethodInfo method)
    {
        // async void would let the step "finish" before its work does and lose its exceptions.
        var asyncVoid = method.ReturnType == typeof(void) && method.IsDefined(typeof(AsyncStateMachineAttribute));
        if (asyncVoid || (method.ReturnType != typeof(void) && !typeof(Task).IsAssignableFrom(method.ReturnType)))
            throw new InvalidOperationException($"{type.Name}.{method.Name} must return void or Task (async void is not allowed).");
    }
}
