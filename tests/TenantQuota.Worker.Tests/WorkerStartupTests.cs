using Microsoft.Extensions.Options;

namespace TenantQuota.Worker.Tests;

/// <summary>A worker with a bad or missing setting does not start, and says which setting.</summary>
[Collection(BillingPipelineCollection.Name)]
public sealed class WorkerStartupTests(BillingPipeline pipeline)
{
    [Fact]
    public async Task Refuses_to_start_without_a_connection_string_and_names_the_setting()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => WorkerProcess.StartAsync(TestRabbitMq.WorkerTests.Settings()));

        Assert.Contains("ConnectionStrings__TenantQuota", error.Message);
    }

    [Fact]
    public async Task Refuses_to_start_with_a_poll_interval_of_zero_and_names_the_setting()
    {
        var settings = new Dictionary<string, string?>(TestRabbitMq.WorkerTests.Settings())
        {
            ["ConnectionStrings:TenantQuota"] = pipeline.Database.ConnectionString,
            ["Worker:OutboxPollInterval"] = "00:00:00",
        };

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => WorkerProcess.StartAsync(settings));

        Assert.Contains("Worker__OutboxPollInterval", error.Message);
    }

    [Theory]
    [InlineData("Worker:ReconcileDays", "36", "Worker__ReconcileDays")]
    [InlineData("Worker:ReconcileInterval", "-00:00:01", "Worker__ReconcileInterval")]
    [InlineData("Worker:BillingHousekeepingInterval", "2.00:00:00", "Worker__BillingHousekeepingInterval")]
    public async Task Refuses_to_start_with_a_schedule_setting_out_of_range_and_names_it(string key, string value, string named)
    {
        var settings = new Dictionary<string, string?>(TestRabbitMq.WorkerTests.Settings())
        {
            ["ConnectionStrings:TenantQuota"] = pipeline.Database.ConnectionString,
            [key] = value,
        };

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => WorkerProcess.StartAsync(settings));

        Assert.Contains(named, error.Message);
    }
}
