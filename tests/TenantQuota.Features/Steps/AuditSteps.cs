using Npgsql;
using Reqnroll;
using TenantQuota.Testing;

namespace TenantQuota.Features.Steps;

/// <summary>The tenant's audit log, as its admins read it, and as the database guards it.</summary>
[Binding]
public sealed class AuditSteps(ScenarioApi api)
{
    private PostgresException? _refused;

    private HttpClient Admin => api.Host.Client(TestTokens.For(api.RequireTenant, "tenant.admin"));

    private async Task<System.Text.Json.Nodes.JsonArray> EntriesAsync()
    {
        var answer = await Admin.SendAsync(HttpMethod.Get, "/v1/tenant/audit");
        Assert.Equal(200, answer.Status);
        return answer.Json["items"]!.AsArray();
    }

    [When("the tenant admin creates an API client and revokes it")]
    public async Task CreatesAndRevokesAClient()
    {
        var created = await Admin.SendAsync(HttpMethod.Post, "/v1/tenant/clients", new { name = "Reporting", scopes = new[] { "quota.check" } });
        Assert.Equal(201, created.Status);
        Assert.Equal(204, (await Admin.SendAsync(HttpMethod.Delete, $"/v1/tenant/clients/{created.Json["clientId"]}")).Status);
    }

    [When("someone deletes the tenant's audit entries straight in the database")]
    public async Task SomeoneDeletesEntries()
    {
        await using var command = ApiHost.Database.CreateCommand("DELETE FROM audit_log WHERE tenant_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = api.RequireTenant });
        try { await command.ExecuteNonQueryAsync(); }
        catch (PostgresException e) { _refused = e; }
    }

    [Then("the database refuses because the log is append-only")]
    public void TheDatabaseRefuses() => Assert.Contains("append-only", _refused?.MessageText ?? "(nothing was refused)");

    [Then("the tenant's audit log shows {string} by {string} from tier {string} to {string}")]
    public async Task TheLogShows(string what, string actor, string before, string after)
    {
        var entry = Assert.Single(await EntriesAsync(), e => $"{e!["kind"]} {e["action"]}" == what)!;
        Assert.Equal((actor, before, after), ((string)entry["actor"]!, (string)entry["before"]!["tier"]!, (string)entry["after"]!["tier"]!));
    }

    [Then("the tenant's audit log lists {string}, newest first")]
    public async Task TheLogLists(string list) =>
        Assert.Equal(list, string.Join(", ", (await EntriesAsync()).Select(e => $"{e!["kind"]} {e["action"]}")));
}
