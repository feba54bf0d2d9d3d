using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using NodaTime;
using TenantQuota.Api.Auth;
using TenantQuota.Api.Errors;
using TenantQuota.Data;
using TenantQuota.Data.Governance;
using TenantQuota.Domain;
using TenantQuota.Domain.Governance;

namespace TenantQuota.Api.Governance;

/// <summary>
/// A month's chargeback. Currency is always usd. TimeZone, From and To extend the contract: the tenant's zone and
/// the instants [from, to) its calendar month covers there.
/// </summary>
public sealed record ChargebackResponse(
    string Month, string Currency, string TimeZone, DateTime From, DateTime To, IReadOnlyList<ChargebackRow> Rows, ChargebackTotals Totals);

/// <summary>GET /v1/tenant/chargeback?month=YYYY-MM (tenant.admin): what each person used in a month, as JSON or CSV.</summary>
public static class ChargebackEndpoint
{
    public const string CsvMediaType = "text/csv";
    public const int FirstYear = 2000, LastYear = 2100;

    public static async Task<Results<Ok<ChargebackResponse>, ContentHttpResult, ValidationProblem>> Handle(string? month,
        HttpContext http, TenantContext caller, TenantDirectory tenants, Chargeback chargeback, CancellationToken cancellationToken)
    {
        if (ParseMonth(month) is not { } yearMonth)
            return Problems.Validation("month", $"month is required: a month as YYYY-MM between {FirstYear}-01 and {LastYear}-12, e.g. 2026-11.");

        var tenant = await tenants.FindAsync(caller.TenantId, cancellationToken)
            ?? throw new TenantAccessException(ProblemTypes.TenantNotProvisioned, $"Tenant '{caller.TenantId}' named by the access token is not provisioned here.");
        var period = QuotaWindow.OfMonth(yearMonth, tenant.Zone);
        var statement = await chargeback.ReadAsync(tenant.Id, period.Start.ToDateTimeOffset(), period.End.ToDateTimeOffset(), cancellationToken);

        // The same URL answers JSON or CSV, so caches must keep them apart.
        http.Response.Headers.Vary = "Accept";
        if (!PrefersCsv(http.Request))
            return TypedResults.Ok(new ChargebackResponse(month!, "usd", tenant.Zone.Id, period.Start.ToDateTimeUtc(), period.End.ToDateTimeUtc(),
                statement.Rows, statement.Totals));
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"chargeback-{tenant.Id}-{month}.csv\"";
        return TypedResults.Text(ChargebackCsv.Write(statement.Rows), "text/csv; charset=utf-8");
    }

    /// <summary>Exactly YYYY-MM: "2026-1" or "2026-11-01" would be guesses at what the caller meant.</summary>
    private static YearMonth? ParseMonth(string? text)
    {
        if (text is not { Length: 7 } || text[4] != '-' || !text.Remove(4, 1).All(char.IsAsciiDigit)) return null;
        var year = int.Parse(text.AsSpan(0, 4), CultureInfo.InvariantCulture);
        var monthOfYear = int.Parse(text.AsSpan(5), CultureInfo.InvariantCulture);
        return year is >= FirstYear and <= LastYear && monthOfYear is >= 1 and <= 12 ? new YearMonth(year, monthOfYear) : null;
    }

    /// <summary>
    /// CSV when the Accept header ranks text/csv above application/json (charset and other parameters aside);
    /// JSON otherwise, wildcards and no Accept header included.
    /// </summary>
    private static bool PrefersCsv(HttpRequest request) =>
        request.GetTypedHeaders().Accept
            .Where(a => a.Quality is not 0 && (a.MediaType.Equals(CsvMediaType, StringComparison.OrdinalIgnoreCase)
                || a.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)))
            .OrderByDescending(a => a.Quality ?? 1)
            .FirstOrDefault()?.MediaType.Equals(CsvMediaType, StringComparison.OrdinalIgnoreCase) == true;
}
