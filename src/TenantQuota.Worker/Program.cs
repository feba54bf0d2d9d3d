using Spectre.Console;
using TenantQuota.Worker.Cli;
using TenantQuota.Worker.Hosting;

namespace TenantQuota.Worker;

/// <summary>The worker process, or one of its verbs (Cli/). A namespaced entry point, so tests can host it beside the API's Program.</summary>
public static class WorkerProgram
{
    public static async Task<int> Main(string[] args)
    {
        if (WorkerCli.IsCommand(args))
        {
            using var stop = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
            // Piped into a file or a log, a line keeps its Stripe ids whole rather than wrapping at 80 columns.
            if (Console.IsOutputRedirected) AnsiConsole.Console.Profile.Width = 240;
            return await WorkerCli.RunAsync(args, AnsiConsole.Console, cancellationToken: stop.Token);
        }

        var builder = WebApplication.CreateBuilder(args);
        builder.AddTenantQuotaWorker();

        var app = builder.Build();
        await app.PrepareDatabaseAsync();
        app.MapTenantQuotaWorker();
        await app.RunAsync();
        return 0;
    }
}
