using Npgsql;
using Stripe;

namespace TenantQuota.Billing.Customers;

/// <summary>
/// A tenant's Stripe customer (metadata tenant_id), created on first need and exactly once: an
/// advisory lock on the tenant makes concurrent callers (two admins clicking at once, two API
/// processes) wait for the first; the billing_customers primary key keeps one row; the
/// Idempotency-Key "customer-{tenant}" makes Stripe answer a retry, or a second attempt after we
/// failed to store the id, with the same customer (for Stripe's 24 h at least).
/// </summary>
public sealed class BillingCustomers(IStripeClient stripe, NpgsqlDataSource db, TimeProvider clock)
{
    private const int LockClass = 74521; // pg_advisory_xact_lock(74521, hashtext(tenant_id))

    public async Task<string?> FindAsync(string tenantId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("SELECT stripe_customer_id FROM billing_customers WHERE tenant_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        return (string?)await command.ExecuteScalarAsync(cancellationToken);
    }

    /// <summary>The tenant's customer id, creating the customer in Stripe first when the tenant has none.</summary>
    public async Task<string> EnsureAsync(string tenantId, string tenantName, CancellationToken cancellationToken)
    {
        if (await FindAsync(tenantId, cancellationToken) is { } known) return known;

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({LockClass}, hashtext($1))", connection, transaction))
        {
            take.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            await take.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var again = new NpgsqlCommand("SELECT stripe_customer_id FROM billing_customers WHERE tenant_id = $1", connection, transaction))
        {
            again.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            if (await again.ExecuteScalarAsync(cancellationToken) is string createdMeanwhile) return createdMeanwhile;
        }

        var customer = await new CustomerService(stripe).CreateAsync(new CustomerCreateOptions
        {
            Name = tenantName,
            Metadata = new Dictionary<string, string> { ["tenant_id"] = tenantId },
        }, IdempotencyKeys.Customer(tenantId), cancellationToken);

        await using (var store = new NpgsqlCommand("""
            INSERT INTO billing_customers (tenant_id, stripe_customer_id, created_at) VALUES ($1, $2, $3)
            ON CONFLICT (tenant_id) DO NOTHING
            """, connection, transaction))
        {
            store.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            store.Parameters.Add(new NpgsqlParameter { Value = customer.Id });
            store.Parameters.Add(new NpgsqlParameter { Value = clock.GetUtcNow() });
            await store.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return customer.Id;
    }
}
