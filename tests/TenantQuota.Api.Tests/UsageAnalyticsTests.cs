using System.Text.Json.Nodes;
using Npgsql;
using TenantQuota.Testing;

namespace TenantQuota.Api.Tests;

/// <summary>
/// GET /v1/tenant/usage reads the worker's rollups (the worker's tests show they add up to the records); here the
/// rollup rows are written directly, as the worker would, to pin down grouping, buckets and the parameters.
/// </summary>
public sealed class UsageAnalyticsTests(ApiHostFixture fixture) : IClassFixture<ApiHostFixture>
{
    private readonly ApiHost _host = fixture.Host;

    private HttpClient Admin(string tenant) => _host.Client(TestTokens.For(tenant, "tenant.admin"));

    /// <summary>One hour of one person's use of one class, added to every rollup as the worker would.</summary>
    private static async Task HourAsync(string tenant, string hour, string operationClass, string department, string subject, string model, long quantity, long micro)
    {
        const string Day = "date_trunc('day', $2::timestamptz, 'UTC')";
        foreach (var (table, values) in new[] { ("usage_hourly", "$2, $3, $4, $5, $6"), ("usage_hourly_groups", "$2, $3, $4, $6"), ("usage_daily", $"{Day}, $3, $4, $5, $6"),
                     ("usage_hourly_subjects", "$2, $5"), ("usage_daily_subjects", $"{Day}, $5") })
        {
            await using var command = ApiHost.Database.CreateCommand($"""
                INSERT INTO {table} VALUES ($1, {values}, $7::bigint, 0, 0, $8::bigint, 1)
                ON CONFLICT ON CONSTRAINT {table}_pkey DO UPDATE SET quantity = {table}.quantity + EXCLUDED.quantity,
                   cost_micro_usd = {table}.cost_micro_usd + EXCLUDED.cost_micro_usd, records = {table}.records + 1
                """);
            foreach (var value in new object[] { tenant, DateTimeOffset.Parse(hour, System.Globalization.CultureInfo.InvariantCulture), operationClass, department, subject, model, quantity, micro })
                command.Parameters.Add(new NpgsqlParameter { Value = value });
            await command.ExecuteNonQueryAsync();
        }
    }

    /// <summary>Three people over two days: ana (eng, summaries with gpt-large), bob (eng, drafts), cy (no department, summaries).</summary>
    private async Task<string> TenantAsync()
    {
        var tenant = await _host.CreateTenantAsync("enterprise");
        await HourAsync(tenant, "2026-11-02T09:00:00Z", "summaries", "eng", "ana", "gpt-large", 3, 1_500_000);
        await HourAsync(tenant, "2026-11-02T10:00:00Z", "summaries", "eng", "ana", "gpt-large", 2, 1_000_000);
        await HourAsync(tenant, "2026-11-02T10:00:00Z", "drafts", "eng", "bob", "", 5, 0);
        await HourAsync(tenant, "2026-11-03T23:00:00Z", "summaries", "", "cy", "", 1, 0);
        return tenant;
    }

    private async Task<JsonNode> UsageAsync(string tenant, string query)
    {
        var answer = await Admin(tenant).SendAsync(HttpMethod.Get, "/v1/tenant/usage?" + query);
        Assert.True(answer.Status == 200, $"{answer.Status} {answer.Body}");
        return answer.Json;
    }

    private static string Points(JsonNode series) =>
        string.Join(" ", series["points"]!.AsArray().Select(p => $"{(string)p!["t"]!}={(long)p["quantity"]!}/{(decimal)p["usd"]!}"));

