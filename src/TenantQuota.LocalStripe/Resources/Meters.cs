using System.Text.Json.Nodes;
using TenantQuota.LocalStripe.Wire;

namespace TenantQuota.LocalStripe.Resources;

/// <summary>
/// POST/GET /v1/billing/meters, GET/POST /v1/billing/meters/{id} (display_name only, as at Stripe),
/// POST …/deactivate and …/reactivate. An event_name belongs to one meter, inactive ones included.
/// </summary>
internal static class Meters
{
    public static void Map(IEndpointRouteBuilder app)
    {
        StripePipeline.Map(app, "POST", "/v1/billing/meters", Create);
        StripePipeline.Map(app, "GET", "/v1/billing/meters", List);
        StripePipeline.Map(app, "GET", "/v1/billing/meters/{id}", Get);
        StripePipeline.Map(app, "POST", "/v1/billing/meters/{id}", Update);
        StripePipeline.Map(app, "POST", "/v1/billing/meters/{id}/deactivate", call => SetStatus(call, "inactive"));
        StripePipeline.Map(app, "POST", "/v1/billing/meters/{id}/reactivate", call => SetStatus(call, "active"));
    }

    private static StripeReply Create(StripeCall call)
    {
        var form = call.Params;
        Modeled.Only(call, "customer_mapping", "default_aggregation", "display_name", "event_name", "event_time_window", "value_settings");
        var eventName = form.String("event_name")!;
        if (call.Store.Newest("billing.meter").FirstOrDefault(m => (string?)m["event_name"] == eventName) is { } existing)
            throw StripeError.InvalidRequest($"A meter ('{existing["id"]}', {existing["status"]}) already uses event_name '{eventName}'.", "event_name");

        var meter = Fixtures.Template("billing.meter");
        meter["id"] = Ids.New("mtr_test");
        meter["created"] = call.Unix;
        meter["updated"] = call.Unix;
        meter["livemode"] = false;
        meter["display_name"] = form.String("display_name");
        meter["event_name"] = eventName;
        meter["event_time_window"] = form.Text("event_time_window");
        meter["status"] = "active";
        meter["status_transitions"] = new JsonObject { ["deactivated_at"] = null };
        meter["default_aggregation"] = new JsonObject { ["formula"] = form.Map("default_aggregation")!.String("formula") };
        meter["customer_mapping"] = new JsonObject
        {
            ["event_payload_key"] = form.Map("customer_mapping")?.Text("event_payload_key") ?? "stripe_customer_id",
            ["type"] = "by_id",
        };
        meter["value_settings"] = new JsonObject { ["event_payload_key"] = form.Map("value_settings")?.Text("event_payload_key") ?? "value" };
        call.Store.Add(meter);
        return StripeReply.Ok(Objects.Answer(call, meter));
    }

    /// <summary>The active meter that counts events named <paramref name="eventName"/>.</summary>
    public static JsonObject? Active(StripeStore store, string eventName) =>
        store.Newest("billing.meter").FirstOrDefault(m => (string?)m["event_name"] == eventName && (string?)m["status"] == "active");

    public static JsonObject Find(StripeStore store, string id) => store.Find("billing.meter", id) ?? throw StripeError.NotFound("billing meter", id);

    private static StripeReply Get(StripeCall call) => StripeReply.Ok(Objects.Answer(call, Find(call.Store, call.Route("id"))));

    private static StripeReply Update(StripeCall call)
    {
        var meter = Find(call.Store, call.Route("id"));
        if (call.Params.Text("display_name") is { } name) meter["display_name"] = name;
        meter["updated"] = call.Unix;
        return StripeReply.Ok(Objects.Answer(call, meter));
    }

    private static StripeReply SetStatus(StripeCall call, string status)
    {
        var meter = Find(call.Store, call.Route("id"));
        if ((string?)meter["status"] == status)
            throw StripeError.InvalidRequest($"The meter '{meter["id"]}' is already {status}.", "id");
        meter["status"] = status;
        meter["status_transitions"] = new JsonObject { ["deactivated_at"] = status == "inactive" ? call.Unix : null };
        meter["updated"] = call.Unix;
        return StripeReply.Ok(Objects.Answer(call, meter));
    }

    private static StripeReply List(StripeCall call)
    {
        var status = call.Params.Text("status");
        var meters = call.Store.Newest("billing.meter").Where(m => status is null || (string?)m["status"] == status);
        return StripeReply.Ok(Lists.Page(call, "/v1/billing/meters", meters));
    }
}
