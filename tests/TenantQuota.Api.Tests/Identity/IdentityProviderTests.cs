using System.Text.RegularExpressions;
using TenantQuota.Testing;

namespace TenantQuota.Api.Tests.Identity;

/// <summary>
/// The bundled identity host issues client-credentials tokens and the API validates them through
/// discovery and JWKS over HTTP, exactly as in scripts/start.sh.
/// </summary>
public sealed class IdentityProviderTests(IdentityStackFixture stack) : IClassFixture<IdentityStackFixture>
{
    private readonly IdentityServerHost _identity = stack.Identity;
    private readonly ApiHost _api = stack.Api;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Issues_a_token_the_API_accepts_to_a_client_authenticating_with_client_secret_basic_or_post(bool secretInForm)
    {
        var answer = await _identity.RequestTokenAsync("acme-backend", "acme-dev-secret", secretInForm: secretInForm);
        var token = (string)answer.Json["access_token"]!;

        var check = await _api.Client(token).CheckAsync(new { subjectId = "e2e-user", operationClass = "summaries", quantity = 1 });

        Assert.Equal(200, answer.Status);
        Assert.Equal((200, "free"), (check.Status, (string)check.Json["tier"]!));
    }

    [Fact]
    public async Task Grants_all_of_the_clients_scopes_when_the_request_names_none()
    {
        var token = await _identity.TokenAsync("acme-admin", "acme-admin-secret");
        Assert.Equal(["quota.check", "tenant.admin"], Jwt.Scopes(token));
    }

    [Fact]
    public async Task Grants_exactly_the_scopes_asked_for_and_the_API_enforces_them()
    {
        var token = await _identity.TokenAsync("acme-backend", "acme-dev-secret", scope: "quota.check");
        var backend = _api.Client(token);

        var check = await backend.CheckAsync(new { subjectId = "u", operationClass = "summaries", quantity = 1 });
        var consume = await backend.ConsumeAsync(new { subjectId = "u", operationClass = "summaries", quantity = 1, idempotencyKey = Guid.NewGuid().ToString() });

        Assert.Equal(["quota.check"], Jwt.Scopes(token));
        Assert.Equal((200, 403), (check.Status, consume.Status));
    }

    [Theory]
    [InlineData("quota.consume")]              // acme-admin does not have it
    [InlineData("quota.check platform.admin")] // one of two refused refuses the request
    [InlineData("no.such.scope")]
    public async Task Refuses_a_scope_the_client_does_not_have_with_invalid_scope(string scope)
    {
        var answer = await _identity.RequestTokenAsync("acme-admin", "acme-admin-secret", scope);

        Assert.Equal((400, "invalid_scope"), (answer.Status, (string)answer.Json["error"]!));
        Assert.Null(answer.Json["access_token"]);
    }

    [Fact]
    public async Task Refuses_a_wrong_secret_with_invalid_client()
    {
        var answer = await _identity.RequestTokenAsync("acme-backend", "not-the-secret");
        Assert.Equal((401, "invalid_client"), (answer.Status, (string)answer.Json["error"]!));
    }

    [Fact]
    public async Task Issues_RFC_9068_access_tokens_for_the_API_with_the_clients_tenant_for_five_minutes()
    {
        var token = await _identity.TokenAsync("umbrella-backend", "umbrella-dev-secret");
        var header = Jwt.Header(token);
        var claims = Jwt.Payload(token);

        Assert.Equal(("at+jwt", "RS256"), ((string)header["typ"]!, (string)header["alg"]!));
        Assert.False(string.IsNullOrEmpty((string?)header["kid"]));
        Assert.Equal(_identity.Issuer, ((string)claims["iss"]!).TrimEnd('/'));
        Assert.Equal(("tenantquota-api", "umbrella", "umbrella-backend"), ((string)claims["aud"]!, (string)claims["tenant_id"]!, (string)claims["sub"]!));
        Assert.Equal(["quota.check", "quota.consume"], Jwt.Scopes(token));
        Assert.Equal(300, (long)claims["exp"]! - (long)claims["iat"]!);
    }

    [Fact]
    public async Task Gives_a_platform_clients_token_no_tenant()
    {
        var claims = Jwt.Payload(await _identity.TokenAsync("platform-admin", "platform-admin-secret"));
        Assert.Equal("platform.admin", (string)claims["scope"]!);
        Assert.Null(claims["tenant_id"]);
    }

    [Fact]
    public async Task Answers_compact_JSON_that_the_scripts_sed_expression_reads()
    {
        var answer = await _identity.RequestTokenAsync("acme-backend", "acme-dev-secret");
        var raw = await answer.Response.Content.ReadAsStringAsync();

        var extracted = Regex.Match(raw, "^.*\"access_token\":\"([^\"]*)\".*$").Groups[1].Value; // sed 's/.*"access_token":"\([^"]*\)".*/\1/'

        Assert.DoesNotContain('\n', raw);
        Assert.Equal((string)answer.Json["access_token"]!, extracted);
    }

    [Fact]
    public async Task Advertises_the_paths_the_Node_provider_served()
    {
        using var http = new HttpClient { BaseAddress = _identity.Address };
        var discovery = await ApiCalls.ReadAsync(await http.GetAsync(".well-known/openid-configuration"));

        Assert.Equal(200, discovery.Status);
        Assert.Equal($"{_identity.Issuer}/token", (string)discovery.Json["token_endpoint"]!);
        Assert.Equal($"{_identity.Issuer}/jwks", (string)discovery.Json["jwks_uri"]!);
        Assert.Contains("client_secret_basic", discovery.Json["token_endpoint_auth_methods_supported"]!.AsArray().Select(m => (string)m!));
        Assert.Contains("client_secret_post", discovery.Json["token_endpoint_auth_methods_supported"]!.AsArray().Select(m => (string)m!));
    }
}
