using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace TenantQuota.Data.EndUser;

/// <summary>A view token's holder: one subject of one tenant, and where the tenant's pages may call from.</summary>
public sealed record ViewTokenHolder(string TenantId, string SubjectId, DateTimeOffset ExpiresAt, IReadOnlyList<string> AllowedOrigins);

/// <summary>
/// view_tokens: bearer tokens that read one subject's usage for a few minutes, for a meter in an end
/// user's browser. The token is 32 random bytes (tqv_ + base64url); only its SHA-256 is stored.
/// </summary>
public sealed class ViewTokens(NpgsqlDataSource db)
{
    public const string Prefix = "tqv_";
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromMinutes(15);

    private const string InsertSql = """
        WITH expired AS (
            DELETE FROM view_tokens WHERE token_hash IN (SELECT token_hash FROM view_tokens WHERE expires_at < $4 - interval '1 hour' LIMIT 100)
        )
        INSERT INTO view_tokens (token_hash, tenant_id, subject_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)
        """;

    private const string FindSql = """
        SELECT v.tenant_id, v.subject_id, v.expires_at, t.allowed_origins
          FROM view_tokens v JOIN tenants t ON t.id = v.tenant_id
         WHERE v.token_hash = $1
        """;

    /// <summary>A new token for the subject, valid until <paramref name="now"/> + <paramref name="lifetime"/>;
    /// expired tokens of more than an hour ago are cleared on the way, a hundred at a time.</summary>
    public async Task<(string Token, DateTimeOffset ExpiresAt)> CreateAsync(string tenantId, string subjectId, DateTimeOffset now, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var token = Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var expiresAt = now + lifetime;
        await using var command = db.CreateCommand(InsertSql);
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = Hash(token) });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenantId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subjectId });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = expiresAt });
        await command.ExecuteNonQueryAsync(cancellationToken);
        return (token, expiresAt);
    }

    /// <summary>The holder of a token that exists and has not expired at <paramref name="now"/>, or null.</summary>
    public async Task<ViewTokenHolder?> FindAsync(string token, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!token.StartsWith(Prefix, StringComparison.Ordinal) || token.Length > 100) return null;
        await using var command = db.CreateCommand(FindSql);
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = Hash(token) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;
        var holder = new ViewTokenHolder(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<string[]>(3));
        return holder.ExpiresAt > now ? holder : null;
    }

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
