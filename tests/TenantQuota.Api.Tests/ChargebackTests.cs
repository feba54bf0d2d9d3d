using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using TenantQuota.Testing;

namespace TenantQuota.Api.Tests;

/// <summary>A month's chargeback: the tenant's own recorded usage in its own calendar month, as JSON or CSV, totals to the micro-dollar.</summary>
public sealed class ChargebackTests(ApiHostFixture fixture) : IClassFixture<ApiHostFixture>
{
    private const string NewYork = "America/New_York";
    private readonly ApiHost _host = fixture.Host;

    private sealed record Tenant(string Id, HttpClient Admin, HttpClient Backend);

    private async Task<Tenant> TenantAsync(string timeZone = "UTC")
    {
        var id = await _host.CreateTenantAsync("enterprise", timeZone);
        return new Tenant(id, _host.Client(TestTokens.For(id, "tenant.admin")), _host.Client(TestTokens.For(id, "quota.check", "quota.consume")));
    }

    private static Task<ApiAnswer> Chargeback(Tenant t, string month) => t.Admin.SendAsync(HttpMethod.Get, $"/v1/tenant/chargeback?month={month}");

    private static async Task<ApiAnswer> Consume(Tenant t, string subject, string operationClass, string? model = null, long input = 0, long output = 0,
        long? quantity = null)
    {
        var answer = await t.Backend.ConsumeAsync(new
        {
            subjectId = subject, operationClass, quantity, idempotencyKey = Guid.NewGuid().ToString("N"), model,
            tokens = model is null ? null : new { input, output },
        });
        Assert.True(answer.Status == 200 && answer.Allowed, $"consume answered {answer.Status} {answer.Body}");
        return answer;
    }

    private static async Task Place(Tenant t, string subject, string department)
    {
        await t.Admin.SendAsync(HttpMethod.Put, $"/v1/tenant/departments/{department}", new { name = department });
        var placed = await t.Admin.SendAsync(HttpMethod.Put, $"/v1/tenant/subjects/{subject}", new { departmentId = department });
        Assert.True(placed.Status == 200, $"placing {subject} answered {placed.Status} {placed.Body}");
    }

    private static JsonArray Rows(ApiAnswer answer) => answer.Json["rows"]!.AsArray();

    private static string Line(JsonNode row) =>
        $"{row["departmentId"]},{row["subjectId"]},{row["operationClass"]},{row["model"]},{row["quantity"]},{row["inputTokens"]},{row["outputTokens"]},{row["usd"]}";

    [Fact]
    public async Task Totals_equal_the_records_of_the_month_in_the_tenants_zone_and_the_rows_add_up_to_them()
    {
        var t = await TenantAsync(NewYork);
        var other = await TenantAsync(NewYork);
        _host.Clock.Set("2026-10-15T12:00:00Z");
        await Consume(t, "template", "chat", "gpt-large", 1200, 300);
        // 400 records per tenant, copied from that consume's row: in and around November in New York (a microsecond either side of each
        // boundary, which lies four and five hours after UTC's), denied ones among them, and the same again for another tenant.
        await GenerateAsync(from: t.Id, subject: "template", into: t.Id);
        await GenerateAsync(from: t.Id, subject: "template", into: other.Id);

        var answer = await Chargeback(t, "2026-11");

        Assert.Equal(200, answer.Status);
        var expected = await RecordsOfNovemberInNewYorkAsync(t.Id);
        var totals = answer.Json["totals"]!;
        Assert.Equal(expected, ((long)totals["quantity"]!, (long)totals["inputTokens"]!, (long)totals["outputTokens"]!, (decimal)totals["usd"]!,
            (long)totals["records"]!));
        Assert.InRange(expected.Records, 100, 399); // the boundaries and denials left some out
        var rows = Rows(answer).Select(r => r!).ToList();
        Assert.Equal((expected.Quantity, expected.InputTokens, expected.OutputTokens, expected.Usd),
            (rows.Sum(r => (long)r["quantity"]!), rows.Sum(r => (long)r["inputTokens"]!), rows.Sum(r => (long)r["outputTokens"]!), rows.Sum(r => (decimal)r["usd"]!)));
        Assert.All(rows, r => Assert.StartsWith("p", (string)r["subjectId"]!));
        Assert.Equal(rows.Select(Line), rows.OrderBy(r => r["departmentId"] is null).ThenBy(r => (string?)r["departmentId"], StringComparer.Ordinal)
            .ThenBy(r => (string)r["subjectId"]!, StringComparer.Ordinal).ThenBy(r => (string)r["operationClass"]!, StringComparer.Ordinal)
            .ThenBy(r => r["model"] is null).ThenBy(r => (string?)r["model"], StringComparer.Ordinal).Select(Line));
        Assert.Equal(("2026-11", "usd", NewYork, "2026-11-01T04:00:00Z", "2026-12-01T05:00:00Z"), ((string)answer.Json["month"]!,
            (string)answer.Json["currency"]!, (string)answer.Json["timeZone"]!, (string)answer.Json["from"]!, (string)answer.Json["to"]!));
    }

