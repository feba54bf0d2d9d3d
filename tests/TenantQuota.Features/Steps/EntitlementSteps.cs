using Reqnroll;
using TenantQuota.Testing;

namespace TenantQuota.Features.Steps;

/// <summary>Back ends checking and consuming quota, and what the answers and the usage say.</summary>
[Binding]
public sealed class EntitlementSteps(ScenarioApi api)
{
    [Given("{string} has consumed {long} {string}")]
    public async Task HasConsumed(string subject, long quantity, string operationClass)
    {
        if (quantity == 0) return;
        var answer = await api.Backend().ConsumeAsync(Body(subject, operationClass, quantity, NewKey()));
        Assert.True(answer.Status == 200 && answer.Allowed, $"setting up usage failed: {answer.Status} {answer.Body}");
    }

    [When("the back end consumes {long} {string} for {string}")]
    public async Task Consumes(long quantity, string operationClass, string subject) =>
        api.Record(await api.Backend().ConsumeAsync(Body(subject, operationClass, quantity, NewKey())));

    [When("the back end consumes {long} {string} for {string} in language {string}")]
    public async Task ConsumesInLanguage(long quantity, string operationClass, string subject, string acceptLanguage) =>
        api.Record(await api.Backend().ConsumeAsync(Body(subject, operationClass, quantity, NewKey()), acceptLanguage));

    [When("the back end consumes {long} {string} for {string} with key {string}")]
    public async Task ConsumesWithKey(long quantity, string operationClass, string subject, string key) =>
        api.Record(await api.Backend().ConsumeAsync(Body(subject, operationClass, quantity, key)));

    [When("the other tenant's back end consumes {long} {string} for {string} with key {string}")]
    public async Task OtherTenantConsumesWithKey(long quantity, string operationClass, string subject, string key) =>
        api.Record(await api.Backend(api.OtherTenant).ConsumeAsync(Body(subject, operationClass, quantity, key)));

    [When("the back end consumes {long} {string} for {string} naming the other tenant in the body")]
    public async Task ConsumesNamingAnotherTenant(long quantity, string operationClass, string subject) =>
        api.Record(await api.Backend().ConsumeAsync(new
        {
            subjectId = subject, operationClass, quantity, idempotencyKey = NewKey(), tenantId = api.OtherTenant, tenant_id = api.OtherTenant,
        }));

    [When("the back end checks {long} {string} for {string}")]
    public async Task Checks(long quantity, string operationClass, string subject) =>
        api.Record(await api.Backend().CheckAsync(new { subjectId = subject, operationClass, quantity }));

    [When("the back end checks {long} {string} for {string} in language {string}")]
    public async Task ChecksInLanguage(long quantity, string operationClass, string subject, string acceptLanguage) =>
        api.Record(await api.Backend().CheckAsync(new { subjectId = subject, operationClass, quantity }, acceptLanguage));

    [When("the other tenant's back end checks {long} {string} for {string}")]
    public async Task OtherTenantChecks(long quantity, string operationClass, string subject) =>
        api.Record(await api.Backend(api.OtherTenant).CheckAsync(new { subjectId = subject, operationClass, quantity }));

    [When("a back end of an unknown tenant checks {long} {string} for {string}")]
    public async Task UnknownTenantChecks(long quantity, string operationClass, string subject) =>
        api.Record(await api.Backend($"unknown-{Guid.NewGuid():N}"[..20]).CheckAsync(new { subjectId = subject, operationClass, quantity }));

    [When("{string} consumes {string} {int} times")]
    public async Task ConsumesRepeatedly(string subject, string operationClass, int times)
    {
        for (var i = 0; i < times; i++) api.Record(await api.Backend().ConsumeAsync(Body(subject, operationClass, 1, NewKey())));
    }

    [When("the back end sends the consume body {}")]
    public async Task SendsRawConsumeBody(string json)
    {
        using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        api.Record(await ApiCalls.ReadAsync(await api.Backend().PostAsync("/v1/entitlements/consume", content)));
    }

    [Then("the decision is {string}")]
    public void TheDecisionIs(string decision) => Assert.Equal(decision, api.RequireLast.Decision);

    /// <summary>The {yes-no} parameter type: "yes" or "no" and nothing else, as a bool.</summary>
    [StepArgumentTransformation("(yes|no)", Name = "yes-no")]
    public static bool YesOrNo(string answer) => answer == "yes";

    [Then("the request is allowed: {yes-no}")]
    public void TheRequestIsAllowed(bool allowed) => Assert.Equal(allowed, api.RequireLast.Allowed);

    [Then("used is {long} and remaining is {long}")]
    public void UsedAndRemaining(long used, long remaining) =>
        Assert.Equal((used, remaining), (api.RequireLast.Used, (long)api.RequireLast.Json["remaining"]!));

    [Then("the state is {string}")]
    public void TheStateIs(string state) => Assert.Equal(state, (string)api.RequireLast.Json["state"]!);

    [Then("the billable quantity is {long}")]
    public void TheBillableQuantityIs(long billable) => Assert.Equal(billable, (long)api.RequireLast.Json["billableQuantity"]!);

    [Then("the fallback class is {string}")]
    public void TheFallbackClassIs(string fallback) => Assert.Equal(fallback, (string?)api.RequireLast.Json["fallbackClass"]);

    [Then("the quota resets at {string}")]
    public void TheQuotaResetsAt(string instant)
    {
        Assert.Equal(instant, (string)api.RequireLast.Json["resetsAt"]!);
        Assert.Equal(instant, api.RequireLast.Header("X-Quota-Reset"));
    }

    [Then("the answer is a duplicate")]
    public void TheAnswerIsADuplicate() => Assert.True((bool)api.RequireLast.Json["duplicate"]!);

    [Then("the answer is not a duplicate")]
    public void TheAnswerIsNotADuplicate() =>
        Assert.Equal((200, false, true), (api.RequireLast.Status, (bool)api.RequireLast.Json["duplicate"]!, (bool)api.RequireLast.Json["recorded"]!));

    [Then("nothing more is recorded for {string} in {string}")]
    public async Task NothingMoreIsRecorded(string subject, string operationClass)
    {
        Assert.False((bool)api.RequireLast.Json["recorded"]!);
        Assert.Equal(api.RequireLast.Used, await UsedNow(api.RequireTenant, subject, operationClass));
    }

    [Then("{string} has used {long} {string}")]
    public async Task HasUsed(string subject, long used, string operationClass) =>
        Assert.Equal(used, await UsedNow(api.RequireTenant, subject, operationClass));

    [Then("{string} of the other tenant has used {long} {string}")]
    public async Task OtherTenantSubjectHasUsed(string subject, long used, string operationClass) =>
        Assert.Equal(used, await UsedNow(api.OtherTenant!, subject, operationClass));

    [Then("nothing is recorded for the tenant")]
    public async Task NothingIsRecordedForTheTenant()
    {
        await using var command = ApiHost.Database.CreateCommand("SELECT count(*) FROM usage_records WHERE tenant_id = $1");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = api.RequireTenant });
        Assert.Equal(0L, (long)(await command.ExecuteScalarAsync())!);
    }

    private async Task<long> UsedNow(string tenant, string subject, string operationClass)
    {
        var usage = await api.Backend(tenant).UsageAsync(subject);
        return (long)usage.Json["classes"]!.AsArray().Single(c => (string)c!["operationClass"]! == operationClass)!["used"]!;
    }

    private static object Body(string subject, string operationClass, long quantity, string key) =>
        new { subjectId = subject, operationClass, quantity, idempotencyKey = key };

    private static string NewKey() => Guid.NewGuid().ToString("N");
}
