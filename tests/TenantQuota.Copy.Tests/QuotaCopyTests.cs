using NodaTime;
using TenantQuota.Domain;
using static TenantQuota.Copy.Tests.Templates;

namespace TenantQuota.Copy.Tests;

/// <summary>The product's own copy for known answers: what an end user reads, word for word.</summary>
public sealed class QuotaCopyTests
{
    private static readonly LocalDateTime LateEvening = new(2026, 11, 30, 23, 44);

    private static QuotaMessage Render(string locale, QuotaStage stage, string tier, string operationClass, long used,
        bool denied = false, long requested = 1, long billable = 0) =>
        Product.Value.Render(Situation(stage, tier, operationClass, used, LateEvening, requested, billable, denied), locale)!;

    [Fact]
    public void The_stop_names_the_class_in_Spanish_says_when_it_resets_both_ways_and_what_Pro_unlocks()
    {
        var message = Render("es", QuotaStage.Stop, "free", "summaries", 10, denied: true);

        Assert.Equal("error", message.Severity);
        Assert.Equal("Te has quedado sin resúmenes hoy", message.Title);
        Assert.Equal("Has usado los 10 resúmenes de tu plan Gratis. Tendrás más en 16 minutos (martes 1 de diciembre a las 0:00, Europe/Madrid). " +
                     "Pro te da 200 resúmenes al día.", message.Body);
        Assert.Equal(new QuotaCta("Pasar a Pro", "https://app.example/upgrade"), message.Cta);
    }

    [Fact]
    public void The_same_stop_in_English()
    {
        var message = Render("en", QuotaStage.Stop, "free", "summaries", 10, denied: true);

        Assert.Equal("You're out of summaries today", message.Title);
        Assert.Equal("You've used all 10 summaries in your Free plan. More arrive in 16 minutes (Tuesday, December 1 at 12:00 AM, Europe/Madrid). " +
                     "Pro gives you 200 summaries a day.", message.Body);
        Assert.Equal("Upgrade to Pro", message.Cta?.Label);
    }

    [Theory]
    [InlineData("en", QuotaStage.Nudge, 7, "info", "3 summaries left today")]
    [InlineData("en", QuotaStage.SoftLimit, 8, "warning", "Only 2 summaries left today")]
    [InlineData("en", QuotaStage.FinalWarning, 9, "warning", "Almost out: 1 summary left today")]
    [InlineData("en", QuotaStage.Stop, 10, "error", "That was your last summary today")]
    [InlineData("es", QuotaStage.Nudge, 7, "info", "Te quedan 3 resúmenes hoy")]
    [InlineData("es", QuotaStage.SoftLimit, 8, "warning", "Solo te quedan 2 resúmenes hoy")]
    [InlineData("es", QuotaStage.FinalWarning, 9, "warning", "Casi sin resúmenes: te queda 1 hoy")]
    [InlineData("es", QuotaStage.Stop, 10, "error", "Ese fue tu último resumen hoy")]
    public void Each_stage_on_the_way_to_the_wall_has_its_own_title_and_severity(string locale, QuotaStage stage, long used, string severity, string title)
    {
        var message = Render(locale, stage, "free", "summaries", used);
        Assert.Equal((severity, title), (message.Severity, message.Title));
    }

    [Fact]
    public void Answers_rendered_one_after_another_and_side_by_side_each_keep_their_own_words()
    {
        // Each thread renders with one reused template context: nothing of one answer may leak into the next.
        var stages = new[] { (QuotaStage.Nudge, 7L, "3 summaries left today"), (QuotaStage.SoftLimit, 8L, "Solo te quedan 2 resúmenes hoy"),
                             (QuotaStage.FinalWarning, 9L, "Almost out: 1 summary left today") };
        var rendered = Enumerable.Range(0, 600).AsParallel().WithDegreeOfParallelism(4).Select(i =>
        {
            var (stage, used, title) = stages[i % stages.Length];
            return (Expected: title, Title: Render(title.StartsWith("Solo", StringComparison.Ordinal) ? "es" : "en", stage, "free", "summaries", used).Title);
        }).ToList();

        Assert.All(rendered, r => Assert.Equal(r.Expected, r.Title));
    }

    [Fact]
    public void Degrade_names_the_cheaper_class_that_still_works()
    {
        var en = Render("en", QuotaStage.Stop, "free", "drafts", 20, denied: true);
        var es = Render("es", QuotaStage.Stop, "free", "drafts", 20, denied: true);

        Assert.Equal("Drafts are used up; summaries still work", en.Title);
        Assert.StartsWith("You've used all 20 drafts in your Free plan. Keep going with summaries, or wait: drafts come back in 16 minutes", en.Body);
        Assert.Equal("Se agotaron tus borradores; los resúmenes siguen disponibles", es.Title);
    }

    [Fact]
    public void Overage_says_what_this_request_bills_and_what_the_plan_includes_with_the_locales_numbers()
    {
        var en = Render("en", QuotaStage.Stop, "team", "drafts", 2003, requested: 5, billable: 3);
        var es = Render("es", QuotaStage.Stop, "team", "drafts", 2003, requested: 5, billable: 3);

        Assert.Equal("warning", en.Severity); // the work went ahead
        Assert.Equal("You're past the 2,000 drafts in your plan", en.Title);
        Assert.StartsWith("3 drafts of this request are billed as overage. Your Team plan includes 2,000 drafts a day;", en.Body);
        Assert.EndsWith("Enterprise includes 20,000 a day.", en.Body);
        Assert.Equal("Has superado los 2000 borradores de tu plan", es.Title);
        Assert.StartsWith("3 borradores de esta solicitud se facturan como excedente. Tu plan Equipo incluye 2000 borradores al día;", es.Body);
        Assert.EndsWith("Empresa incluye 20.000 al día.", es.Body);
    }

    [Fact]
    public void A_warn_cell_says_the_limit_is_advisory_and_offers_no_upgrade()
    {
        var message = Render("en", QuotaStage.Stop, "free", "background_indexing", 120);

        Assert.Equal("warning", message.Severity);
        Assert.Equal("You've reached the suggested 100 indexed documents a month", message.Title);
        Assert.Contains("The limit is a guideline, so you can keep going", message.Body);
        Assert.Null(message.Cta);
    }

    [Fact]
    public void The_top_tier_is_offered_no_upgrade()
    {
        var message = Render("en", QuotaStage.SoftLimit, "enterprise", "summaries", 8500);

        Assert.Null(message.Cta);
        Assert.DoesNotContain("gives you", message.Body);
    }

    [Fact]
    public void Not_enough_left_says_what_the_request_needs_and_offers_the_cheaper_class()
    {
        var message = Render("en", QuotaStage.NotEnoughLeft, "free", "drafts", 18, denied: true, requested: 5);

        Assert.Equal("Not enough drafts left for this", message.Title);
        Assert.StartsWith("This needs 5 drafts and you have 2 left today;", message.Body);
        Assert.Contains("You can use summaries instead.", message.Body);
    }

    [Theory]
    [InlineData(null, "en")]
    [InlineData("es", "es")]
    [InlineData("es-MX,en;q=0.5", "es")]
    [InlineData("en;q=0.1, es;q=0.9", "es")]
    [InlineData("fr-FR, fr;q=0.9", "en")]
    [InlineData("es;q=0, en", "en")]
    [InlineData("*", "en")]
    public void Picks_the_locale_from_Accept_Language_by_quality_and_falls_back_to_English(string? header, string locale) =>
        Assert.Equal(locale, Product.Value.Negotiate(header));
}
