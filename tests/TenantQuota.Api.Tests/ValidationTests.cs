using System.Net.Http.Headers;
using System.Text;
using TenantQuota.Testing;

namespace TenantQuota.Api.Tests;

/// <summary>Every bad input is a clear 4xx problem+json that names the field, and changes nothing.</summary>
public sealed class ValidationTests(ApiHostFixture fixture) : IClassFixture<ApiHostFixture>
{
    private readonly ApiHost _host = fixture.Host;

    public static TheoryData<string, string, string> BadBodies => new()
    {
        // endpoint, raw JSON body, the field the problem must name
        { "check", """{"operationClass":"summaries","quantity":1}""", "subjectId" },
        { "check", """{"subjectId":"","operationClass":"summaries"}""", "subjectId" },
        { "check", $$"""{"subjectId":"{{new string('x', 201)}}","operationClass":"summaries"}""", "subjectId" },
        { "check", """{"subjectId":"a\u0000b","operationClass":"summaries"}""", "subjectId" },
        { "check", """{"subjectId":".","operationClass":"summaries"}""", "subjectId" },
        { "check", """{"subjectId":"..","operationClass":"summaries"}""", "subjectId" },
        { "check", """{"subjectId":"admin\u202Etxt","operationClass":"summaries"}""", "subjectId" },
        { "check", """{"subjectId":"ana\u200F","operationClass":"summaries"}""", "subjectId" },
        { "check", """{"subjectId":"\uFEFFana","operationClass":"summaries"}""", "subjectId" },
        { "check", """{"subjectId":"ana\u2028","operationClass":"summaries"}""", "subjectId" },
        { "check", """{"subjectId":"ana\u00A0lopez","operationClass":"summaries"}""", "subjectId" },
        { "check", """{"subjectId":"ana\uD800","operationClass":"summaries"}""", "subjectId" },
        { "check", $$"""{"subjectId":"{{string.Concat(Enumerable.Repeat("😀", 201))}}","operationClass":"summaries"}""", "subjectId" },
        { "consume", """{"subjectId":"u","operationClass":"summaries","idempotencyKey":"k\u202E1"}""", "idempotencyKey" },
        { "check", """{"subjectId":"u"}""", "operationClass" },
        { "check", """{"subjectId":"u","operationClass":"no_such_class"}""", "operationClass" },
        { "check", """{"subjectId":"u","operationClass":"summaries","quantity":0}""", "quantity" },
        { "check", """{"subjectId":"u","operationClass":"summaries","quantity":-5}""", "quantity" },
        { "check", """{"subjectId":"u","operationClass":"summaries","quantity":1000001}""", "quantity" },
        { "check", """{"subjectId":"u","operationClass":"summaries","quantity":1e30}""", "quantity" },
        { "check", """{"subjectId":"u","operationClass":"summaries","quantity":9223372036854775808}""", "quantity" },
        { "check", """{"subjectId":"u","operationClass":"summaries","quantity":1.5}""", "quantity" },
        { "check", """{"subjectId":"u","operationClass":"summaries","quantity":"3"}""", "quantity" },
        { "check", """{"subjectId":42,"operationClass":"summaries"}""", "subjectId" },
        { "check", """{"subjectId":"   ","operationClass":"summaries"}""", "subjectId" },
        { "check", """{"subjectId":{"id":"u"},"operationClass":"summaries"}""", "subjectId" },
        { "check", """{"subjectId":"u","operationClass":"summaries","quantity":1,"quantity":500}""", "quantity" },
        { "consume", """{"subjectId":"u","operationClass":"summaries","idempotencyKey":"  "}""", "idempotencyKey" },
        { "consume", """{"subjectId":"u","operationClass":"summaries","quantity":1}""", "idempotencyKey" },
        { "consume", """{"subjectId":"u","operationClass":"summaries","idempotencyKey":""}""", "idempotencyKey" },
        { "consume", $$"""{"subjectId":"u","operationClass":"summaries","idempotencyKey":"{{new string('k', 201)}}"}""", "idempotencyKey" },
        { "consume", """{"subjectId":"u","operationClass":"summaries","quantity":0,"idempotencyKey":"k"}""", "quantity" },
        { "consume", """{"subjectId":"u","operationClass":"SUMMARIES","idempotencyKey":"k"}""", "operationClass" },
        { "consume", """{"subjectId":"u","operationClass":"summaries","idempotencyKey":"k",""", "body" },
        { "consume", "[1,2,3]", "body" },
        { "consume", "null", "body" },
        { "consume", "not json at all", "body" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Rejects_bad_input_with_400_naming_the_field_and_records_nothing(string endpoint, string json, string field)
    {
        var tenant = await _host.CreateTenantAsync("free");
        var client = _host.Client(TestTokens.For(tenant, "quota.check", "quota.consume"));

        var answer = await PostRaw(client, $"/v1/entitlements/{endpoint}", json, "application/json");

        Assert.Equal(400, answer.Status);
        Assert.Equal("application/problem+json", answer.ContentType);
        Assert.Equal(400, (int)answer.Json["status"]!);
        Assert.False(string.IsNullOrWhiteSpace((string?)answer.Json["detail"]), "detail must explain");
        Assert.NotNull(answer.Json["errors"]?[field]);
        Assert.Equal(0, await UsageRecordCount(tenant));
    }

    [Fact]
    public async Task Rejects_an_empty_body_with_400()
    {
        var client = _host.Client(TestTokens.For(await _host.CreateTenantAsync("free"), "quota.check"));
        var answer = await PostRaw(client, "/v1/entitlements/check", "", "application/json");

        Assert.Equal(400, answer.Status);
        Assert.Equal("application/problem+json", answer.ContentType);
    }

    [Fact]
    public async Task Rejects_a_non_json_content_type_with_415()
    {
        var client = _host.Client(TestTokens.For(await _host.CreateTenantAsync("free"), "quota.check"));
        var answer = await PostRaw(client, "/v1/entitlements/check", "subjectId=u", "application/x-www-form-urlencoded");

        Assert.Equal(415, answer.Status);
        Assert.Equal("application/problem+json", answer.ContentType);
    }

    [Fact]
    public async Task Rejects_an_oversize_body_with_413_and_records_nothing()
    {
        var tenant = await _host.CreateTenantAsync("free");
        var client = _host.Client(TestTokens.For(tenant, "quota.consume"));
        var padding = new string(' ', 70_000);
        var answer = await PostRaw(client, "/v1/entitlements/consume",
            $$"""{"subjectId":"u","operationClass":"summaries","idempotencyKey":"k"{{padding}}}""", "application/json");

        Assert.Equal(413, answer.Status);
        Assert.Equal("application/problem+json", answer.ContentType);
        Assert.Equal(0, await UsageRecordCount(tenant));
    }

    [Theory]
    [InlineData("/v1/subjects/%20/usage", 400)]
    [InlineData("/v1/no-such-endpoint", 404)]
    public async Task Answers_other_bad_requests_with_problem_json(string path, int status)
    {
        var client = _host.Client(TestTokens.For(await _host.CreateTenantAsync("free"), "quota.check"));
        var answer = await client.SendAsync(HttpMethod.Get, path.Replace("%20", "%01"));

        Assert.Equal(status, answer.Status);
        Assert.Equal("application/problem+json", answer.ContentType);
    }

    [Fact]
    public async Task Answers_a_wrong_method_with_405_problem_json()
    {
        var client = _host.Client(TestTokens.For(await _host.CreateTenantAsync("free"), "quota.check"));
        var answer = await client.SendAsync(HttpMethod.Delete, "/v1/entitlements/check");

        Assert.Equal(405, answer.Status);
        Assert.Equal("application/problem+json", answer.ContentType);
    }

    private static async Task<ApiAnswer> PostRaw(HttpClient client, string path, string body, string contentType)
    {
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return await ApiCalls.ReadAsync(await client.PostAsync(path, content));
    }

    private static async Task<long> UsageRecordCount(string tenant)
    {
        await using var command = ApiHost.Database.CreateCommand("SELECT count(*) FROM usage_records WHERE tenant_id = $1");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = tenant });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
