using TenantQuota.LocalStripe.Wire;

namespace TenantQuota.LocalStripe.Resources;

/// <summary>GET /v1/events and GET /v1/events/{id}: every event LocalStripe has emitted, whether or not it was delivered.</summary>
internal static class Events
{
    public static void Map(IEndpointRouteBuilder app)
    {
        StripePipeline.Map(app, "GET", "/v1/events", List);
        StripePipeline.Map(app, "GET", "/v1/events/{id}", Get);
    }

    private static StripeReply Get(StripeCall call)
    {
        var id = call.Route("id");
        return StripeReply.Ok(Objects.Answer(call, call.Store.Find("event", id) ?? throw StripeError.NotFound("event", id)));
    }

    private static StripeReply List(StripeCall call)
    {
        var type = call.Params.Text("type");
        var types = call.Params.Strings("types");
        var events = call.Store.Newest("event")
            .Where(e => type is null || Matches((string)e["type"]!, type))
            .Where(e => types.Count == 0 || types.Any(t => Matches((string)e["type"]!, t)));
        return StripeReply.Ok(Lists.Page(call, "/v1/events", events));
    }

    /// <summary>Stripe's filter: an exact type, or a prefix with a wildcard (customer.subscription.*).</summary>
    private static bool Matches(string type, string filter) =>
        filter.EndsWith(".*", StringComparison.Ordinal) ? type.StartsWith(filter[..^1], StringComparison.Ordinal) : type == filter;
}
