using Reqnroll;

namespace TenantQuota.Features.Steps;

/// <summary>Refusals: the RFC 9457 problem answers, whichever endpoint gave them.</summary>
[Binding]
public sealed class ProblemSteps(ScenarioApi api)
{
    [Then("the answer is HTTP {int} problem {string}")]
    public void TheAnswerIsAProblem(int status, string problem)
    {
        var answer = api.RequireLast;
        Assert.Equal(status, answer.Status);
        Assert.Equal("application/problem+json", answer.ContentType);
        Assert.EndsWith("/" + problem, (string)answer.Json["type"]!);
    }

    [Then("the answer is HTTP {int} problem {string} naming {string}")]
    public void TheAnswerIsAProblemNaming(int status, string problem, string field)
    {
        TheAnswerIsAProblem(status, problem);
        Assert.NotNull(api.RequireLast.Json["errors"]?[field]);
    }
}
