using Stripe;
using TenantQuota.LocalStripe.Tests.Support;

namespace TenantQuota.LocalStripe.Tests;

public sealed class CustomersTests
{
    [Fact]
    public async Task Creates_and_reads_a_customer_with_metadata_through_StripeNet()
    {
        await using var server = await LocalStripeHost.StartAsync();
        var customers = new CustomerService(Clients.Stripe(server));

        var created = await customers.CreateAsync(new CustomerCreateOptions
        {
            Email = "billing@acme.example", Name = "Acme", Metadata = new() { ["tenant_id"] = "acme", ["plan"] = "free" },
        });
        var read = await customers.GetAsync(created.Id);

        Assert.StartsWith("cus_", created.Id);
        Assert.Equal(("billing@acme.example", "Acme", false), (read.Email, read.Name, read.Livemode));
        Assert.Equal(new Dictionary<string, string> { ["tenant_id"] = "acme", ["plan"] = "free" }, read.Metadata);
        Assert.StartsWith("req_", read.StripeResponse.RequestId);
    }

    [Fact]
    public async Task Updates_metadata_key_by_key_and_an_empty_value_removes_a_key()
    {
        await using var server = await LocalStripeHost.StartAsync();
        var customers = new CustomerService(Clients.Stripe(server));
        var created = await customers.CreateAsync(new CustomerCreateOptions { Metadata = new() { ["tenant_id"] = "acme", ["plan"] = "free" } });

        var updated = await customers.UpdateAsync(created.Id, new CustomerUpdateOptions { Metadata = new() { ["plan"] = "", ["region"] = "eu" } });

        Assert.Equal(new Dictionary<string, string> { ["tenant_id"] = "acme", ["region"] = "eu" }, updated.Metadata);
    }

    [Fact]
    public async Task Lists_newest_first_in_pages_that_StripeNet_auto_paging_walks()
    {
        await using var server = await LocalStripeHost.StartAsync();
        var customers = new CustomerService(Clients.Stripe(server));
        var ids = new List<string>();
        for (var i = 0; i < 5; i++) ids.Add((await customers.CreateAsync(new CustomerCreateOptions { Name = $"c{i}" })).Id);

        var first = await customers.ListAsync(new CustomerListOptions { Limit = 2 });
        var all = new List<string>();
        await foreach (var customer in customers.ListAutoPagingAsync(new CustomerListOptions { Limit = 2 })) all.Add(customer.Id);
        var lists = (await Clients.Http(server).RequestsAsync("/v1/customers")).Where(r => (string)r!["method"]! == "GET").ToList();

        Assert.Equal(ids.AsEnumerable().Reverse().Take(2), first.Data.Select(c => c.Id));
        Assert.True(first.HasMore);
        Assert.Equal(ids.AsEnumerable().Reverse(), all);
        // One ListAsync, then three pages (2 + 2 + 1), the later two with starting_after = the last id seen.
        Assert.Equal(4, lists.Count);
        Assert.Equal([ids[3], ids[1]], lists.Select(r => (string?)r!["params"]!["starting_after"]).OfType<string>());
    }

    [Fact]
    public async Task Finds_a_customer_by_metadata_with_search()
    {
        await using var server = await LocalStripeHost.StartAsync();
        var client = Clients.Stripe(server);
        var acme = await Catalogue.CustomerAsync(client, "acme");
        await Catalogue.CustomerAsync(client, "umbrella");

        var found = await new CustomerService(client).SearchAsync(new CustomerSearchOptions { Query = "metadata['tenant_id']:'acme'" });

        Assert.Equal([acme.Id], found.Data.Select(c => c.Id));
    }

    [Fact]
    public async Task A_missing_customer_is_404_resource_missing()
    {
        await using var server = await LocalStripeHost.StartAsync();

        var error = await Assert.ThrowsAsync<StripeException>(() => new CustomerService(Clients.Stripe(server)).GetAsync("cus_nope"));

        Assert.Equal((System.Net.HttpStatusCode.NotFound, "invalid_request_error", "resource_missing"),
            (error.HttpStatusCode, error.StripeError.Type, error.StripeError.Code));
    }
}
