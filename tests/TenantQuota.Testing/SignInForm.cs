using System.Net;
using System.Text.RegularExpressions;

namespace TenantQuota.Testing;

/// <summary>The identity host's sign-in form, filled in as a browser does: its hidden fields (antiforgery token, return URL) kept.</summary>
public static partial class SignInForm
{
    public static async Task<HttpResponseMessage> SubmitAsync(HttpClient browser, HttpResponseMessage page, string email, string password)
    {
        var html = await page.Content.ReadAsStringAsync();
        if (page.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"The sign-in page answered {(int)page.StatusCode}: {html}");
        var fields = HiddenInput().Matches(html).ToDictionary(m => WebUtility.HtmlDecode(m.Groups[1].Value), m => WebUtility.HtmlDecode(m.Groups[2].Value));
        fields["email"] = email;
        fields["password"] = password;
        return await browser.PostAsync(new Uri(page.RequestMessage!.RequestUri!, FormAction().Match(html).Groups[1].Value), new FormUrlEncodedContent(fields));
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\">")]
    private static partial Regex HiddenInput();

    [GeneratedRegex("<form method=\"post\" action=\"([^\"]+)\">")]
    private static partial Regex FormAction();
}
