using System.Text.Json.Nodes;
using Reqnroll;
using TenantQuota.Testing;

namespace TenantQuota.Features.Steps;

/// <summary>The message an answer carries, as the person who writes the copy reads it.</summary>
[Binding]
public sealed class CopySteps(ScenarioApi api)
{
    private JsonNode Message => api.RequireLast.Json["message"] ?? throw new Xunit.Sdk.XunitException($"The answer has no message: {api.RequireLast.Body}");

    [Given("the tenant is on the {word} tier")]
    public async Task TheTenantIsOnTier(string tier)
    {
        var answer = await api.PlatformAdmin().SendAsync(HttpMethod.Put, $"/v1/tenants/{api.RequireTenant}/tier", new { tier });
        Assert.Equal(200, answer.Status);
    }

    [Then("the messages were:")]
    public void TheMessagesWere(DataTable table)
    {
        foreach (var row in table.Rows)
        {
            var message = api.Answers[int.Parse(row["request"]) - 1].Json["message"];
            var seen = (message is null ? "none" : (string)message["severity"]!, message is null ? "" : (string)message["title"]!);
            Assert.True((row["severity"], row["title"]) == seen, $"request {row["request"]}: expected {row["severity"]} \"{row["title"]}\", got {seen.Item1} \"{seen.Item2}\"");
        }
    }

    [Then("the message severity is {string}")]
    public void TheSeverityIs(string severity) => Assert.Equal(severity, (string)Message["severity"]!);

    [Then("the message title is {string}")]
    public void TheTitleIs(string title) => Assert.Equal(title, (string)Message["title"]!);

    [Then("the message body is {string}")]
    public void TheBodyIs(string body) => Assert.Equal(body, (string)Message["body"]!);

    [Then("the message body starts with {string}")]
    public void TheBodyStartsWith(string start) => Assert.StartsWith(start, (string)Message["body"]!);

    [Then("the message body ends with {string}")]
    public void TheBodyEndsWith(string end) => Assert.EndsWith(end, (string)Message["body"]!);

    [Then("the message offers {string}")]
    public void TheMessageOffers(string label) => Assert.Equal(label, (string?)Message["cta"]?["label"]);

    [Then("the message offers no upgrade")]
    public void TheMessageOffersNoUpgrade() => Assert.Null(Message["cta"]);
}
