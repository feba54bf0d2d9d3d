using System.Text.Json.Nodes;
using TenantQuota.Testing;

namespace TenantQuota.Api.Tests.Billing;

/// <summary>The billing operations in the OpenAPI document: described, tagged, with their problems; the webhook without bearer auth.</summary>
public sealed class BillingApiDocumentTests(ApiHostFixture fixture) : IClassFixture<ApiHostFixture>
{
    private readonly ApiHost _host = fixture.Host;

    [Theory]
    [InlineData("/v1/billing/catalog/sync", "SyncBillingCatalog", false, "502,503")]
    [InlineData("/v1/billing/checkout-sessions", "CreateCheckoutSession", true, "400,409,413,415,502,503")]
    [InlineData("/v1/billing/portal-sessions", "CreatePortalSession", true, "400,409,413,415,502,503")]
    [InlineData("/v1/billing/stripe/webhook", "ReceiveStripeWebhook", true, "400,413,503")]
    public async Task Describes_each_billing_operation_with_its_id_tag_body_and_problems(string path, string id, bool hasBody, string problems)
    {
        var operation = await OperationAsync(path);

        Assert.Equal((id, "Billing"), ((string)operation["operationId"]!, (string)operation["tags"]![0]!));
        Assert.False(string.IsNullOrWhiteSpace((string?)operation["summary"]));
        Assert.False(string.IsNullOrWhiteSpace((string?)operation["description"]));
        Assert.Equal(hasBody, operation["requestBody"]?["required"]?.GetValue<bool>() == true);
        Assert.All(problems.Split(','), status => Assert.NotNull(operation["responses"]![status]!["content"]!["application/problem+json"]));
    }

    [Fact]
    public async Task Documents_the_webhook_as_signed_by_Stripe_not_by_a_bearer_token()
    {
        var operation = await OperationAsync("/v1/billing/stripe/webhook");

        Assert.Empty(operation["security"]!.AsArray());
        var signature = operation["parameters"]!.AsArray().Single(p => (string)p!["name"]! == "Stripe-Signature")!;
        Assert.Equal(("header", true), ((string)signature["in"]!, (bool)signature["required"]!));
    }

    [Fact]
    public async Task Describes_the_Billing_tag()
    {
        var document = (await _host.Client().SendAsync(HttpMethod.Get, "/openapi/v1.json")).Json;

        Assert.Contains(document["tags"]!.AsArray(), t => (string)t!["name"]! == "Billing" && !string.IsNullOrWhiteSpace((string?)t["description"]));
    }

    private async Task<JsonNode> OperationAsync(string path) =>
        (await _host.Client().SendAsync(HttpMethod.Get, "/openapi/v1.json")).Json["paths"]![path]!["post"]!;
}
