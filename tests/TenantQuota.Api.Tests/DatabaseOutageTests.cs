using Npgsql;
using TenantQuota.Testing;

namespace TenantQuota.Api.Tests;

/// <summary>
/// The database going away is a transient outage, told apart from a bug: 503 with Retry-After and
/// its own problem type; nothing is lost or double counted when the client retries afterwards.
/// </summary>
public sealed class DatabaseOutageTests : IAsyncLifetime
{
    private readonly TcpProxy _proxy;
    private readonly ApiHost _host;

    public DatabaseOutageTests()
    {
        var database = new NpgsqlConnectionStringBuilder(TestDatabase.ConnectionString);
        _proxy = new TcpProxy(database.Host!, database.Port);
        database.Host = "127.0.0.1";
        database.Port = _proxy.Port;
        database.Timeout = 3;
        _host = new ApiHost(new Dictionary<string, string?> { ["ConnectionStrings:TenantQuota"] = database.ConnectionString });
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _proxy.DisposeAsync();
    }

    [Fact]
    public async Task Answers_503_with_retry_after_during_an_outage_and_counts_a_retried_consume_once_after_it()
    {
        var tenant = await _host.CreateTenantAsync("free");
        var client = _host.Client(TestTokens.For(tenant, "quota.check", "quota.consume"));
        var consume = new { subjectId = "u", operationClass = "summaries", quantity = 1, idempotencyKey = "during-outage" };
        Assert.Equal(200, (await client.ConsumeAsync(consume with { idempotencyKey = "before" })).Status);

        _proxy.Cut();
        var answers = new[]
        {
            await client.CheckAsync(new { subjectId = "u", operationClass = "summaries" }),
            await client.ConsumeAsync(consume),
            await client.UsageAsync("u"),
        };
        _proxy.Restore();

        Assert.All(answers, answer =>
        {
            Assert.Equal(503, answer.Status);
            Assert.Equal("application/problem+json", answer.ContentType);
            Assert.Equal("https://docs.tenantquota.dev/problems/service-unavailable", (string)answer.Json["type"]!);
            Assert.True(int.Parse(answer.Header("Retry-After")) > 0);
        });
        var retried = await client.ConsumeAsync(consume);
        Assert.Equal((200, true, false, 2L), (retried.Status, retried.Allowed, (bool)retried.Json["duplicate"]!, retried.Used));
        Assert.Equal(2, (long)(await client.UsageAsync("u")).Json["classes"]![0]!["used"]!);
    }

    [Fact]
    public async Task After_the_outage_no_request_gets_a_connection_the_outage_broke()
    {
        var tenant = await _host.CreateTenantAsync("pro");
        var client = _host.Client(TestTokens.For(tenant, "quota.check", "quota.consume"));
        var admin = _host.Client(TestTokens.For(tenant, "tenant.admin"));
        // Requests at once leave idle connections in both pools: the data source's and the identity store's.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(i => client.CheckAsync(new { subjectId = $"u{i}", operationClass = "summaries" })));
        await Task.WhenAll(Enumerable.Range(0, 4).Select(i => admin.SendAsync(HttpMethod.Post, "/v1/tenant/clients", new { name = $"before-{i}", scopes = new[] { "quota.check" } })));

        _proxy.Cut();
        var during = await client.CheckAsync(new { subjectId = "u", operationClass = "summaries" });
        _proxy.Restore();
        var after = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            after.Add((await client.CheckAsync(new { subjectId = $"u{i}", operationClass = "summaries" })).Status);
            after.Add((await admin.SendAsync(HttpMethod.Post, "/v1/tenant/clients", new { name = $"after-{i}", scopes = new[] { "quota.check" } })).Status);
        }

        Assert.Equal(503, during.Status);
        Assert.Equal([200, 201, 200, 201, 200, 201, 200, 201], after);
    }
}
