using Microsoft.AspNetCore.Http.HttpResults;
using TenantQuota.Api.Auth;

namespace TenantQuota.Api.Dashboard;

/// <summary>Pages as Razor components rendered on the server (HTML-encoded by default), in the visitor's language.</summary>
public static class DashboardPages
{
    /// <summary>The visitor's language: ?lang=, the tq_lang cookie, Accept-Language (<see cref="DashboardRules.Language"/>).</summary>
    public static DashboardText Text(HttpContext http) => DashboardText.For(DashboardRules.Language(
        http.Request.Query["lang"].FirstOrDefault(), http.Request.Cookies[DashboardAuth.LanguageCookie], http.Request.Headers.AcceptLanguage.ToString()));

    public static RazorComponentResult Overview(OverviewModel model, int status = StatusCodes.Status200OK) =>
        new RazorComponentResult<OverviewPage>(new Dictionary<string, object?> { ["Model"] = model }) { StatusCode = status };

    public static RazorComponentResult Message(HttpContext http, int status, Func<DashboardText, string> heading, Func<DashboardText, string> body,
        string? link = null, Func<DashboardText, string>? linkText = null, bool refresh = false, string? secret = null, string? secretFor = null)
    {
        var text = Text(http);
        var signedIn = http.User.Identity?.IsAuthenticated == true ? http.User.FindFirst(TenantContext.Claim)?.Value : null;
        return new RazorComponentResult<MessagePage>(new Dictionary<string, object?>
        {
            ["Text"] = text, ["Heading"] = heading(text), ["Body"] = body(text), ["TenantId"] = signedIn, ["LinkHref"] = link,
            ["LinkText"] = (linkText ?? (t => t.BackToDashboard))(text), ["RefreshTo"] = refresh ? link : null, ["Secret"] = secret, ["SecretFor"] = secretFor,
        }) { StatusCode = status };
    }
}
