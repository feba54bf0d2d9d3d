using TenantQuota.Domain.Governance;

namespace TenantQuota.Domain.Tests;

/// <summary>The chargeback CSV: RFC 4180 quoting, invariant numbers, and no formulas for a spreadsheet to run.</summary>
public sealed class ChargebackCsvTests
{
    [Theory]
    [InlineData(null, "")]
    [InlineData("ana", "ana")]
    [InlineData("smith, ana", "\"smith, ana\"")]
    [InlineData("the \"boss\"", "\"the \"\"boss\"\"\"")]
    [InlineData("two\nlines", "\"two\nlines\"")]
    [InlineData("a\rb", "\"a\rb\"")]
    [InlineData("=1+1", "'=1+1")]
    [InlineData("+1", "'+1")]
    [InlineData("-1", "'-1")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("\tx", "'\tx")]
    [InlineData("\rx", "\"'\rx\"")]
    [InlineData("=cmd,\"x\"", "\"'=cmd,\"\"x\"\"\"")]
    [InlineData("a=b-c", "a=b-c")] // only a leading sign starts a formula
    public void A_text_field_is_quoted_where_RFC_4180_needs_it_and_never_starts_a_formula(string? value, string field) =>
        Assert.Equal(field, ChargebackCsv.Text(value));

    [Fact]
    public void Writes_the_header_then_a_line_per_row_with_empty_fields_for_null_and_exact_dollars()
    {
        var csv = ChargebackCsv.Write([
            new ChargebackRow("marketing", "ana", "chat", "gpt-large", 1500, 1200, 300, 0.0054m),
            new ChargebackRow(null, "bob", "summaries", null, 3, 0, 0, 0m),
            new ChargebackRow("sales", "cy", "summaries", "claude-deep", 12_345_678_901, 7, 8, 1234567.000001m),
            new ChargebackRow("sales", "dee", "summaries", "gpt-small", 1, 0, 0, 2.500000m),
        ]);

        Assert.Equal(
            "departmentId,subjectId,operationClass,model,quantity,inputTokens,outputTokens,usd\r\n" +
            "marketing,ana,chat,gpt-large,1500,1200,300,0.0054\r\n" +
            ",bob,summaries,,3,0,0,0\r\n" +
            "sales,cy,summaries,claude-deep,12345678901,7,8,1234567.000001\r\n" +
            "sales,dee,summaries,gpt-small,1,0,0,2.5\r\n", csv);
    }

    [Fact]
    public void No_rows_is_the_header_alone() => Assert.Equal(ChargebackCsv.Header + "\r\n", ChargebackCsv.Write([]));
}
