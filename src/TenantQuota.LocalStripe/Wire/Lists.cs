using System.Text.Json.Nodes;

namespace TenantQuota.LocalStripe.Wire;

/// <summary>Stripe's list envelope and cursor pagination (NOTES.md §6): newest first, limit 1–100 (default 10).</summary>
internal static class Lists
{
    public static JsonObject Page(StripeCall call, string url, IEnumerable<JsonObject> newestFirst)
    {
        var limit = call.Params.Long("limit") ?? 10;
        if (limit is < 1 or > 100) throw StripeError.InvalidRequest("Invalid limit: must be between 1 and 100.", "limit");
        var after = call.Params.Text("starting_after");
        var before = call.Params.Text("ending_before");
        if (after is not null && before is not null)
            throw StripeError.InvalidRequest("You may only specify one of these parameters: ending_before, starting_after.", "ending_before");

        var items = newestFirst.ToList();
        List<JsonObject> page;
        bool hasMore;
        if (after is not null)
        {
            var rest = items.Skip(Position(items, after, "starting_after") + 1).ToList();
            (page, hasMore) = (rest.Take((int)limit).ToList(), rest.Count > limit);
        }
        else if (before is not null)
        {
            var newer = items.Take(Position(items, before, "ending_before")).ToList();
            (page, hasMore) = (newer.TakeLast((int)limit).ToList(), newer.Count > limit);
        }
        else
        {
            (page, hasMore) = (items.Take((int)limit).ToList(), items.Count > limit);
        }

        var list = Envelope(url, page.Select(i => i.DeepClone()), hasMore);
        return Objects.Expand(call, list);
    }

    public static JsonObject Envelope(string url, IEnumerable<JsonNode> data, bool hasMore = false) => new()
    {
        ["object"] = "list",
        ["data"] = new JsonArray([.. data]),
        ["has_more"] = hasMore,
        ["url"] = url,
    };

    private static int Position(List<JsonObject> items, string id, string param)
    {
        var index = items.FindIndex(i => (string?)i["id"] == id);
        return index >= 0 ? index : throw StripeError.InvalidRequest($"Invalid {param}: no object '{id}' in this list.", param);
    }
}
