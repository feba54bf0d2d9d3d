using TenantQuota.Testing;

namespace TenantQuota.Api.Tests.Identity;

/// <summary>
/// API credentials as a product feature: created through the API, used at the identity provider,
/// accepted by the API, revoked through the API. Real tokens from the real identity host throughout.
/// </summary>
public sealed class ApiClientsTests(IdentityStackFixture stack) : IClassFixture<IdentityStackFixture>
{
    private readonly IdentityServerHost _identity = stack.Identity;
    private readonly ApiHost _api = stack.Api;

    private async Task<HttpClient> PlatformAdmin() => _api.Client(await _identity.TokenAsync("platform-admin", "platform-admin-secret"));
    private async Task<HttpClient> AcmeAdmin() => _api.Client(await _identity.TokenAsync("acme-admin", "acme-admin-secret"));
    private async Task<HttpClient> UmbrellaAdmin() => _api.Client(await _identity.TokenAsync("umbrella-admin", "umbrella-admin-secret"));

    [Fact]
    public async Task A_platform_admin_creates_credentials_whose_tokens_act_for_that_tenant()
    {
        var created = await (await PlatformAdmin()).SendAsync(HttpMethod.Post, "/v1/tenants/acme/clients",
            new { name = "billing-backend", scopes = new[] { "quota.check", "quota.consume" } });
        var clientId = (string)created.Json["clientId"]!;
        var token = await _identity.TokenAsync(clientId, (string)created.Json["clientSecret"]!);
        var consume = await _api.Client(token).ConsumeAsync(new { subjectId = "u", operationClass = "summaries", quantity = 1, idempotencyKey = Guid.NewGuid().ToString() });

        Assert.Equal(201, created.Status);
        Assert.Equal(["quota.check", "quota.consume"], created.Json["scopes"]!.AsArray().Select(s => (string)s!));
        Assert.EndsWith("Z", (string)created.Json["createdAt"]!);
        Assert.Equal("acme", (string)Jwt.Payload(token)["tenant_id"]!);
        Assert.Equal(["quota.check", "quota.consume"], Jwt.Scopes(token));
        Assert.Equal(200, consume.Status);
    }

    [Fact]
    public async Task A_tenant_admin_creates_credentials_for_their_own_tenant()
    {
        var created = await (await AcmeAdmin()).SendAsync(HttpMethod.Post, "/v1/tenant/clients",
            new { name = "reports", scopes = new[] { "quota.check", "tenant.admin" } });
        var token = await _identity.TokenAsync((string)created.Json["clientId"]!, (string)created.Json["clientSecret"]!);
        var check = await _api.Client(token).CheckAsync(new { subjectId = "u", operationClass = "summaries", quantity = 1 });

        Assert.Equal(201, created.Status);
        Assert.Equal("acme", (string)Jwt.Payload(token)["tenant_id"]!);
        Assert.Equal(["quota.check", "tenant.admin"], Jwt.Scopes(token));
        Assert.Equal((200, "free"), (check.Status, (string)check.Json["tier"]!));
    }

    [Fact]
    public async Task Lists_the_tenants_clients_without_secrets_and_without_other_tenants_clients()
    {
        var acme = await (await AcmeAdmin()).SendAsync(HttpMethod.Post, "/v1/tenant/clients", new { name = "listed", scopes = new[] { "quota.check" } });
        var umbrella = await (await UmbrellaAdmin()).SendAsync(HttpMethod.Post, "/v1/tenant/clients", new { name = "elsewhere", scopes = new[] { "quota.check" } });

        var own = await (await AcmeAdmin()).SendAsync(HttpMethod.Get, "/v1/tenant/clients");
        var platform = await (await PlatformAdmin()).SendAsync(HttpMethod.Get, "/v1/tenants/acme/clients");

        foreach (var list in new[] { own, platform })
        {
            var items = list.Json["items"]!.AsArray();
            Assert.Equal(200, list.Status);
            var mine = Assert.Single(items, c => (string)c!["clientId"]! == (string)acme.Json["clientId"]!);
            Assert.Equal(("listed", "quota.check", (string)acme.Json["createdAt"]!),
                ((string)mine!["name"]!, (string)mine["scopes"]![0]!, (string)mine["createdAt"]!));
            Assert.DoesNotContain(items, c => (string)c!["clientId"]! == (string)umbrella.Json["clientId"]!);
            Assert.Contains(items, c => (string)c!["clientId"]! == "acme-backend"); // the seeded ones are the tenant's too
            Assert.DoesNotContain("ecret", list.Json.ToJsonString());
        }
    }

    [Fact]
    public async Task A_revoked_client_gets_no_more_tokens()
    {
        var admin = await AcmeAdmin();
        var created = await admin.SendAsync(HttpMethod.Post, "/v1/tenant/clients", new { name = "short-lived", scopes = new[] { "quota.check" } });
        var (clientId, secret) = ((string)created.Json["clientId"]!, (string)created.Json["clientSecret"]!);
        var before = await _identity.RequestTokenAsync(clientId, secret);

        var revoked = await admin.SendAsync(HttpMethod.Delete, $"/v1/tenant/clients/{clientId}");
        var after = await _identity.RequestTokenAsync(clientId, secret);
        var again = await admin.SendAsync(HttpMethod.Delete, $"/v1/tenant/clients/{clientId}");
        var list = await admin.SendAsync(HttpMethod.Get, "/v1/tenant/clients");

        Assert.Equal(200, before.Status);
        Assert.Equal(204, revoked.Status);
        Assert.Equal((401, "invalid_client"), (after.Status, (string)after.Json["error"]!));
        Assert.Equal(404, again.Status);
        Assert.DoesNotContain(list.Json["items"]!.AsArray(), c => (string)c!["clientId"]! == clientId);
    }

