using Npgsql;

namespace TenantQuota.Billing.Catalog;

/// <summary>One row of stripe_catalog: a Stripe object the catalogue sync made for the matrix.</summary>
public sealed record CatalogEntry(string Kind, string Key, string StripeId, string? EventName);

/// <summary>
/// The Stripe ids the catalogue sync stored (migration 0004): kind 'product' and 'price' per tier sold
/// (key = tier; overage products under key 'overage:{class}'), 'meter' and 'metered_price' per
/// operation class with overage (key = class; meters also carry their event_name).
/// </summary>
public sealed class StripeCatalog(IReadOnlyList<CatalogEntry> entries)
{
    public const string Product = "product";
    public const string Price = "price";
    public const string Meter = "meter";
    public const string MeteredPrice = "metered_price";

    public static string OverageProductKey(string operationClass) => "overage:" + operationClass;

    public IReadOnlyList<CatalogEntry> Entries { get; } = entries;

    public CatalogEntry? Find(string kind, string key) => Entries.FirstOrDefault(e => e.Kind == kind && e.Key == key);

    /// <summary>The tier whose recurring price this is, if the sync made it.</summary>
    public string? TierOfPrice(string priceId) => Entries.FirstOrDefault(e => e.Kind == Price && e.StripeId == priceId)?.Key;

    public static async Task<StripeCatalog> ReadAsync(NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("SELECT kind, key, stripe_id, event_name FROM stripe_catalog ORDER BY kind, key");
        return await ReadAsync(command, cancellationToken);
    }

    public static async Task<StripeCatalog> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT kind, key, stripe_id, event_name FROM stripe_catalog ORDER BY kind, key", connection, transaction);
        return await ReadAsync(command, cancellationToken);
    }

    private static async Task<StripeCatalog> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var entries = new List<CatalogEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            entries.Add(new CatalogEntry(
                reader.GetString(reader.GetOrdinal("kind")),
                reader.GetString(reader.GetOrdinal("key")),
                reader.GetString(reader.GetOrdinal("stripe_id")),
                reader.IsDBNull(reader.GetOrdinal("event_name")) ? null : reader.GetString(reader.GetOrdinal("event_name"))));
        return new StripeCatalog(entries);
    }

    /// <summary>Stores what a sync found or made; a row changes only when its id does.</summary>
    public static async Task SaveAsync(NpgsqlDataSource db, IEnumerable<CatalogEntry> entries, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var entry in entries)
        {
            await using var command = new NpgsqlCommand("""
                INSERT INTO stripe_catalog AS c (kind, key, stripe_id, event_name, updated_at) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (kind, key) DO UPDATE SET stripe_id = EXCLUDED.stripe_id, event_name = EXCLUDED.event_name, updated_at = EXCLUDED.updated_at
                 WHERE c.stripe_id IS DISTINCT FROM EXCLUDED.stripe_id OR c.event_name IS DISTINCT FROM EXCLUDED.event_name
                """, connection, transaction);
            command.Parameters.Add(new NpgsqlParameter { Value = entry.Kind });
            command.Parameters.Add(new NpgsqlParameter { Value = entry.Key });
            command.Parameters.Add(new NpgsqlParameter { Value = entry.StripeId });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)entry.EventName ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { Value = now });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }
}
