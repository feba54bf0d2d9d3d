using System.Globalization;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Npgsql;
using Spectre.Console;
using Stripe;
using TenantQuota.Billing;
using TenantQuota.Billing.Reconciliation;
using TenantQuota.Domain.Matrix;
using TenantQuota.Worker.Hosting;

namespace TenantQuota.Worker.Cli;

/// <summary>
/// The worker binary's verbs, run once and exit, with the worker's configuration (environment, appsettings)
/// and without the bus: <c>catalog sync</c> and <c>reconcile [--days N]</c>. No verb runs the worker.
/// Exit codes: 0 done (reconcile: no drift remains), 1 drift remains or the command failed, 2 usage error.
/// </summary>
public static class WorkerCli
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;

    private const string UsageText = """
        Usage: TenantQuota.Worker [command]

          (no command)           run the worker: outbox dispatcher, meter events, schedules, health
          catalog sync           make Stripe's catalogue (products, prices, meters) match the quota matrix
                                 and the Billing__* prices; prints the Stripe ids and what changed
          reconcile [--days N]   compare our overage with Stripe's meter event summaries per customer, meter
                                 and UTC day for the last N days (1 to 35; default Worker__ReconcileDays, 3),
                                 re-send what Stripe lacks and print the drift; exit 0 when no drift remains

        Configuration as for the worker: ConnectionStrings__TenantQuota, Stripe__SecretKey, Stripe__BaseUrl,
        Billing__*, Quota__MatrixPath, Worker__ReconcileDays, Worker__ReconcileSettleTime.
        """;

    /// <summary>True when the arguments name a verb (or ask for help) rather than the worker's own options such as --urls.</summary>
    public static bool IsCommand(string[] args) => args.Length > 0 && (!args[0].StartsWith('-') || args[0] is "-h" or "--help");

    /// <param name="configure">Adds configuration after the worker's own sources (tests: the database and Stripe to use).</param>
    public static async Task<int> RunAsync(string[] args, IAnsiConsole console, Action<IConfigurationBuilder>? configure = null,
        CancellationToken cancellationToken = default)
    {
        var command = Parse(args);
        switch (command)
        {
            case Help:
                console.WriteLine(UsageText);
                return Ok;
            case Invalid invalid:
                console.MarkupLineInterpolated($"[red]{invalid.Message}[/]");
                console.WriteLine(UsageText);
                return Usage;
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [] });
        // Logs go to stderr, warnings and up: stdout is for the tables.
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.AddFilter<ConsoleLoggerProvider>(null, LogLevel.Warning);
        configure?.Invoke(builder.Configuration);
        builder.Services.AddWorkerBilling();
        using var host = builder.Build();
        var services = host.Services;
        try
        {
            await WorkerHost.PrepareDatabaseAsync(services, builder.Configuration, services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(WorkerCli).FullName!), cancellationToken);
            var worker = services.GetRequiredService<IOptions<WorkerSettings>>().Value;
            if (!services.GetRequiredService<IOptions<StripeSettings>>().Value.Enabled)
            {
                console.MarkupLine("[red]Billing is off: set Stripe__SecretKey (and Stripe__BaseUrl for a local Stripe) to talk to Stripe.[/]");
                return Failed;
            }
            _ = services.GetRequiredService<IOptions<BillingSettings>>().Value; // validated against the matrix, as at the worker's start

            return command switch
            {
                CatalogSyncCommand => await CatalogSyncOutput.RunAsync(services, console, cancellationToken),
                ReconcileCommand reconcile => await ReconcileOutput.RunAsync(services, console,
                    worker.ReconciliationWindow with { Days = reconcile.Days ?? worker.ReconcileDays }, cancellationToken),
                _ => throw new InvalidOperationException($"Unhandled command {command}."),
            };
        }
        catch (Exception e) when (e is OptionsValidationException or FileNotFoundException or QuotaMatrixException)
        {
            console.MarkupLineInterpolated($"[red]Configuration: {Describe(e)}[/]");
            return Failed;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            console.MarkupLineInterpolated($"[red]PostgreSQL: {e.Message}[/]");
            return Failed;
        }
        catch (StripeException e)
        {
            console.MarkupLineInterpolated($"[red]Stripe answered HTTP {(int)e.HttpStatusCode} ({e.StripeError?.Type ?? "no error type"}, request {e.StripeResponse?.RequestId ?? "none"}): {e.StripeError?.Message ?? e.Message}[/]");
            return Failed;
        }
        catch (HttpRequestException e)
        {
            console.MarkupLineInterpolated($"[red]Stripe could not be reached: {e.Message}[/]");
            return Failed;
        }
        catch (InvalidOperationException e)
        {
            // A missing connection string, billing switched off while reconciling: the message names the setting.
            console.MarkupLineInterpolated($"[red]{e.Message}[/]");
            return Failed;
        }
    }

    private static string Describe(Exception e) => e switch
    {
        OptionsValidationException options => string.Join(" ", options.Failures),
        QuotaMatrixException matrix => "the quota matrix is invalid: " + string.Join(" ", matrix.Errors),
        _ => e.Message,
    };

    private abstract record Command;

    private sealed record Help : Command;

    private sealed record Invalid(string Message) : Command;

    private sealed record CatalogSyncCommand : Command;

    private sealed record ReconcileCommand(int? Days) : Command;

    private static Command Parse(string[] args)
    {
        switch (args)
        {
            case ["help" or "-h" or "--help", ..]:
                return new Help();
            case ["catalog", "sync"]:
                return new CatalogSyncCommand();
            case ["catalog", ..]:
                return new Invalid("catalog takes one subcommand: sync.");
            case ["reconcile", .. var options]:
                int? days = null;
                for (var i = 0; i < options.Length; i++)
                {
                    string? value = options[i] switch
                    {
                        "--days" when i + 1 < options.Length => options[++i],
                        var option when option.StartsWith("--days=", StringComparison.Ordinal) => option["--days=".Length..],
                        _ => null,
                    };
                    if (value is null) return new Invalid($"reconcile does not know '{options[i]}'.");
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n is < 1 or > ReconciliationWindow.MaxDays)
                        return new Invalid($"--days must be a whole number from 1 to {ReconciliationWindow.MaxDays} (Stripe takes meter events up to 35 days old); '{value}' is not.");
                    days = n;
                }
                return new ReconcileCommand(days);
            default:
                return new Invalid($"Unknown command '{string.Join(' ', args)}'.");
        }
    }
}
