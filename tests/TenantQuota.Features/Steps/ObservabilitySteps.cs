using System.Globalization;
using System.Text.RegularExpressions;
using Reqnroll;
using TenantQuota.Testing;

namespace TenantQuota.Features.Steps;

/// <summary>
/// /metrics as Prometheus scrapes it. Scenarios run one at a time, so what moved between two reads is the scenario's
/// (every API host of this process reports under the same meter name, and none of the others runs meanwhile).
/// </summary>
[Binding]
public sealed partial class ObservabilitySteps(ScenarioApi api)
{
    private string _before = "";

    private async Task<string> ScrapeAsync()
    {
        using var response = await api.Host.Client().GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"/metrics answered {(int)response.StatusCode}: {text}");
        return text;
    }

    [Given("the operator has read the metrics")]
    public async Task ReadMetrics() => _before = await ScrapeAsync();

    /// <summary>The decisions counter of one endpoint, class and decision, summed over the replay label.</summary>
    private static double Decisions(string text, string endpoint, string operationClass, string decision) =>
        DecisionLine().Matches(text)
            .Where(m => m.Groups["labels"].Value.Contains($"endpoint=\"{endpoint}\"") && m.Groups["labels"].Value.Contains($"operation_class=\"{operationClass}\"")
                        && m.Groups["labels"].Value.Contains($"decision=\"{decision}\""))
            .Sum(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));

    [Then("the metrics have counted {int} more {string} answer(s) of {string} decided {string}")]
    public async Task CountedMore(int more, string endpoint, string operationClass, string decision)
    {
        // The exporter may answer from a copy up to a moment old: read until it shows the scenario's answers.
        var now = await Eventually.Until(ScrapeAsync, text => Decisions(text, endpoint, operationClass, decision) >= Decisions(_before, endpoint, operationClass, decision) + more,
            $"{more} more {endpoint}/{operationClass}/{decision} on /metrics", TimeSpan.FromSeconds(5));
        Assert.Equal((double)more, Decisions(now, endpoint, operationClass, decision) - Decisions(_before, endpoint, operationClass, decision));
    }

    [GeneratedRegex(@"^tenantquota_decisions_total\{(?<labels>[^}]*)\} (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex DecisionLine();
}
