using TenantQuota.Domain.Governance;

namespace TenantQuota.Domain.Tests;

/// <summary>The pure rules of alerts and their delivery: when a threshold opens and closes, how deliveries are signed and retried.</summary>
public sealed class GovernanceRulesTests
{
    private static readonly decimal[] Thresholds = [0.7m, 0.9m, 1.0m];

    [Theory]
    [InlineData(69, "", "", "")]
    [InlineData(70, "", "0.7", "")]
    [InlineData(95, "0.7", "0.9", "")]
    [InlineData(120, "0.7 0.9", "1.0", "")]
    [InlineData(120, "0.7 0.9 1.0", "", "")]
    [InlineData(80, "0.7 0.9 1.0", "", "0.9 1.0")] // a raised limit: 80 of 100 now
    [InlineData(0, "0.7 0.9 1.0", "", "0.7 0.9 1.0")] // a new period
    public void A_threshold_opens_when_usage_reaches_it_and_closes_when_usage_is_back_under(long used, string open, string raised, string recovered)
    {
        var changes = ThresholdAlerts.Evaluate(Thresholds, used, 100, Set(open));

        Assert.Equal(Set(raised).Order(), changes.Raise);
        Assert.Equal(Set(recovered).Order(), changes.Recover);
    }

    [Fact]
    public void An_open_threshold_the_budget_no_longer_has_closes()
    {
        var changes = ThresholdAlerts.Evaluate([0.9m], used: 100, limit: 100, open: Set("0.5 0.9"));

        Assert.Equal([0.5m], changes.Recover);
        Assert.Empty(changes.Raise);
    }

    [Fact]
    public void Reaching_is_exact_and_a_zero_limit_is_reached_by_any_use()
    {
        Assert.False(ThresholdAlerts.Reached(0.9m, 899_999, 1_000_000));
        Assert.True(ThresholdAlerts.Reached(0.9m, 900_000, 1_000_000));
        Assert.False(ThresholdAlerts.Reached(0.5m, 0, 0));
        Assert.True(ThresholdAlerts.Reached(0.5m, 1, 0));
    }

    private static HashSet<decimal> Set(string values) =>
        values.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(v => decimal.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();

    private static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_signature_verifies_for_its_body_and_secret_within_five_minutes_only()
    {
        const string body = """{"id":"evt_1","type":"alert.recovered"}""";
        var header = WebhookSignature.Sign("whsec_a", Now, body);

        Assert.Matches(@"^t=\d+,v1=[0-9a-f]{64}$", header);
        Assert.True(WebhookSignature.Verify(header, "whsec_a", body, Now.AddSeconds(300)));
        Assert.False(WebhookSignature.Verify(header, "whsec_a", body, Now.AddSeconds(301)));
        Assert.False(WebhookSignature.Verify(header, "whsec_b", body, Now));
        Assert.False(WebhookSignature.Verify(header, "whsec_a", body.Replace("recovered", "anomaly"), Now));
        Assert.False(WebhookSignature.Verify(header.Replace("t=", "t=1"), "whsec_a", body, Now));
        Assert.False(WebhookSignature.Verify("v1=abc", "whsec_a", body, Now));
    }

    [Fact]
    public void The_signature_is_HMAC_SHA256_of_time_dot_body_as_receivers_compute_it()
    {
        // Computed outside .NET: printf '1796040000.{}' | openssl dgst -sha256 -hmac whsec_a
        Assert.Equal("t=1796040000,v1=2ba6e2fe7e7051844825990cbbf2c1f7b71e489b5db51e2f77115c3411e421c5",
            WebhookSignature.Sign("whsec_a", Now, "{}"));
    }

    [Fact]
    public void Retries_wait_30_seconds_doubling_to_an_hour_and_stop_after_25_hours()
    {
        var first = Now;
        Assert.Equal(Now.AddSeconds(30), WebhookRetry.Next(1, first, Now));
        Assert.Equal(Now.AddSeconds(60), WebhookRetry.Next(2, first, Now));
        Assert.Equal(Now.AddMinutes(32), WebhookRetry.Next(7, first, Now));
        Assert.Equal(Now.AddHours(1), WebhookRetry.Next(8, first, Now));
        Assert.Equal(Now.AddHours(1), WebhookRetry.Next(40, first, Now));
        Assert.Equal(Now.AddHours(25), WebhookRetry.Next(30, first, Now.AddHours(24)));
        Assert.Null(WebhookRetry.Next(30, first, Now.AddHours(24).AddSeconds(1)));
    }

    [Theory]
    [InlineData("*", "report.usage", true)]
    [InlineData("alert.*", "alert.recovered", true)]
    [InlineData("alert.*", "report.usage", false)]
    [InlineData("alert.recovered", "alert.recovered", true)]
    [InlineData("alert.recovered", "alert.anomaly", false)]
    public void Endpoints_subscribe_by_type_or_prefix(string pattern, string type, bool matches) =>
        Assert.Equal(matches, WebhookEvents.Matches(pattern, type));

    [Theory]
    [InlineData("93.184.216.34", true)]
    [InlineData("2606:2800:220:1:248:1893:25c8:1946", true)]
    [InlineData("127.0.0.1", false)]
    [InlineData("::1", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.16.0.1", false)]
    [InlineData("172.31.255.255", false)]
    [InlineData("172.32.0.1", true)]
    [InlineData("192.168.1.1", false)]
    [InlineData("169.254.169.254", false)] // cloud metadata
    [InlineData("100.64.0.1", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("224.0.0.1", false)]
    [InlineData("255.255.255.255", false)]
    [InlineData("::ffff:10.0.0.1", false)] // IPv4-mapped
    [InlineData("::ffff:93.184.216.34", true)]
    [InlineData("fd00::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("2002:a00:1::1", false)] // 6to4 wrapping 10.0.0.1
    [InlineData("::", false)]
    [InlineData("::10.0.0.1", false)] // IPv4-compatible
    [InlineData("::ffff:0:a00:1", false)] // IPv4-translated
    [InlineData("64:ff9b:1::a00:1", false)] // local-use NAT64
    [InlineData("192.88.99.1", false)]
    [InlineData("2001:db8::1", false)]
    public void Webhooks_go_to_public_addresses_only(string address, bool allowed) =>
        Assert.Equal(allowed, WebhookAddresses.MayReceive(System.Net.IPAddress.Parse(address), allowLoopback: false));

    [Fact]
    public void Loopback_is_allowed_only_when_the_stack_says_so_and_private_ranges_never()
    {
        Assert.True(WebhookAddresses.MayReceive(System.Net.IPAddress.Loopback, allowLoopback: true));
        Assert.True(WebhookAddresses.MayReceive(System.Net.IPAddress.IPv6Loopback, allowLoopback: true));
        Assert.False(WebhookAddresses.MayReceive(System.Net.IPAddress.Parse("10.0.0.1"), allowLoopback: true));
    }
}
