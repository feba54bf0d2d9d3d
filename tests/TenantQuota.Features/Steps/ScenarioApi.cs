using TenantQuota.Testing;

namespace TenantQuota.Features.Steps;

/// <summary>
/// What one scenario knows: the API host, its tenants, and the answers it got. Reqnroll creates one per
/// scenario and injects it into every step class that asks for it.
/// </summary>
public sealed class ScenarioApi(ApiHost host)
{
    public ApiHost Host { get; } = host;
    public string? Tenant { get; set; }
    public string? OtherTenant { get; set; }
    public ApiAnswer? Last { get; set; }
    public List<ApiAnswer> Answers { get; } = [];

    public string RequireTenant => Tenant ?? throw new InvalidOperationException("The scenario has no tenant yet (Given a tenant on the … tier).");

    public HttpClient Backend(string? tenant = null) =>
        Host.Client(TestTokens.For(tenant ?? RequireTenant, "quota.check", "quota.consume"));

    public HttpClient PlatformAdmin() => Host.Client(TestTokens.For(null, "platform.admin"));

    public ApiAnswer Record(ApiAnswer answer)
    {
        Last = answer;
        Answers.Add(answer);
        return answer;
    }

    public ApiAnswer RequireLast => Last ?? throw new InvalidOperationException("No request was made yet.");
}