    [Fact]
    public async Task Each_person_is_charged_to_the_department_they_were_in_with_what_the_consume_said_it_cost()
    {
        var t = await TenantAsync();
        _host.Clock.Set("2026-12-10T12:00:00Z");
        await Place(t, "ana", "marketing");
        var chats = new[] { await Consume(t, "ana", "chat", "gpt-large", 1200, 300), await Consume(t, "ana", "chat", "gpt-large", 1200, 300) };
        var summary = await Consume(t, "ana", "summaries", "gpt-small", 1000, 100);
        await Consume(t, "bob", "summaries", quantity: 2);
        await Place(t, "ana", "sales");
        var afterMove = await Consume(t, "ana", "chat", "gpt-large", 10, 5);

        var answer = await Chargeback(t, "2026-12");

        decimal Cost(params ApiAnswer[] consumes) => consumes.Sum(c => (decimal)c.Json["costUsd"]!);
        Assert.Equal([
            $"marketing,ana,chat,gpt-large,3000,2400,600,{Cost(chats)}",
            $"marketing,ana,summaries,gpt-small,1,1000,100,{Cost(summary)}",
            $"sales,ana,chat,gpt-large,15,10,5,{Cost(afterMove)}",
            ",bob,summaries,,2,0,0,0",
        ], Rows(answer).Select(r => Line(r!)));
        Assert.Equal(0.0096m, Cost(chats)); // gpt-large from 2026-12-01: $2 per 1M input, $8 per 1M output
        var totals = answer.Json["totals"]!;
        Assert.Equal((3018L, Cost(chats) + Cost(summary) + Cost(afterMove), 5L),
            ((long)totals["quantity"]!, (decimal)totals["usd"]!, (long)totals["records"]!));
    }

    [Fact]
    public async Task With_accept_text_csv_the_same_rows_download_as_csv_that_cannot_run_a_formula()
    {
        var t = await TenantAsync();
        _host.Clock.Set("2026-12-10T12:00:00Z");
        await Place(t, "ana", "marketing");
        await Consume(t, "ana", "chat", "gpt-large", 1200, 300);
        await Consume(t, "=cmd,\"x\"", "summaries", quantity: 2);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/tenant/chargeback?month=2026-12");
        request.Headers.Accept.Add(MediaTypeWithQualityHeaderValue.Parse("text/csv; charset=utf-8"));

        var csv = await t.Admin.SendAsync(request);
        var json = await Chargeback(t, "2026-12");

        var text = await csv.Content.ReadAsStringAsync();
        Assert.Equal(("text/csv; charset=utf-8", $"attachment; filename=\"chargeback-{t.Id}-2026-12.csv\""),
            (csv.Content.Headers.ContentType!.ToString(), csv.Content.Headers.ContentDisposition!.ToString()));
        Assert.Contains("\"'=cmd,\"\"x\"\"\"", text);
        var lines = ParseCsv(text);
        Assert.Equal("departmentId,subjectId,operationClass,model,quantity,inputTokens,outputTokens,usd", string.Join(',', lines[0]));
        Assert.Equal(Rows(json).Select(r => Line(r!).Replace("=cmd,\"x\"", "'=cmd,\"x\"", StringComparison.Ordinal)),
            lines.Skip(1).Select(fields => string.Join(',', fields)));
        Assert.Equal(3, lines.Count);
    }

    [Theory]
    [InlineData(null, "json")]
    [InlineData("text/csv", "csv")]
    [InlineData("application/json", "json")]
    [InlineData("*/*", "json")]
    [InlineData("application/json;q=0.5, text/csv", "csv")]
    [InlineData("text/csv;q=0.5, application/json", "json")]
    public async Task The_accept_header_chooses_json_or_csv(string? accept, string format)
    {
        var t = await TenantAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/tenant/chargeback?month=2026-12");
        if (accept is not null) request.Headers.TryAddWithoutValidation("Accept", accept);

        var answer = await t.Admin.SendAsync(request);

        Assert.Equal(format == "csv" ? "text/csv" : "application/json", answer.Content.Headers.ContentType!.MediaType);
    }

    [Theory]
    [InlineData("")]
    [InlineData("?month=")]
    [InlineData("?month=2026-13")]
    [InlineData("?month=2026-00")]
    [InlineData("?month=2026-1")]
    [InlineData("?month=nov")]
    [InlineData("?month=2026-11-01")]
    [InlineData("?month=1999-12")]
    [InlineData("?month=2101-01")]
    [InlineData("?month=%EF%BC%92026-11")] // a full-width digit
    public async Task A_month_that_is_not_YYYY_MM_is_a_400_naming_month(string query)
    {
        var t = await TenantAsync();

        var answer = await t.Admin.SendAsync(HttpMethod.Get, $"/v1/tenant/chargeback{query}");

        Assert.Equal(400, answer.Status);
        Assert.NotNull(answer.Json["errors"]!["month"]);
    }

