using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace TenantQuota.Data;

/// <summary>
/// Brings the schema up to date, in two kinds of step (docs/decisions/0004-sql-migrations.md):
/// <list type="bullet">
/// <item>versioned migrations (Migrations/NNNN_name.sql) for tables, indexes and types: each applied
/// once, in order, in its own transaction, and recorded in schema_migrations;</item>
/// <item>stored functions (Functions/name.sql), one file each, starting with a "-- version: N" line:
/// applied when its version is higher than the one recorded in schema_functions, so a change to a
/// function is a diff of its file (plus a new version) and never another copy of its body. An older
/// process that restarts during a rolling deploy never puts its older body back; a file edited
/// without a new version stops the start.</item>
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
                ALTER TABLE schema_functions ADD COLUMN IF NOT EXISTS version integer NOT NULL DEFAULT 0;
                """, cancellationToken);

            var applied = new List<string>();
            var done = await ReadKeys(connection, "SELECT id, '' FROM schema_migrations", cancellationToken);
            foreach (var (id, sql) in Scripts("Migrations").Where(m => !done.ContainsKey(m.Name)))
            {
                await ApplyAsync(connection, sql, "INSERT INTO schema_migrations (id) VALUES ($1)", [id], cancellationToken);
                applied.Add(id);
            }

            var recorded = await ReadKeys(connection, "SELECT name, version || ':' || checksum FROM schema_functions", cancellationToken);
            foreach (var (name, sql) in Scripts("Functions"))
            {
                var version = FunctionVersion(name, sql);
                var checksum = Checksum(sql);
                if (recorded.TryGetValue(name, out var seen))
                {
                    var (seenVersion, seenChecksum) = (int.Parse(seen[..seen.IndexOf(':')]), seen[(seen.IndexOf(':') + 1)..]);
                    if (version < seenVersion || (version == seenVersion && checksum == seenChecksum)) continue;
                    if (version == seenVersion)
                        throw new InvalidOperationException(
                            $"Functions/{name}.sql differs from the version {version} this database has; give the changed file a higher '-- version:'.");
                }
                await ApplyAsync(connection, sql, """
                    INSERT INTO schema_functions (name, version, checksum) VALUES ($1, $2, $3)
                    ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version, checksum = EXCLUDED.checksum, applied_at = now()
                    """, [name, version, checksum], cancellationToken);
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

    /// <summary>The N of the file's first line, "-- version: N".</summary>
    public static int FunctionVersion(string name, string sql)
    {
        const string prefix = "-- version:";
        var firstLine = sql.AsSpan(0, sql.IndexOf('\n') is var end and >= 0 ? end : sql.Length).Trim();
        return firstLine.StartsWith(prefix) && int.TryParse(firstLine[prefix.Length..], out var version) && version > 0
            ? version
            : throw new InvalidOperationException($"Functions/{name}.sql must start with a line '-- version: N' (N ≥ 1).");
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
