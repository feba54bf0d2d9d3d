using TenantQuota.Testing;
using TenantQuota.Worker.Webhooks;

namespace TenantQuota.Worker.Tests;

/// <summary>The webhook client's connect step against a real receiver on 127.0.0.1: refused unless loopback is allowed, by name or by address.</summary>
public sealed class WebhookConnectionTests
{
    private static HttpClient Client(bool allowLoopback) =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false, ConnectCallback = WebhookConnections.ToPublicAddresses(allowLoopback) });

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    public async Task A_receiver_on_a_loopback_address_is_refused_before_anything_is_sent(string host)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var url = new UriBuilder(receiver.Url) { Host = host }.Uri;
        using var guarded = Client(allowLoopback: false);
        using var allowed = Client(allowLoopback: true);

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => guarded.PostAsync(url, new StringContent("{}")));
        var answered = await allowed.PostAsync(url, new StringContent("{}"));

        Assert.Contains("not a public address", refused.Message + refused.InnerException?.Message);
        Assert.True(answered.IsSuccessStatusCode);
        Assert.Single(receiver.Requests); // only the allowed client's
    }
}
