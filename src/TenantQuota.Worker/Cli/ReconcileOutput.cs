using System.Globalization;
using Spectre.Console;
using TenantQuota.Billing.Reconciliation;

namespace TenantQuota.Worker.Cli;

/// <summary><c>reconcile</c>: runs <see cref="OverageReconciliation"/> once and prints the drift and what was re-sent.</summary>
internal static class ReconcileOutput
{
    private const int IdsShown = 10;

    public static async Task<int> RunAsync(IServiceProvider services, IAnsiConsole console, ReconciliationWindow window, CancellationToken cancellationToken)
    {
        var reconciliation = services.GetRequiredService<OverageReconciliation>();
        var result = await console.Status().StartAsync($"Reconciling the last {window.Days} days of overage with Stripe…",
            _ => reconciliation.RunAsync(window, cancellationToken));

        var drifted = result.Drifted.ToList();
        console.MarkupLineInterpolated(
            $"Overage from [bold]{result.From:u}[/] to [bold]{result.To:u}[/]: {result.Days.Count} customer-days compared with Stripe, {result.Days.Count - drifted.Count} matched.");
        if (drifted.Count > 0)
        {
            var table = new Table().AddColumns("Tenant", "Class", "Customer", "Day", "Ours", "Stripe before", "Stripe now", "Re-sent", "Already at Stripe", "Result");
            foreach (var day in drifted)
                table.AddRow(new Text(day.TenantId), new Text(day.OperationClass), new Text(day.StripeCustomerId), new Text(day.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
                    new Text(Number(day.Ours)), new Text(Number(day.StripeBefore)), new Text(Number(day.StripeAfter)),
                    new Text(Ids(day.Resent)), new Text(Ids(day.AlreadyAtStripe)), new Text(Describe(day)));
            console.Write(table);
        }
        if (result.OutsideWindow.Count > 0)
        {
            console.WriteLine("Overage older than the window that was never sent to Stripe:");
            var table = new Table().AddColumns("Tenant", "Class", "Usage records", "Units", "Oldest", "Result");
            foreach (var unsent in result.OutsideWindow)
                table.AddRow(new Text(unsent.TenantId), new Text(unsent.OperationClass), new Text(Number(unsent.Records)), new Text(Number(unsent.Quantity)),
                    new Text(unsent.Oldest.ToString("u", CultureInfo.InvariantCulture)),
                    new Text(unsent.Recoverable ? "recoverable: reconcile with more --days" : "unrecoverable: older than Stripe's 35 days"));
            console.Write(table);
        }
        if (result.NotComparable > 0)
            console.WriteLine($"{result.NotComparable} usage records in the window wait for a Stripe customer or a meter (held; see /billing/health).");

        if (result.DriftRemains)
        {
            console.MarkupLine("[red]Drift remains.[/] Each case is logged (stderr here, the worker's log on its schedule).");
            return WorkerCli.Failed;
        }
        console.MarkupLine("[green]No drift remains.[/]");
        return WorkerCli.Ok;
    }

    private static string Describe(DayReconciliation day) => day.Outcome switch
    {
        DayOutcome.Healed => "healed",
        DayOutcome.Excess => "over-billed: not changed, check Stripe",
        DayOutcome.Missing => $"still short by {Number(day.Drift)}"
                              + (day.NotSent.Count > 0 ? $"; not sent: {Ids(day.NotSent)}" : "")
                              + (day.RecordedAsSent.Count > 0 ? $"; confirmed by Stripe over {OverageReconciliation.DedupeHorizon.TotalHours:0} h ago, not re-sent: {Ids(day.RecordedAsSent)}" : ""),
        _ => "matches",
    };

    private static string Ids(IReadOnlyList<long> ids) =>
        ids.Count == 0 ? "-"
        : string.Join(", ", ids.Take(IdsShown).Select(id => id.ToString(CultureInfo.InvariantCulture))) + (ids.Count > IdsShown ? $" (+{ids.Count - IdsShown})" : "");

    private static string Number(decimal value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