    [Fact]
    public async Task A_month_without_records_is_empty_and_a_back_end_token_may_not_read_it()
    {
        var t = await TenantAsync();

        var future = await Chargeback(t, "2100-12");
        var backend = await t.Backend.SendAsync(HttpMethod.Get, "/v1/tenant/chargeback?month=2100-12");

        Assert.Equal((200, 0, 0L, 0m), (future.Status, Rows(future).Count, (long)future.Json["totals"]!["quantity"]!, (decimal)future.Json["totals"]!["usd"]!));
        Assert.Equal(403, backend.Status);
    }

    /// <summary>RFC 4180 read back: quoted fields may hold commas, doubled quotes and line breaks; lines end with CRLF.</summary>
    private static List<List<string>> ParseCsv(string text)
    {
        var lines = new List<List<string>>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted && c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
            else if (c == '"') quoted = !quoted;
            else if (!quoted && c == ',') { fields.Add(field.ToString()); field.Clear(); }
            else if (!quoted && c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                fields.Add(field.ToString());
                field.Clear();
                lines.Add(fields);
                fields = [];
                i++;
            }
            else field.Append(c);
        }
        Assert.True(fields.Count == 0 && field.Length == 0, "the CSV ends with CRLF");
        return lines;
    }

    /// <summary>Copies of one real record (so every column has a value the ledger would write), varied where the chargeback looks.</summary>
    private static async Task GenerateAsync(string from, string subject, string into)
    {
        await using var command = ApiHost.Database.CreateCommand("""
            INSERT INTO usage_records OVERRIDING SYSTEM VALUE
            SELECT copy.*
              FROM usage_records template
             CROSS JOIN generate_series(1, 400) g
             CROSS JOIN (SELECT timestamp '2026-11-01' AT TIME ZONE 'America/New_York' AS starts,
                                timestamp '2026-12-01' AT TIME ZONE 'America/New_York' AS ends) november
             CROSS JOIN LATERAL jsonb_populate_record(template, jsonb_build_object(
                 'id', nextval(pg_get_serial_sequence('usage_records', 'id')),
                 'tenant_id', $3::text,
                 'idempotency_key', 'generated-' || g,
                 'subject_id', 'p' || g % 37,
                 'operation_class', (ARRAY['summaries', 'chat', 'drafts'])[1 + g % 3],
                 'quantity', 1 + g % 9,
                 'recorded', g % 11 <> 0,
                 'department_id', CASE WHEN g % 4 = 0 THEN NULL ELSE 'd' || g % 4 END,
                 'model', CASE WHEN g % 5 = 0 THEN NULL ELSE (ARRAY['gpt-large', 'gpt-small'])[1 + g % 2] END,
                 'input_tokens', CASE WHEN g % 5 = 0 THEN NULL ELSE 10 * g END,
                 'output_tokens', CASE WHEN g % 5 = 0 THEN NULL ELSE 3 * g END,
                 'cost_micro_usd', CASE WHEN g % 7 = 0 THEN NULL ELSE 1234 * g + 1 END,
                 'created_at', CASE g % 10 WHEN 0 THEN november.starts - interval '1 microsecond' WHEN 1 THEN november.starts
                                           WHEN 2 THEN november.ends - interval '1 microsecond' WHEN 3 THEN november.ends
                                           ELSE november.starts + g * interval '1 hour' END)) copy
             WHERE template.tenant_id = $1 AND template.subject_id = $2
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = from });
        command.Parameters.Add(new NpgsqlParameter { Value = subject });
        command.Parameters.Add(new NpgsqlParameter { Value = into });
        Assert.Equal(400, await command.ExecuteNonQueryAsync());
    }

    /// <summary>The sums over the tenant's recorded usage of November in New York, with PostgreSQL's own time zone rules.</summary>
    private static async Task<(long Quantity, long InputTokens, long OutputTokens, decimal Usd, long Records)> RecordsOfNovemberInNewYorkAsync(string tenant)
    {
        await using var command = ApiHost.Database.CreateCommand("""
            SELECT sum(quantity)::bigint, coalesce(sum(input_tokens), 0)::bigint, coalesce(sum(output_tokens), 0)::bigint,
                   coalesce(sum(cost_micro_usd), 0)::bigint, count(*)
              FROM usage_records
             WHERE tenant_id = $1 AND recorded
               AND created_at >= timestamp '2026-11-01' AT TIME ZONE 'America/New_York'
               AND created_at < timestamp '2026-12-01' AT TIME ZONE 'America/New_York'
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3) / 1_000_000m, reader.GetInt64(4));
    }
}