    [Fact]
    public async Task Daily_usage_by_class_has_every_day_of_the_range_and_the_largest_series_first()
    {
        var tenant = await TenantAsync();

        var usage = await UsageAsync(tenant, "from=2026-11-02T00:00:00Z&to=2026-11-04T00:00:00Z&groupBy=class&interval=day");

        Assert.Equal(("class", "day"), ((string)usage["groupBy"]!, (string)usage["interval"]!));
        var series = usage["series"]!.AsArray();
        Assert.Equal(["summaries", "drafts"], series.Select(s => (string)s!["key"]!));
        Assert.Equal("2026-11-02T00:00:00Z=5/2.5 2026-11-03T00:00:00Z=1/0", Points(series[0]!));
        Assert.Equal((6L, 2.5m), ((long)series[0]!["total"]!["quantity"]!, (decimal)series[0]!["total"]!["usd"]!));
    }

    [Fact]
    public async Task Hourly_usage_by_department_widens_the_range_to_whole_hours_and_keys_no_department_as_null()
    {
        var tenant = await TenantAsync();

        var usage = await UsageAsync(tenant, "from=2026-11-02T09:30:00Z&to=2026-11-02T10:10:00Z&groupBy=department&interval=hour");

        Assert.Equal(("2026-11-02T09:00:00Z", "2026-11-02T11:00:00Z"), ((string)usage["from"]!, (string)usage["to"]!));
        var eng = Assert.Single(usage["series"]!.AsArray())!;
        Assert.Equal("eng", (string)eng["key"]!);
        Assert.Equal("2026-11-02T09:00:00Z=3/1.5 2026-11-02T10:00:00Z=7/1", Points(eng));

        var all = await UsageAsync(tenant, "from=2026-11-03T00:00:00Z&to=2026-11-04T00:00:00Z&groupBy=department&interval=hour");
        Assert.Null(Assert.Single(all["series"]!.AsArray())!["key"]);
    }

    [Theory]
    [InlineData("groupBy=subject", "ana bob cy")]
    [InlineData("groupBy=model", "gpt-large null")]
    [InlineData("groupBy=subject&operationClass=summaries", "ana cy")]
    [InlineData("groupBy=subject&limit=1", "ana")] // ana and bob used 5 each; ana cost more
    public async Task Usage_is_grouped_by_person_or_model_and_can_keep_one_class(string query, string keys)
    {
        var tenant = await TenantAsync();

        var usage = await UsageAsync(tenant, "from=2026-11-01T00:00:00Z&to=2026-11-05T00:00:00Z&" + query);

        Assert.Equal(keys, string.Join(" ", usage["series"]!.AsArray().Select(s => (string?)s!["key"] ?? "null").Order(StringComparer.Ordinal)));
    }

