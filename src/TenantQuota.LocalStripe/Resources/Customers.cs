using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using TenantQuota.LocalStripe.Wire;

namespace TenantQuota.LocalStripe.Resources;

/// <summary>POST/GET /v1/customers, GET/POST /v1/customers/{customer}, GET /v1/customers/search.</summary>
internal static partial class Customers
{
    private static readonly string[] Fields = ["address", "description", "email", "metadata", "name", "phone", "preferred_locales"];

    public static void Map(IEndpointRouteBuilder app)
    {
        StripePipeline.Map(app, "POST", "/v1/customers", Create);
        StripePipeline.Map(app, "GET", "/v1/customers", List);
        StripePipeline.Map(app, "GET", "/v1/customers/search", Search);
        StripePipeline.Map(app, "GET", "/v1/customers/{customer}", Get);
        StripePipeline.Map(app, "POST", "/v1/customers/{customer}", Update);
    }

    private static StripeReply Create(StripeCall call)
    {
        Modeled.Only(call, Fields);
        var customer = New(call);
        Apply(customer, call);
        call.Store.Add(customer);
        return StripeReply.Ok(Objects.Answer(call, customer));
    }

    /// <summary>A new customer, not yet stored (checkout creates one when its session has none).</summary>
    public static JsonObject New(StripeCall call)
    {
        var customer = Fixtures.Template("customer");
        customer["id"] = Ids.New("cus", 14);
        customer["created"] = call.Unix;
        customer["currency"] = null;
        customer["discount"] = null;
        customer["shipping"] = null;
        customer["email"] = null;
        customer["name"] = null;
        customer["description"] = null;
        customer["phone"] = null;
        customer["metadata"] = new JsonObject();
        customer["preferred_locales"] = new JsonArray();
        customer["invoice_prefix"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(4));
        return customer;
    }

    private static void Apply(JsonObject customer, StripeCall call)
    {
        var form = call.Params;
        Modeled.SetStrings(customer, form, "description", "email", "name", "phone");
        Objects.ApplyMetadata(customer, form["metadata"]);
        if (form.Has("preferred_locales"))
            customer["preferred_locales"] = new JsonArray([.. form.Strings("preferred_locales").Select(l => (JsonNode)l)]);
        if (form["address"] is FormMap address)
            customer["address"] = new JsonObject(new[] { "city", "country", "line1", "line2", "postal_code", "state" }
                .Select(k => KeyValuePair.Create(k, (JsonNode?)address.Text(k))));
        else if (form.String("address") == "")
            customer["address"] = null;
    }

    private static StripeReply Get(StripeCall call) =>
        StripeReply.Ok(Objects.Answer(call, Find(call, call.Route("customer"))));

    private static StripeReply Update(StripeCall call)
    {
        Modeled.Only(call, Fields);
        var customer = Find(call, call.Route("customer"));
        Apply(customer, call);
        return StripeReply.Ok(Objects.Answer(call, customer));
    }

    private static StripeReply List(StripeCall call)
    {
        var email = call.Params.Text("email");
        var customers = call.Store.Newest("customer").Where(c => email is null || (string?)c["email"] == email);
        return StripeReply.Ok(Lists.Page(call, "/v1/customers", customers));
    }

    private static JsonObject Find(StripeCall call, string id) =>
        call.Store.Find("customer", id) ?? throw StripeError.NotFound("customer", id);

    /// <summary>
    /// Stripe's search language, the part we need: <c>field:'value'</c> clauses joined by AND, on email, name,
    /// phone and <c>metadata['key']</c>, exact match. Unlike Stripe's (which lags writes by up to a minute),
    /// this index is immediate: do not rely on that.
    /// </summary>
    private static StripeReply Search(StripeCall call)
    {
        var query = call.Params.String("query")!;
        var clauses = query.Split(" AND ", StringSplitOptions.TrimEntries).Select(text =>
        {
            var match = SearchClause().Match(text);
            if (!match.Success)
                throw StripeError.NotImplemented($"this search query ('{text}'): it takes field:'value' clauses joined by AND on email, name, phone or metadata['key']", "query");
            return (Field: match.Groups["key"].Success ? $"metadata.{match.Groups["key"].Value}" : match.Groups["field"].Value, Value: match.Groups["value"].Value);
        }).ToList();

        var limit = (int)(call.Params.Long("limit") ?? 10);
        if (limit is < 1 or > 100) throw StripeError.InvalidRequest("Invalid limit: must be between 1 and 100.", "limit");
        var offset = call.Params.Text("page") is { } page && page.StartsWith("page_", StringComparison.Ordinal) && int.TryParse(page[5..], out var o) ? o : 0;

        var matches = call.Store.Newest("customer").Where(c => clauses.All(clause => Value(c, clause.Field) == clause.Value)).ToList();
        var data = matches.Skip(offset).Take(limit).Select(c => c.DeepClone()).ToList();
        var hasMore = matches.Count > offset + limit;
        var result = new JsonObject
        {
            ["object"] = "search_result",
            ["data"] = new JsonArray([.. data]),
            ["has_more"] = hasMore,
            ["next_page"] = hasMore ? $"page_{offset + limit}" : null,
            ["url"] = "/v1/customers/search",
        };
        return StripeReply.Ok(Objects.Expand(call, result));
    }

    private static string? Value(JsonObject customer, string field) => field.StartsWith("metadata.", StringComparison.Ordinal)
        ? (string?)customer["metadata"]?[field[9..]]
        : (string?)customer[field];

    [GeneratedRegex("""^(?<field>email|name|phone|metadata\[(?<q>['"])(?<key>[^'"]+)\k<q>\])\s*:\s*(?<v>['"])(?<value>[^'"]*)\k<v>$""")]
    private static partial Regex SearchClause();
}
