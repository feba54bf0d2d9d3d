using TenantQuota.Domain.Governance;
using Xunit.Abstractions;

namespace TenantQuota.Domain.Tests;

/// <summary>The end-of-period projection: its arithmetic on plain cases, and a backtest on generated history.</summary>
public sealed class BudgetForecastsTests(ITestOutputHelper output)
{
    private static readonly DateOnly Monday = new(2026, 11, 16);

    /// <summary>Two weeks of office use: 100 a weekday, 10 on Saturdays and Sundays, oldest first, ending the day before <paramref name="today"/>.</summary>
    private static long[] OfficeWeeks(DateOnly today) =>
        [.. Enumerable.Range(0, 14).Select(i => today.AddDays(i - 14).DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? 10L : 100L)];

    [Fact]
    public void The_days_left_are_expected_to_go_as_the_same_weekdays_went()
    {
        // Monday the 16th with nothing used yet today: 15 days left to the 1st, 11 weekdays and 4 weekend days.
        var forecast = BudgetForecasts.Project(OfficeWeeks(Monday), Monday, usedToday: 0, used: 1_000, limit: 5_000, periodEnd: new DateOnly(2026, 12, 1));

        Assert.Equal(1_000 + 11 * 100 + 4 * 10, forecast.Projected);
        Assert.Equal((forecast.Projected, forecast.Projected), (forecast.Low, forecast.High)); // a perfectly regular history: no spread
        Assert.Null(forecast.OverrunOn);
    }

    [Theory]
    [InlineData("2026-12-01T05:00:00Z", "2026-12-02", 5.0 / 24)] // New York's December starts at 05:00 UTC
    [InlineData("2026-11-30T23:00:00Z", "2026-12-01", 23.0 / 24)] // Madrid's at 23:00 UTC the day before
    [InlineData("2026-12-01T00:00:00Z", "2026-12-01", 1.0)]
    public void A_period_that_ends_at_midnight_in_its_zone_has_part_of_its_last_UTC_day(string endUtc, string periodEnd, double share)
    {
        var ending = BudgetForecasts.Ending(DateTime.Parse(endUtc, null, System.Globalization.DateTimeStyles.AdjustToUniversal));
        Assert.Equal(DateOnly.Parse(periodEnd), ending.PeriodEnd);
        Assert.Equal(share, ending.LastDayShare, 9);
    }

    [Fact]
    public void Only_the_part_of_the_last_day_in_the_period_is_expected()
    {
        // New York: the period's last UTC day, Tuesday 1 December, has 5 of its 24 hours in it.
        var whole = BudgetForecasts.Project(OfficeWeeks(Monday), Monday, usedToday: 0, used: 1_000, limit: 5_000, periodEnd: new DateOnly(2026, 12, 1));
        var newYork = BudgetForecasts.Project(OfficeWeeks(Monday), Monday, usedToday: 0, used: 1_000, limit: 5_000, periodEnd: new DateOnly(2026, 12, 2),
            lastDayShare: 5.0 / 24);

        Assert.Equal(whole.Projected + (long)Math.Round(100 * 5.0 / 24), newYork.Projected);
    }

    [Fact]
    public void The_overrun_day_is_the_first_the_projection_reaches_the_limit_and_today_counts_what_it_used()
    {
        var forecast = BudgetForecasts.Project(OfficeWeeks(Monday), Monday, usedToday: 60, used: 1_960, limit: 2_200, periodEnd: new DateOnly(2026, 12, 1));

        // 1,960 + the 40 left of today (Mon) = 2,000; Tue 2,100; Wed 2,200: reached.
        Assert.Equal(new DateOnly(2026, 11, 18), forecast.OverrunOn);
        Assert.Equal(BudgetForecasts.Project(OfficeWeeks(Monday), Monday, 0, 1_900, 2_200, new DateOnly(2026, 12, 1)).Projected, forecast.Projected);
    }

    [Fact]
    public void A_budget_already_over_its_limit_overruns_today_and_a_noisy_history_widens_the_band()
    {
        var noisy = OfficeWeeks(Monday);
        noisy[3] += 80;
        noisy[10] -= 80;

        var forecast = BudgetForecasts.Project(noisy, Monday, usedToday: 0, used: 6_000, limit: 5_000, periodEnd: new DateOnly(2026, 12, 1));

        Assert.Equal(Monday, forecast.OverrunOn);
        Assert.True(forecast.Low < forecast.Projected && forecast.Projected < forecast.High, $"{forecast}");
        Assert.True(forecast.Low >= 6_000);
    }

    /// <summary>
    /// Backtest: 180 days of a department's generated use (weekdays around 100 with a weekly rhythm, weekends around
    /// 15, ±25 % noise, a slow growth of 0.2 % a day), and for every day of every month after the first, the month's
    /// projected total against what the month really used. The figures go to the test output (and the note).
    /// </summary>
    [Fact]
    public void Backtest_on_generated_history_projects_month_ends_within_ten_percent_from_mid_month()
    {
        var random = new Random(20261201);
        var start = new DateOnly(2026, 1, 1);
        var usage = Enumerable.Range(0, 180).Select(i =>
        {
            var day = start.AddDays(i);
            var level = day.DayOfWeek switch { DayOfWeek.Saturday or DayOfWeek.Sunday => 15.0, DayOfWeek.Monday => 120.0, DayOfWeek.Friday => 80.0, _ => 100.0 };
            return (long)Math.Round(level * (1 + 0.002 * i) * (0.75 + 0.5 * random.NextDouble()));
        }).ToArray();
        long UsedBetween(DateOnly from, DateOnly to) => usage.Where((_, i) => start.AddDays(i) >= from && start.AddDays(i) < to).Sum();

        var errors = new List<(int DayOfMonth, double Error, bool Inside)>();
        for (var month = start.AddMonths(1); month.AddMonths(1) <= start.AddDays(180); month = month.AddMonths(1))
        {
            var end = month.AddMonths(1);
            var actual = UsedBetween(month, end);
            for (var today = month; today < end; today = today.AddDays(1))
            {
                var trailing = Enumerable.Range(0, 14).Select(i => UsedBetween(today.AddDays(i - 14), today.AddDays(i - 13))).ToArray();
                // As at midday: half of today's use is in.
                var usedToday = UsedBetween(today, today.AddDays(1)) / 2;
                var forecast = BudgetForecasts.Project(trailing, today, usedToday, UsedBetween(month, today) + usedToday, long.MaxValue, end);
                errors.Add((today.Day, Math.Abs(forecast.Projected - actual) / (double)actual, forecast.Low <= actual && actual <= forecast.High));
            }
        }

        double Mape(Func<int, bool> days) => errors.Where(e => days(e.DayOfMonth)).Average(e => e.Error) * 100;
        var inside = errors.Count(e => e.Inside) * 100.0 / errors.Count;
        output.WriteLine($"backtest over {errors.Count} days: MAPE from day 1 {Mape(d => d <= 7):F1} % (days 1-7), {Mape(d => d is >= 8 and <= 15):F1} % (8-15), " +
            $"{Mape(d => d >= 16):F1} % (16-end), all {Mape(_ => true):F1} %; actual inside the 80 % band {inside:F0} % of days");
        Assert.True(Mape(d => d >= 15) < 10, $"mid-month on: MAPE {Mape(d => d >= 15):F1} %");
        Assert.InRange(inside, 65, 95); // an 80 % band, give or take the sample
    }
}
