using System.Text.Json.Nodes;
using TenantQuota.LocalStripe.Wire;

namespace TenantQuota.LocalStripe.Resources;

/// <summary>POST/GET /v1/products, GET/POST /v1/products/{id}.</summary>
internal static class Products
{
    private static readonly string[] Fields = ["active", "description", "metadata", "name", "statement_descriptor", "unit_label", "url"];

    public static void Map(IEndpointRouteBuilder app)
    {
        StripePipeline.Map(app, "POST", "/v1/products", Create);
        StripePipeline.Map(app, "GET", "/v1/products", List);
        StripePipeline.Map(app, "GET", "/v1/products/{id}", Get);
        StripePipeline.Map(app, "POST", "/v1/products/{id}", Update);
    }

    private static StripeReply Create(StripeCall call)
    {
        Modeled.Only(call, [.. Fields, "id"]);
        var id = call.Params.Text("id") ?? Ids.New("prod", 14);
        if (call.Store.Contains(id)) throw StripeError.InvalidRequest($"Product already exists: '{id}'.", "id", "resource_already_exists");
        var product = New(call, id, call.Params.String("name")!);
        Apply(product, call.Params);
        call.Store.Add(product);
        return StripeReply.Ok(Objects.Answer(call, product));
    }

    /// <summary>A new product, not yet stored (prices create one from <c>product_data</c>).</summary>
    public static JsonObject New(StripeCall call, string id, string name)
    {
        var product = Fixtures.Template("product");
        product["id"] = id;
        product["name"] = name;
        product["active"] = true;
        product["created"] = call.Unix;
        product["updated"] = call.Unix;
        product["default_price"] = null;
        product["description"] = null;
        product["metadata"] = new JsonObject();
        product["package_dimensions"] = null;
        product["type"] = "service";
        return product;
    }

    private static void Apply(JsonObject product, FormMap form)
    {
        Modeled.SetStrings(product, form, "description", "statement_descriptor", "unit_label", "url");
        if (form.Text("name") is { } name) product["name"] = name;
        if (form.Bool("active") is { } active) product["active"] = active;
        Objects.ApplyMetadata(product, form["metadata"]);
    }

    private static StripeReply Update(StripeCall call)
    {
        var product = Find(call, call.Route("id"));
        Apply(product, call.Params);
        product["updated"] = call.Unix;
        return StripeReply.Ok(Objects.Answer(call, product));
    }

    private static StripeReply Get(StripeCall call) => StripeReply.Ok(Objects.Answer(call, Find(call, call.Route("id"))));

    private static StripeReply List(StripeCall call)
    {
        var active = call.Params.Bool("active");
        var ids = call.Params.Strings("ids");
        var products = call.Store.Newest("product")
            .Where(p => active is null || (bool)p["active"]! == active)
            .Where(p => ids.Count == 0 || ids.Contains((string)p["id"]!));
        return StripeReply.Ok(Lists.Page(call, "/v1/products", products));
    }

    private static JsonObject Find(StripeCall call, string id) => call.Store.Find("product", id) ?? throw StripeError.NotFound("product", id);
}
