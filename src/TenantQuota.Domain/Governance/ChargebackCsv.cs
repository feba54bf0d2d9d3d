using System.Globalization;
using System.Text;

namespace TenantQuota.Domain.Governance;

/// <summary>
/// One line of a month's chargeback: what a person used of a class with a model, charged to the department they
/// were in when they used it (null: none). Usd is exact: the recorded micro-dollars over a million.
/// </summary>
public sealed record ChargebackRow(
    string? DepartmentId, string SubjectId, string OperationClass, string? Model, long Quantity, long InputTokens, long OutputTokens, decimal Usd);

/// <summary>
/// The chargeback as a CSV download (RFC 4180): a header line and one line per row, nothing else, so that it
/// opens as a plain table. Spreadsheets are where it goes, so text that a spreadsheet would run as a formula is
/// defused.
/// </summary>
public static class ChargebackCsv
{
    public const string Header = "departmentId,subjectId,operationClass,model,quantity,inputTokens,outputTokens,usd";

    // Enough places for any decimal, and no trailing zeros: 0.028, never 0.028000 or 2.8E-02.
    private const string AllDecimals = "0.############################";

    public static string Write(IEnumerable<ChargebackRow> rows)
    {
        var csv = new StringBuilder(Header).Append("\r\n");
        foreach (var r in rows)
            csv.AppendJoin(',', Text(r.DepartmentId), Text(r.SubjectId), Text(r.OperationClass), Text(r.Model), Number(r.Quantity),
                Number(r.InputTokens), Number(r.OutputTokens), r.Usd.ToString(AllDecimals, CultureInfo.InvariantCulture)).Append("\r\n");
        return csv.ToString();
    }

    /// <summary>
    /// A text field: empty for null; a leading ' where a spreadsheet would read a formula (subject ids come from
    /// tenants' back ends, so "=HYPERLINK(…)" is possible); quoted, with quotes doubled, where RFC 4180 needs it.
    /// </summary>
    public static string Text(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r') value = "'" + value;
        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