    /// <remarks>
    /// Per person without a class the API ranks from whole days plus the hours at the range's ends (ADR 0020); this
    /// ranks the hours themselves. dee used most on the first day, but before the range starts; eve most at its end.
    /// </remarks>
    [Theory]
    [InlineData("day", "2026-11-02T00:00:00Z", "2026-11-05T00:00:00Z")]
    [InlineData("hour", "2026-11-02T06:00:00Z", "2026-11-04T03:00:00Z")]
    [InlineData("hour", "2026-11-03T06:00:00Z", "2026-11-03T09:00:00Z")]
    public async Task The_top_people_and_their_points_are_those_of_the_hourly_rows(string interval, string from, string to)
    {
        var tenant = await _host.CreateTenantAsync("enterprise");
        var rows = new List<(string Subject, DateTimeOffset Hour, long Quantity, long Micro)>();
        async Task UseAsync(string subject, string hour, string operationClass, long quantity, long micro)
        {
            await HourAsync(tenant, hour, operationClass, "eng", subject, operationClass == "summaries" ? "gpt-large" : "", quantity, micro);
            rows.Add((subject, DateTimeOffset.Parse(hour, System.Globalization.CultureInfo.InvariantCulture), quantity, micro));
        }
        await UseAsync("dee", "2026-11-02T02:00:00Z", "drafts", 90, 0);
        await UseAsync("eve", "2026-11-04T02:00:00Z", "summaries", 30, 10);
        await UseAsync("eve", "2026-11-03T07:00:00Z", "drafts", 1, 0);
        for (var i = 0; i < 8; i++) // tied pairs: ann-0/ann-1 by quantity and cost (the key decides), bo-0/bo-1 by quantity (cost decides)
        {
            var day = $"2026-11-0{2 + i % 3}";
            await UseAsync($"ann-{i % 2}", $"{day}T0{6 + i % 3}:00:00Z", "summaries", 4 + i / 2, 1000);
            await UseAsync($"ann-{i % 2}", $"{day}T0{7 + i % 2}:00:00Z", "drafts", 2, 0);
            await UseAsync($"bo-{i % 2}", $"{day}T0{6 + i % 4}:00:00Z", "summaries", 4 + i / 2, 500 + i % 2);
            await UseAsync($"cy-{i}", $"{day}T08:00:00Z", i % 2 == 0 ? "drafts" : "summaries", 1 + i, 100 * i);
        }

        var usage = await UsageAsync(tenant, $"from={from}&to={to}&groupBy=subject&interval={interval}&limit=5");

        var (first, last, step) = (DateTimeOffset.Parse(from, System.Globalization.CultureInfo.InvariantCulture),
            DateTimeOffset.Parse(to, System.Globalization.CultureInfo.InvariantCulture), interval == "day" ? TimeSpan.FromDays(1) : TimeSpan.FromHours(1));
        var expected = rows.Where(r => r.Hour >= first && r.Hour < last)
            .GroupBy(r => r.Subject)
            .OrderByDescending(g => g.Sum(r => r.Quantity)).ThenByDescending(g => g.Sum(r => r.Micro)).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Take(5)
            .Select(g => g.Key + ": " + string.Join(" ", Enumerable.Range(0, (int)((last - first) / step)).Select(n => first + n * step).Select(t =>
            {
                var bucket = g.Where(r => r.Hour >= t && r.Hour < t + step).ToList();
                return $"{t.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}={bucket.Sum(r => r.Quantity)}/{bucket.Sum(r => r.Micro) / 1_000_000m}";
            })));
        Assert.Equal(expected, usage["series"]!.AsArray().Select(s => (string)s!["key"]! + ": " + Points(s)));
    }

    [Fact]
    public async Task Another_tenants_usage_never_shows()
    {
        await TenantAsync();
        var other = await _host.CreateTenantAsync("enterprise");

        var usage = await UsageAsync(other, "from=2026-11-01T00:00:00Z&to=2026-11-05T00:00:00Z&groupBy=subject");

        Assert.Empty(usage["series"]!.AsArray());
    }

    [Theory]
    [InlineData("groupBy=team", "groupBy")]
    [InlineData("interval=week", "interval")]
    [InlineData("from=yesterday", "from")]
    [InlineData("from=2026-11-05T00:00:00Z&to=2026-11-01T00:00:00Z", "from")]
    [InlineData("from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z&interval=hour", "interval")]
    [InlineData("from=2024-01-01T00:00:00Z&to=2026-03-01T00:00:00Z", "from")]
    [InlineData("operationClass=poetry", "operationClass")]
    [InlineData("limit=0", "limit")]
    public async Task A_bad_parameter_is_a_400_naming_it(string query, string field)
    {
        var answer = await Admin(await _host.CreateTenantAsync("enterprise")).SendAsync(HttpMethod.Get, "/v1/tenant/usage?" + query);

        Assert.Equal(400, answer.Status);
        Assert.NotNull(answer.Json["errors"]![field]);
    }

    [Fact]
    public async Task A_back_end_token_cannot_read_the_tenants_usage()
    {
        var tenant = await _host.CreateTenantAsync("enterprise");

        var answer = await _host.Client(TestTokens.For(tenant, "quota.check", "quota.consume")).SendAsync(HttpMethod.Get, "/v1/tenant/usage");

        Assert.Equal(403, answer.Status);
    }
}
