using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace TenantQuota.Data;

/// <summary>
/// Brings the schema up to date, in two kinds of step (docs/decisions/0004-sql-migrations.md):
/// <list type="bullet">
/// <item>versioned migrations (Migrations/NNNN_name.sql) for tables, indexes and types: each applied
/// once, in order, in its own transaction, and recorded in schema_migrations;</item>
/// <item>stored functions (Functions/name.sql), one file each: re-applied whenever the file's
/// checksum differs from the one recorded in schema_functions, so a change to a function is a
/// diff of its file and never another copy of its body.</item>
/// </list>
/// An advisory lock makes concurrent starts of several processes safe: one migrates, the others
/// wait and find nothing to do.
/// </summary>
public static class DatabaseMigrator
{
    private const long AdvisoryLockKey = 0x7451_7561_6f74_61; // "tQuota"

    /// <returns>What was applied: migration ids, then "function:name" for each function (re)created.</returns>
    public static async Task<IReadOnlyList<string>> MigrateAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await Execute(connection, $"SELECT pg_advisory_lock({AdvisoryLockKey})", cancellationToken);
        try
        {
            await Execute(connection, """
                CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
                CREATE TABLE IF NOT EXISTS schema_functions (name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
                """, cancellationToken);

            var applied = new List<string>();
            var done = await ReadKeys(connection, "SELECT id, '' FROM schema_migrations", cancellationToken);
            foreach (var (id, sql) in Scripts("Migrations").Where(m => !done.ContainsKey(m.Name)))
            {
                await ApplyAsync(connection, sql, "INSERT INTO schema_migrations (id) VALUES ($1)", [id], cancellationToken);
                applied.Add(id);
            }

            var checksums = await ReadKeys(connection, "SELECT name, checksum FROM schema_functions", cancellationToken);
            foreach (var (name, sql) in Scripts("Functions"))
            {
                var checksum = Checksum(sql);
                if (checksums.GetValueOrDefault(name) == checksum) continue;
                await ApplyAsync(connection, sql, """
                    INSERT INTO schema_functions (name, checksum) VALUES ($1, $2)
                    ON CONFLICT (name) DO UPDATE SET checksum = EXCLUDED.checksum, applied_at = now()
                    """, [name, checksum], cancellationToken);
                applied.Add("function:" + name);
            }
            return applied;
        }
        finally
        {
            await Execute(connection, $"SELECT pg_advisory_unlock({AdvisoryLockKey})", CancellationToken.None);
        }
    }

    /// <summary>The embedded scripts of one folder in name order; the file name without extension names each.</summary>
    public static IEnumerable<(string Name, string Sql)> Scripts(string folder)
    {
        var assembly = typeof(DatabaseMigrator).Assembly;
        var prefix = $"TenantQuota.Data.{folder}.";
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix) && n.EndsWith(".sql")).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            yield return (resource[prefix.Length..^".sql".Length], reader.ReadToEnd());
        }
    }

    public static string Checksum(string sql) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql.ReplaceLineEndings("\n"))));

    /// <summary>Runs a script and records it in one transaction: either both happen or neither.</summary>
    private static async Task ApplyAsync(NpgsqlConnection connection, string sql, string record, object[] values, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var script = new NpgsqlCommand(sql, connection, transaction))
            await script.ExecuteNonQueryAsync(cancellationToken);
        await using (var note = new NpgsqlCommand(record, connection, transaction))
        {
            foreach (var value in values) note.Parameters.Add(new NpgsqlParameter { Value = value });
            await note.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task<Dictionary<string, string>> ReadKeys(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        var rows = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) rows[reader.GetString(0)] = reader.GetString(1);
        return rows;
    }

    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
