using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using TenantQuota.Testing;

namespace TenantQuota.Api.Tests.Identity;

/// <summary>
/// The dashboard's sign-in, end to end as a browser would do it: authorization code with PKCE, the
/// server-rendered sign-in form (with its antiforgery token), the code exchanged for an access token
/// the API accepts.
/// </summary>
public sealed class DashboardSignInTests(IdentityStackFixture stack) : IClassFixture<IdentityStackFixture>, IDisposable
{
    private const string RedirectUri = "http://127.0.0.1:5080/dashboard/callback"; // the default registered one
    private readonly IdentityServerHost _identity = stack.Identity;
    private readonly HttpClient _browser = new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() })
        { BaseAddress = stack.Identity.Address };
    private readonly string _verifier = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    [Fact]
    public async Task Signs_a_tenant_admin_in_with_code_and_PKCE_and_the_API_accepts_the_token()
    {
        var signInPage = await FollowRedirect(await _browser.GetAsync(AuthorizeUrl()));
        var signedIn = await SubmitSignIn(signInPage, "acme-admin@example.com", "acme-admin-password");
        var callback = await FollowRedirect(signedIn); // back to /authorize, which now answers with the code
        var query = QueryHelpers.ParseQuery(callback.Headers.Location!.Query);
        var token = await RedeemAsync(query["code"]!, _verifier);

        var claims = Jwt.Payload((string)token.Json["access_token"]!);
        var clients = await stack.Api.Client((string)token.Json["access_token"]!).SendAsync(HttpMethod.Get, "/v1/tenant/clients");

        Assert.Equal(HttpStatusCode.Found, callback.StatusCode);
        Assert.StartsWith(RedirectUri + "?", callback.Headers.Location!.ToString());
        Assert.Equal("xyz", (string?)query["state"]);
        Assert.Equal(200, token.Status);
        Assert.Equal(("acme", "tenantquota-api"), ((string)claims["tenant_id"]!, (string)claims["aud"]!));
        Assert.False(string.IsNullOrEmpty((string?)claims["sub"]));
        Assert.Equal(["openid", "quota.check", "tenant.admin"], Jwt.Scopes((string)token.Json["access_token"]!));
        Assert.Equal(200, clients.Status);
    }

    [Fact]
    public async Task Refuses_a_wrong_password_and_issues_no_code()
    {
        var signInPage = await FollowRedirect(await _browser.GetAsync(AuthorizeUrl()));
        var refused = await SubmitSignIn(signInPage, "acme-admin@example.com", "not-the-password");
        var again = await _browser.GetAsync(AuthorizeUrl());

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("Wrong email or password.", await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Found, again.StatusCode);
        Assert.StartsWith("/account/login", again.Headers.Location!.PathAndQuery); // still not signed in
    }

    [Fact]
    public async Task Refuses_a_sign_in_post_without_the_antiforgery_token()
    {
        var answer = await _browser.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = "acme-admin@example.com", ["password"] = "acme-admin-password", ["returnUrl"] = AuthorizeUrl(),
        }));
        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
    }

    [Fact]
    public async Task Refuses_to_redeem_a_code_without_the_PKCE_verifier_it_was_issued_for()
    {
        var signedIn = await SubmitSignIn(await FollowRedirect(await _browser.GetAsync(AuthorizeUrl())), "acme-admin@example.com", "acme-admin-password");
        var callback = await FollowRedirect(signedIn);
        var code = QueryHelpers.ParseQuery(callback.Headers.Location!.Query)["code"]!;

        var token = await RedeemAsync(code!, Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32)));

        Assert.Equal((400, "invalid_grant"), (token.Status, (string)token.Json["error"]!));
    }

    private string AuthorizeUrl()
    {
        var challenge = Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(_verifier)));
        return QueryHelpers.AddQueryString("/authorize", new Dictionary<string, string?>
        {
            ["client_id"] = "tenantquota-dashboard", ["response_type"] = "code", ["redirect_uri"] = RedirectUri,
            ["scope"] = "openid tenant.admin quota.check", ["state"] = "xyz",
            ["code_challenge"] = challenge, ["code_challenge_method"] = "S256",
        });
    }

    private async Task<HttpResponseMessage> FollowRedirect(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        return await _browser.GetAsync(response.Headers.Location);
    }

    private Task<HttpResponseMessage> SubmitSignIn(HttpResponseMessage page, string email, string password) =>
        SignInForm.SubmitAsync(_browser, page, email, password);

    private async Task<ApiAnswer> RedeemAsync(string code, string verifier) =>
        await ApiCalls.ReadAsync(await _browser.PostAsync("/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = RedirectUri,
            ["client_id"] = "tenantquota-dashboard", ["code_verifier"] = verifier,
        })));

    public void Dispose() => _browser.Dispose();
}
