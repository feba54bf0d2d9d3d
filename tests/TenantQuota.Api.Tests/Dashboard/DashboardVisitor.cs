using System.Net;
using TenantQuota.Testing;

namespace TenantQuota.Api.Tests.Dashboard;

public sealed class DashboardStackFixture : IAsyncLifetime
{
    public DashboardStack Stack { get; private set; } = null!;

    public async Task InitializeAsync() => Stack = await DashboardStack.StartAsync();

    public async Task DisposeAsync() => await Stack.DisposeAsync();
}

/// <summary>A browser made of an HttpClient: its own cookies, redirects followed by hand so each hop can be looked at.</summary>
public sealed class DashboardVisitor(DashboardStack stack) : IDisposable
{
    public CookieContainer Cookies { get; } = new();
    private HttpClient? _browser;

    public HttpClient Browser => _browser ??= new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = Cookies });

    public Uri Dashboard => new(stack.Api.Address, "/dashboard");

    /// <summary>The whole code flow: /dashboard → the issuer's /authorize → its sign-in form → /authorize → /dashboard/callback.</summary>
    public async Task<HttpResponseMessage> SignInAsync(string email, string password)
    {
        var toIssuer = await Browser.GetAsync(Dashboard);
        var toSignIn = await FollowAsync(toIssuer);
        var signInPage = await FollowAsync(toSignIn);
        var signedIn = await SignInForm.SubmitAsync(Browser, signInPage, email, password);
        var toCallback = await FollowAsync(await FollowAsync(signedIn));
        if (toCallback.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"The callback answered {(int)toCallback.StatusCode}: {await toCallback.Content.ReadAsStringAsync()}");
        return toCallback;
    }

    public async Task<HttpResponseMessage> FollowAsync(HttpResponseMessage redirect)
    {
        if ((int)redirect.StatusCode is not (302 or 303))
            throw new InvalidOperationException($"Expected a redirect from {redirect.RequestMessage!.RequestUri}, got {(int)redirect.StatusCode}: {await redirect.Content.ReadAsStringAsync()}");
        return await Browser.GetAsync(new Uri(redirect.RequestMessage!.RequestUri!, redirect.Headers.Location!));
    }

    public Task<HttpResponseMessage> GetAsync(string path) => Browser.GetAsync(new Uri(stack.Api.Address, path));

    /// <summary>A form post as a page of the dashboard sends it (Origin: the API's own), or with the origin given (null: none).</summary>
    public Task<HttpResponseMessage> PostFormAsync(string path, IEnumerable<KeyValuePair<string, string>> fields, string? origin = "self")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(stack.Api.Address, path)) { Content = new FormUrlEncodedContent(fields) };
        if (origin is not null) request.Headers.Add("Origin", origin == "self" ? stack.Api.Address.GetLeftPart(UriPartial.Authority) : origin);
        return Browser.SendAsync(request);
    }

    /// <summary>Puts an access token into the dashboard's cookie, as if the callback had: to show what the dashboard does with it.</summary>
    public void UseToken(string token) => Cookies.Add(new Cookie("tq_dashboard", token, "/dashboard", stack.Api.Address.Host));

    public string? Cookie(string name) => Cookies.GetCookies(Dashboard).FirstOrDefault(c => c.Name == name)?.Value;

    public void Dispose() => _browser?.Dispose();
}
