namespace TenantQuota.Domain.Governance;

/// <param name="Projected">What the budget's period is expected to end at.</param>
/// <param name="Low">The lower edge of the 80 % band (never below what is already used).</param>
/// <param name="High">The upper edge of the 80 % band.</param>
/// <param name="OverrunOn">The day the projection reaches the limit, or null when it stays under it.</param>
public sealed record BudgetForecast(long Projected, long Low, long High, DateOnly? OverrunOn);

/// <summary>
/// The end-of-period projection of a budget (docs/decisions/0021-budget-forecast.md): what is used so far, plus, for
/// the rest of today and each day left, the mean of the same weekday over the trailing 14 days. Weekday means carry
/// the weekly rhythm of office use (quiet weekends) that a flat daily mean would smear into a mid-week overestimate.
/// The band is ±1.28 standard deviations (80 %) of the days' spread around their weekday means: each day left adds
/// its own spread, and each weekday's mean, estimated from two days, adds an error all its days share.
/// </summary>
public static class BudgetForecasts
{
    public const int TrailingDays = 14;
    private const double Z80 = 1.2816;

    /// <summary>
    /// The first UTC day after a period that ends at <paramref name="endUtc"/>, and how much of its last UTC day is in it
    /// (the period ends at midnight in the tenant's zone: New York's at 05:00 UTC, so 5/24 of that day).
    /// </summary>
    public static (DateOnly PeriodEnd, double LastDayShare) Ending(DateTime endUtc)
    {
        var lastDay = endUtc.AddTicks(-1).Date;
        return (DateOnly.FromDateTime(lastDay).AddDays(1), (endUtc - lastDay).TotalHours / 24);
    }

    /// <param name="trailing">Usage of each of the <see cref="TrailingDays"/> days before <paramref name="today"/>, oldest first (0 for a quiet day).</param>
    /// <param name="usedToday">What today has used so far.</param>
    /// <param name="used">What the period has used so far, today included.</param>
    /// <param name="periodEnd">The first day after the period.</param>
    /// <param name="lastDayShare">
    /// How much of the period's last day is in it: a period ends at midnight in the tenant's zone, so in a zone west of
    /// UTC its last UTC day is only begun (New York: 5 of 24 hours), and east of it nearly whole.
    /// </param>
    public static BudgetForecast Project(IReadOnlyList<long> trailing, DateOnly today, long usedToday, long used, long limit, DateOnly periodEnd,
        double lastDayShare = 1)
    {
        if (trailing.Count != TrailingDays) throw new ArgumentException($"{TrailingDays} days of history, oldest first.", nameof(trailing));
        var sums = new double[7];
        var counts = new int[7];
        for (var i = 0; i < TrailingDays; i++)
        {
            var weekday = (int)today.AddDays(i - TrailingDays).DayOfWeek;
            sums[weekday] += trailing[i];
            counts[weekday]++;
        }
        double Expected(DateOnly day) => sums[(int)day.DayOfWeek] / counts[(int)day.DayOfWeek];

        // Two samples per weekday leave 7 degrees of freedom of the 14: the spread is scaled up to match.
        var squares = 0.0;
        for (var i = 0; i < TrailingDays; i++)
        {
            var error = trailing[i] - Expected(today.AddDays(i - TrailingDays));
            squares += error * error;
        }
        var dailyVariance = squares / (TrailingDays - 7);

        var lastDay = periodEnd.AddDays(-1);
        double Share(DateOnly day) => day == lastDay ? lastDayShare : 1;
        var projected = used + Math.Max(0, Expected(today) * Share(today) - usedToday);
        DateOnly? overrunOn = projected >= limit ? today : null;
        var daysLeft = new double[7];
        daysLeft[(int)today.DayOfWeek] += Share(today);
        for (var day = today.AddDays(1); day < periodEnd; day = day.AddDays(1))
        {
            projected += Expected(day) * Share(day);
            daysLeft[(int)day.DayOfWeek] += Share(day);
            if (overrunOn is null && projected >= limit) overrunOn = day;
        }
        // Each day left varies on its own (variance σ² each), and each weekday's mean, from two samples, is itself off
        // by σ²/2 in variance, an error every day of that weekday repeats: n days of a weekday add n·σ² + n²·σ²/2
        // (a part of a day counts as that part).
        var band = Z80 * Math.Sqrt(dailyVariance * daysLeft.Sum(n => n + n * n / 2.0));
        return new BudgetForecast((long)Math.Round(projected), (long)Math.Max(used, Math.Round(projected - band)), (long)Math.Round(projected + band), overrunOn);
    }
}
