using Reqnroll;
using TenantQuota.Testing;

namespace TenantQuota.Features.Steps;

/// <summary>A month's chargeback, as a tenant admin reads it and finance downloads it.</summary>
[Binding]
public sealed class ChargebackSteps(ScenarioApi api)
{
    private static readonly string[] Columns = ["departmentId", "subjectId", "operationClass", "model", "quantity", "inputTokens", "outputTokens", "usd"];

    private HttpClient Admin() => api.Host.Client(TestTokens.For(api.RequireTenant, "tenant.admin"));

    [When("the tenant admin reads the chargeback for {string}")]
    public async Task Reads(string month) => api.Record(await Admin().SendAsync(HttpMethod.Get, $"/v1/tenant/chargeback?month={month}"));

    [When("the tenant admin downloads the chargeback for {string} as CSV")]
    public async Task Downloads(string month)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/tenant/chargeback?month={month}");
        request.Headers.Accept.ParseAdd("text/csv");
        api.Record(await ApiCalls.ReadAsync(await Admin().SendAsync(request)));
    }

    [Then("the chargeback rows are:")]
    public void RowsAre(DataTable table) =>
        Assert.Equal(table.Rows.Select(row => string.Join(",", Columns.Select(c => row[c]))),
            api.RequireLast.Json["rows"]!.AsArray().Select(row => string.Join(",", Columns.Select(c => row![c]?.ToString() ?? ""))));

    [Then("the chargeback totals are {long} in quantity and {decimal} dollars from {long} records")]
    public void TotalsAre(long quantity, decimal usd, long records)
    {
        var totals = api.RequireLast.Json["totals"]!;
        Assert.Equal((quantity, usd, records), ((long)totals["quantity"]!, (decimal)totals["usd"]!, (long)totals["records"]!));
    }

    [Then("the download is a CSV file named for the tenant and {string} that reads:")]
    public void DownloadReads(string month, string lines)
    {
        var download = api.RequireLast;
        Assert.Equal(("text/csv", $"attachment; filename=\"chargeback-{api.RequireTenant}-{month}.csv\""),
            (download.ContentType, download.Header("Content-Disposition")));
        Assert.Equal(lines.ReplaceLineEndings("\r\n") + "\r\n", (string)download.Json!);
    }
}
