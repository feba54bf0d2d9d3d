using NodaTime;

namespace TenantQuota.Copy.Tests;

/// <summary>Numbers, dates and relative times as the English and Spanish words files write them.</summary>
public sealed class CopyWordsTests
{
    private static CopyWords Words(string locale) => Templates.Product.Value.Words(locale);

    [Theory]
    [InlineData("en", 7, "7")]
    [InlineData("en", 1234, "1,234")]
    [InlineData("en", 20000, "20,000")]
    [InlineData("en", 500000, "500,000")]
    [InlineData("es", 1234, "1234")] // Spanish leaves four digits together
    [InlineData("es", 20000, "20.000")]
    [InlineData("es", 1000000, "1.000.000")]
    public void Writes_numbers_with_the_locales_grouping(string locale, long value, string written) =>
        Assert.Equal(written, Words(locale).Number(value));

    [Theory]
    // now 23:44 in Madrid; the reset given as local time
    [InlineData("en", "2026-12-01T00:00", "in 16 minutes")]
    [InlineData("es", "2026-12-01T00:00", "en 16 minutos")]
    [InlineData("en", "2026-11-30T23:45", "in 1 minute")]
    [InlineData("es", "2026-11-30T23:45", "en 1 minuto")]
    [InlineData("en", "2026-11-30T23:44:30", "in less than a minute")]
    [InlineData("en", "2026-12-01T01:44", "in 2 hours")]
    [InlineData("es", "2026-12-01T00:44", "en 1 hora")]
    [InlineData("en", "2026-12-01T06:00", "tomorrow at 6:00 AM")]
    [InlineData("es", "2026-12-01T06:00", "mañana a las 6:00")]
    [InlineData("es", "2026-12-01T13:00", "mañana a las 13:00")]
    [InlineData("en", "2026-12-04T00:00", "on Friday at 12:00 AM")]
    [InlineData("en", "2026-12-07T00:00", "on December 7")] // a week away, and today is a Monday too
    [InlineData("es", "2026-12-04T00:00", "el viernes a las 0:00")]
    [InlineData("en", "2027-01-01T00:00", "on January 1")]
    [InlineData("es", "2027-01-01T00:00", "el 1 de enero")]
    public void Says_when_the_quota_resets_as_a_person_would(string locale, string resetsAt, string said)
    {
        var now = new LocalDateTime(2026, 11, 30, 23, 44).InZoneLeniently(Templates.Madrid).ToInstant();
        var at = LocalDateTimePattern(resetsAt).InZoneLeniently(Templates.Madrid);
        Assert.Equal(said, Words(locale).Relative(now, at));
    }

    [Theory]
    [InlineData("en", "2026-12-01T00:00", "Tuesday, December 1 at 12:00 AM")]
    [InlineData("en", "2026-12-01T13:05", "Tuesday, December 1 at 1:05 PM")]
    [InlineData("es", "2026-12-01T00:00", "martes 1 de diciembre a las 0:00")]
    [InlineData("es", "2026-12-01T01:00", "martes 1 de diciembre a la 1:00")]
    [InlineData("es", "2026-12-01T13:30", "martes 1 de diciembre a las 13:30")]
    public void Writes_the_reset_in_full_in_the_tenants_time_zone(string locale, string resetsAt, string written) =>
        Assert.Equal(written, Words(locale).Absolute(LocalDateTimePattern(resetsAt).InZoneLeniently(Templates.Madrid)));

    [Fact]
    public void A_words_file_missing_a_class_or_tier_of_the_matrix_names_what_is_missing()
    {
        var english = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "templates", "en", "words.yaml"));
        var words = CopyWords.Parse(english.Replace("  drafts:              { one: draft,                other: drafts }\n", "")
            .Replace("tiers: { free: Free, pro: Pro, team: Team, enterprise: Enterprise }", "tiers: { free: Free, pro: Pro, team: Team }"));

        Assert.Equal(["classes.drafts needs one and other", "tiers.enterprise is missing"], words.Problems(Templates.Matrix));
    }

    [Fact]
    public void The_one_is_0_1_rule_takes_the_singular_for_zero_as_French_does()
    {
        var english = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "templates", "en", "words.yaml"));
        var french = CopyWords.Parse(english.Replace("plural_rule: one-is-1 ", "plural_rule: one-is-0-1 "));
        var forms = new WordForms("résumé", "résumés");

        Assert.Equal(("résumé", "résumé", "résumés"), (french.Plural(0, forms), french.Plural(1, forms), french.Plural(2, forms)));
        Assert.Equal("summaries", Words("en").Plural(0, new WordForms("summary", "summaries")));
    }

    private static LocalDateTime LocalDateTimePattern(string text) =>
        NodaTime.Text.LocalDateTimePattern.ExtendedIso.Parse(text.Length == 16 ? text + ":00" : text).Value;
}
