namespace TenantQuota.Identity;

/// <summary>
/// The identity host's entry point. Namespaced rather than top-level so that a test project can
/// host it in-process beside the API, whose <c>Program</c> is in the global namespace.
/// </summary>
public sealed class IdentityProgram
{
    public static async Task Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddIdentityHost();

        var app = builder.Build();
        app.MapIdentityHost();
        await app.RunAsync();
    }
}
