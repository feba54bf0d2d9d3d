using Microsoft.Extensions.Options;

namespace TenantQuota.Worker.Tests;

/// <summary>A worker with a bad or missing setting does not start, and says which setting.</summary>
[Collection(BillingPipelineCollection.Name)]
public sealed class WorkerStartupTests(BillingPipeline pipeline)
{
    [Fact]
    public async Task Refuses_to_start_without_a_connection_string_and_names_the_setting()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => WorkerProcess.StartAsync(TestRabbitMq.Settings()));

        Assert.Contains("ConnectionStrings__TenantQuota", error.Message);
    }

    [Fact]
    public async Task Refuses_to_start_with_a_poll_interval_of_zero_and_names_the_setting()
    {
        var settings = new Dictionary<string, string?>(TestRabbitMq.Settings())
        {
            ["ConnectionStrings:TenantQuota"] = pipeline.Database.ConnectionString,
            ["Worker:OutboxPollInterval"] = "00:00:00",
        };

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => WorkerProcess.StartAsync(settings));

        Assert.Contains("Worker__OutboxPollInterval", error.Message);
    }
}
