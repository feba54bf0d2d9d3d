using System.Globalization;
using Spectre.Console;
using TenantQuota.Billing.Catalog;

namespace TenantQuota.Worker.Cli;

/// <summary><c>catalog sync</c>: runs <see cref="CatalogSync"/> once and prints the Stripe ids and what changed.</summary>
internal static class CatalogSyncOutput
{
    public static async Task<int> RunAsync(IServiceProvider services, IAnsiConsole console, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var sync = scope.ServiceProvider.GetRequiredService<CatalogSync>();
        var result = await console.Status().StartAsync("Syncing the Stripe catalogue with the quota matrix…", _ => sync.RunAsync(cancellationToken));

        console.MarkupLineInterpolated($"Stripe catalogue for quota matrix [bold]{result.MatrixVersion}[/] ({result.Currency}):");
        var tiers = new Table().AddColumns("Tier", "Product", "Monthly price", "Amount");
        foreach (var tier in result.Tiers)
            tiers.AddRow(new Text(tier.Tier), new Text(tier.ProductId), new Text(tier.PriceId), new Text(Money(tier.UnitAmount, result.Currency)));
        console.Write(tiers);

        var overage = new Table().AddColumns("Overage class", "Meter", "Event name", "Product", "Metered price", "Per unit");
        foreach (var o in result.Overage)
            overage.AddRow(new Text(o.OperationClass), new Text(o.MeterId), new Text(o.EventName), new Text(o.ProductId), new Text(o.PriceId),
                new Text(Money(o.UnitAmount, result.Currency)));
        console.Write(overage);

        if (result.Changes.Count == 0)
        {
            console.WriteLine("No changes: Stripe already matched.");
            return WorkerCli.Ok;
        }
        console.MarkupLineInterpolated($"[bold]{result.Changes.Count} changes:[/]");
        foreach (var change in result.Changes) console.WriteLine("  - " + change);
        return WorkerCli.Ok;
    }

    private static string Money(long cents, string currency) => string.Create(CultureInfo.InvariantCulture, $"{cents / 100m:0.00} {currency}");
}
