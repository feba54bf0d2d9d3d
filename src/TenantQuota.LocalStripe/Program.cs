namespace TenantQuota.LocalStripe;

/// <summary>
/// LocalStripe's entry point: <c>dotnet run --project src/TenantQuota.LocalStripe</c> listens on
/// http://127.0.0.1:12111. Namespaced, so that a test project can reference it beside other hosts.
/// </summary>
public sealed class LocalStripeProgram
{
    public static async Task Main(string[] args) => await LocalStripeHost.Build(args).RunAsync();
}
