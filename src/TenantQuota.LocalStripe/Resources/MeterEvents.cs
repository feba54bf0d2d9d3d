using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using TenantQuota.LocalStripe.Wire;

namespace TenantQuota.LocalStripe.Resources;

/// <summary>
/// POST /v1/billing/meter_events and GET /v1/billing/meters/{id}/event_summaries, computed from the
/// events received (NOTES.md §7).
/// </summary>
internal static class MeterEvents
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromDays(35);
    private static readonly TimeSpan MaxAhead = TimeSpan.FromMinutes(5);

    public static void Map(IEndpointRouteBuilder app)
    {
        StripePipeline.Map(app, "POST", "/v1/billing/meter_events", Create);
        StripePipeline.Map(app, "GET", "/v1/billing/meters/{id}/event_summaries", Summaries);
    }

    /// <summary>
    /// Stripe validates most of this asynchronously (meter error reports); LocalStripe answers 400 at once,
    /// so a test sees the mistake: no active meter for the event name, no or unknown customer in the
    /// payload, a value that is not a number. A duplicate identifier within the dedupe window is not
    /// counted again and answers 400 "An event already exists with identifier …" with
    /// Stripe-Should-Retry: false (what Stripe is reported to answer; the official docs do not say).
    /// </summary>
    private static StripeReply Create(StripeCall call)
    {
        var form = call.Params;
        var eventName = form.String("event_name")!;
        var payload = Objects.Strings(form.Map("payload"));

        var timestamp = form.Long("timestamp") ?? call.Unix;
        if (timestamp < (call.Now - MaxAge).ToUnixTimeSeconds())
            throw StripeError.InvalidRequest("Invalid timestamp: it must be within the past 35 calendar days.", "timestamp");
        if (timestamp > (call.Now + MaxAhead).ToUnixTimeSeconds())
            throw StripeError.InvalidRequest("Invalid timestamp: it must be no more than 5 minutes in the future.", "timestamp");

        var meter = Meters.Active(call.Store, eventName)
            ?? throw StripeError.InvalidRequest($"No active meter has event_name '{eventName}'.", "event_name");
        var customerKey = (string)meter["customer_mapping"]!["event_payload_key"]!;
        var valueKey = (string)meter["value_settings"]!["event_payload_key"]!;
        if (!payload.TryGetValue(customerKey, out var customer))
            throw StripeError.InvalidRequest($"Missing required param: payload[{customerKey}] (the meter's customer key).", $"payload[{customerKey}]");
        if (call.Store.Find("customer", customer) is null)
            throw StripeError.NoSuch("customer", customer, $"payload[{customerKey}]");
        if ((string?)meter["default_aggregation"]!["formula"] != "count" && !TryValue(payload.GetValueOrDefault(valueKey), out _))
            throw StripeError.InvalidRequest($"Invalid payload[{valueKey}]: the meter's value key must hold a number, as a string.", $"payload[{valueKey}]");

        var identifier = form.Text("identifier") ?? Guid.NewGuid().ToString();
        if (call.Store.MeterEventsByIdentifier.TryGetValue(identifier, out var first) && call.Now - first.ReceivedAt < call.Settings.MeterEventDedupeWindow)
        {
            first.DuplicatesSeen++;
            var duplicate = StripeError.InvalidRequest($"An event already exists with identifier {identifier}.", "identifier");
            duplicate.Headers["Stripe-Should-Retry"] = "false";
            throw duplicate;
        }

        var json = Fixtures.Template("billing.meter_event");
        json["created"] = call.Unix;
        json["event_name"] = eventName;
        json["identifier"] = identifier;
        json["livemode"] = false;
        json["payload"] = Objects.ToJson(payload);
        json["timestamp"] = timestamp;

        var record = new MeterEventRecord(identifier, eventName, payload, timestamp, call.Now, call.RequestId ?? "", json);
        call.Store.MeterEvents.Add(record);
        call.Store.MeterEventsByIdentifier[identifier] = record;
        return StripeReply.Ok(Objects.Answer(call, json));
    }

    /// <summary>
    /// One summary for [start_time, end_time), or one per UTC hour/day with value_grouping_window, newest
    /// first. The meter's formula applies: sum, count, or last (the value of the latest event by timestamp).
    /// Both times must be whole minutes, as at Stripe. Unlike Stripe's, these are up to date at once.
    /// </summary>
    private static StripeReply Summaries(StripeCall call)
    {
        var form = call.Params;
        var meter = Meters.Find(call.Store, call.Route("id"));
        var meterId = (string)meter["id"]!;
        var customer = form.String("customer")!;
        var (start, end) = (form.Long("start_time")!.Value, form.Long("end_time")!.Value);
        if (start % 60 != 0) throw StripeError.InvalidRequest("Invalid start_time: it must be aligned with minute boundaries.", "start_time");
        if (end % 60 != 0) throw StripeError.InvalidRequest("Invalid end_time: it must be aligned with minute boundaries.", "end_time");
        if (end <= start) throw StripeError.InvalidRequest("Invalid end_time: it must be after start_time.", "end_time");

        var customerKey = (string)meter["customer_mapping"]!["event_payload_key"]!;
        var valueKey = (string)meter["value_settings"]!["event_payload_key"]!;
        var formula = (string)meter["default_aggregation"]!["formula"]!;
        var events = call.Store.MeterEvents
            .Where(e => e.EventName == (string)meter["event_name"]! && e.Payload.GetValueOrDefault(customerKey) == customer)
            .ToList();

        var summaries = Buckets(start, end, form.Text("value_grouping_window")).Reverse().Select(bucket =>
        {
            var inside = events.Where(e => e.Timestamp >= bucket.Start && e.Timestamp < bucket.End).ToList();
            var value = formula switch
            {
                "count" => inside.Count,
                "last" => inside.OrderBy(e => e.Timestamp).Select(e => Value(e, valueKey)).LastOrDefault(),
                _ => inside.Sum(e => Value(e, valueKey)),
            };
            var summary = Fixtures.Template("billing.meter_event_summary");
            summary["id"] = SummaryId(meterId, customer, bucket.Start, bucket.End);
            summary["aggregated_value"] = (double)value;
            summary["start_time"] = bucket.Start;
            summary["end_time"] = bucket.End;
            summary["livemode"] = false;
            summary["meter"] = meterId;
            return summary;
        });
        return StripeReply.Ok(Lists.Page(call, $"/v1/billing/meters/{meterId}/event_summaries", summaries));
    }

    private static IEnumerable<(long Start, long End)> Buckets(long start, long end, string? window)
    {
        if (window is null)
        {
            yield return (start, end);
            yield break;
        }
        var size = window == "day" ? 86_400L : 3_600L;
        for (var bucket = start - start % size; bucket < end; bucket += size)
            yield return (Math.Max(bucket, start), Math.Min(bucket + size, end));
    }

    private static decimal Value(MeterEventRecord e, string valueKey) => TryValue(e.Payload.GetValueOrDefault(valueKey), out var value) ? value : 0;

    private static bool TryValue(string? text, out decimal value) =>
        decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    /// <summary>Stable, so that starting_after finds a summary again in a recomputed list.</summary>
    private static string SummaryId(string meter, string customer, long start, long end) =>
        "mtrusg_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{meter}|{customer}|{start}|{end}")))[..32];
}