    [Fact]
    public async Task A_platform_admin_revokes_a_tenants_client()
    {
        var platform = await PlatformAdmin();
        var created = await platform.SendAsync(HttpMethod.Post, "/v1/tenants/umbrella/clients", new { name = "old", scopes = new[] { "quota.check" } });
        var clientId = (string)created.Json["clientId"]!;

        var wrongTenant = await platform.SendAsync(HttpMethod.Delete, $"/v1/tenants/acme/clients/{clientId}");
        var revoked = await platform.SendAsync(HttpMethod.Delete, $"/v1/tenants/umbrella/clients/{clientId}");

        Assert.Equal((404, 204), (wrongTenant.Status, revoked.Status));
        Assert.Equal(401, (await _identity.RequestTokenAsync(clientId, (string)created.Json["clientSecret"]!)).Status);
    }

    [Fact]
    public async Task A_tenant_admin_can_neither_see_nor_revoke_another_tenants_client()
    {
        var created = await (await AcmeAdmin()).SendAsync(HttpMethod.Post, "/v1/tenant/clients", new { name = "acme-only", scopes = new[] { "quota.check" } });
        var clientId = (string)created.Json["clientId"]!;

        var revoke = await (await UmbrellaAdmin()).SendAsync(HttpMethod.Delete, $"/v1/tenant/clients/{clientId}");
        var list = await (await UmbrellaAdmin()).SendAsync(HttpMethod.Get, "/v1/tenant/clients");

        Assert.Equal((404, "application/problem+json"), (revoke.Status, revoke.ContentType));
        Assert.DoesNotContain(list.Json["items"]!.AsArray(), c => (string)c!["clientId"]! == clientId);
        Assert.Equal(200, (await _identity.RequestTokenAsync(clientId, (string)created.Json["clientSecret"]!)).Status);
    }

    [Theory]
    [InlineData("/v1/tenant/clients")]
    [InlineData("/v1/tenants/acme/clients")]
    public async Task Never_grants_platform_admin_to_a_tenants_client(string path)
    {
        var caller = path.StartsWith("/v1/tenants/") ? await PlatformAdmin() : await AcmeAdmin();
        var answer = await caller.SendAsync(HttpMethod.Post, path, new { name = "escalate", scopes = new[] { "quota.check", "platform.admin" } });

        Assert.Equal((400, "application/problem+json"), (answer.Status, answer.ContentType));
        Assert.Contains("platform.admin", (string)answer.Json["errors"]!["scopes"]![0]!);
    }

    public static TheoryData<string?, string[]?, string> BadRequests => new()
    {
        { "", ["quota.check"], "name" },
        { "   ", ["quota.check"], "name" },
        { "tab\there", ["quota.check"], "name" },
        { new string('x', 101), ["quota.check"], "name" },
        { null, ["quota.check"], "name" },
        { "ok", [], "scopes" },
        { "ok", null, "scopes" },
        { "ok", ["quota.check", "quota.check"], "scopes" },
        { "ok", ["quota.read"], "scopes" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Rejects_a_bad_name_or_scopes_with_400(string? name, string[]? scopes, string field)
    {
        var answer = await (await AcmeAdmin()).SendAsync(HttpMethod.Post, "/v1/tenant/clients", new { name, scopes });

        Assert.Equal((400, "application/problem+json"), (answer.Status, answer.ContentType));
        Assert.NotNull(answer.Json["errors"]![field]);
    }

    [Fact]
    public async Task Answers_404_for_an_unknown_tenant_on_the_platform_path()
    {
        var platform = await PlatformAdmin();
        var create = await platform.SendAsync(HttpMethod.Post, "/v1/tenants/no-such-tenant/clients", new { name = "x", scopes = new[] { "quota.check" } });
        var list = await platform.SendAsync(HttpMethod.Get, "/v1/tenants/no-such-tenant/clients");

        Assert.Equal((404, 404), (create.Status, list.Status));
    }

    [Fact]
    public async Task Requires_the_matching_admin_scope()
    {
        var backend = _api.Client(await _identity.TokenAsync("acme-backend", "acme-dev-secret"));
        var tenantAdmin = await AcmeAdmin();

        Assert.Equal(403, (await backend.SendAsync(HttpMethod.Get, "/v1/tenant/clients")).Status);
        Assert.Equal(403, (await tenantAdmin.SendAsync(HttpMethod.Get, "/v1/tenants/acme/clients")).Status);
    }
}

/// <summary>A tenant admin token for a tenant the platform never created manages nothing.</summary>
public sealed class ApiClientsUnprovisionedTenantTests(ApiHostFixture fixture) : IClassFixture<ApiHostFixture>
{
    [Fact]
    public async Task Refuses_a_token_for_a_tenant_that_was_never_provisioned_with_403()
    {
        var admin = fixture.Host.Client(TestTokens.For("never-created-" + Guid.NewGuid().ToString("N")[..8], "tenant.admin"));

        var create = await admin.SendAsync(HttpMethod.Post, "/v1/tenant/clients", new { name = "ghost", scopes = new[] { "quota.check" } });
        var list = await admin.SendAsync(HttpMethod.Get, "/v1/tenant/clients");

        Assert.Equal((403, 403), (create.Status, list.Status));
        Assert.EndsWith("/tenant-not-provisioned", (string)create.Json["type"]!);
    }
}
