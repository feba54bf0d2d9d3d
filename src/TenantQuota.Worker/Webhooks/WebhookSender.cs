using System.Buffers;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using TenantQuota.Domain.Governance;
using TenantQuota.Worker.Hosting;

namespace TenantQuota.Worker.Webhooks;

/// <summary>
/// Delivers due webhook_deliveries: POSTs the event, signed (<see cref="WebhookSignature"/>), and records the
/// answer. A 2xx marks the delivery delivered, and it is never sent again; anything else (an error status, no
/// answer within Worker:WebhookTimeout, a refused connection) schedules the next try (<see cref="WebhookRetry"/>)
/// until 25 hours have passed since the first. A delivery is claimed by pushing its next try two minutes out
/// (a lease) in a short transaction, so several workers share the work and a worker that dies mid-delivery
/// leaves it to be tried again, not lost. The one gap: a worker that dies between a receiver's 2xx and
/// recording it sends that event once more; the event id lets receivers drop it.
/// </summary>
public sealed class WebhookSender(
    NpgsqlDataSource db, IHttpClientFactory http, TimeProvider clock, IOptions<WorkerSettings> settings, WorkerMetrics metrics, ILogger<WebhookSender> log)
    : BackgroundService
{
    public const string HttpClientName = "webhooks";
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);
    private const int BatchSize = 20;

    private const string ClaimSql = """
        WITH due AS (
            SELECT tenant_id, event_id, endpoint_id FROM webhook_deliveries
             WHERE delivered_at IS NULL AND gave_up_at IS NULL AND next_attempt_at <= $2
             ORDER BY next_attempt_at
             LIMIT $1
               FOR UPDATE SKIP LOCKED),
        claimed AS (
            UPDATE webhook_deliveries d SET next_attempt_at = $3
              FROM due
             WHERE d.tenant_id = due.tenant_id AND d.event_id = due.event_id AND d.endpoint_id = due.endpoint_id
            RETURNING d.tenant_id, d.event_id, d.endpoint_id, d.attempts, d.created_at)
        SELECT c.tenant_id, c.event_id, c.endpoint_id, c.attempts, c.created_at,
               w.url, w.secret, w.deleted_at IS NOT NULL, e.type, e.created_at, e.data::text
          FROM claimed c
          JOIN webhook_endpoints w ON w.tenant_id = c.tenant_id AND w.id = c.endpoint_id
          JOIN tenant_events e ON e.tenant_id = c.tenant_id AND e.id = c.event_id
        """;

    private const string DeliveredSql = """
        UPDATE webhook_deliveries SET delivered_at = $4, attempts = attempts + 1, last_status = $5, last_error = NULL
         WHERE tenant_id = $1 AND event_id = $2 AND endpoint_id = $3
        """;

    private const string FailedSql = """
        UPDATE webhook_deliveries
           SET attempts = attempts + 1, last_status = $5, last_error = $6,
               next_attempt_at = COALESCE($7, next_attempt_at), gave_up_at = CASE WHEN $7 IS NULL THEN $4 END
         WHERE tenant_id = $1 AND event_id = $2 AND endpoint_id = $3
        """;

    private readonly BatchLoop _loop = new("Webhook delivery", log);

    public void Wake() => _loop.Wake();

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        _loop.RunAsync(async cancellationToken => await DeliverDueAsync(cancellationToken) == BatchSize, settings.Value.WebhookPollInterval, stoppingToken);

    /// <summary>Claims the due deliveries (at most a batch), sends them at once, records each answer; answers how many it tried.</summary>
    public async Task<int> DeliverDueAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var due = new List<Delivery>();
        await using (var claim = db.CreateCommand(ClaimSql))
        {
            claim.Parameters.Add(new NpgsqlParameter { Value = BatchSize });
            claim.Parameters.Add(new NpgsqlParameter { Value = now });
            claim.Parameters.Add(new NpgsqlParameter { Value = now + Lease });
            await using var reader = await claim.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                due.Add(new Delivery(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3),
                    reader.GetFieldValue<DateTimeOffset>(4), reader.GetString(5), reader.GetString(6), reader.GetBoolean(7),
                    Body(reader.GetString(1), reader.GetString(8), reader.GetFieldValue<DateTimeOffset>(9), reader.GetString(0), reader.GetString(10))));
        }
        await Task.WhenAll(due.Select(d => DeliverAsync(d, cancellationToken)));
        return due.Count;
    }

    private sealed record Delivery(
        string TenantId, string EventId, string EndpointId, int Attempts, DateTimeOffset FirstAttempt, string Url, string Secret, bool EndpointDeleted, string Body);

    private async Task DeliverAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        if (delivery.EndpointDeleted)
        {
            await RecordFailureAsync(delivery, null, "the endpoint was deleted", giveUp: true, cancellationToken);
            return;
        }
        int? status = null;
        string? error;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url)
            {
                Content = new StringContent(delivery.Body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
            };
            request.Headers.TryAddWithoutValidation(WebhookSignature.Header, WebhookSignature.Sign(delivery.Secret, clock.GetUtcNow(), delivery.Body));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(settings.Value.WebhookTimeout);
            using var answer = await http.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            status = (int)answer.StatusCode;
            if (answer.IsSuccessStatusCode)
            {
                await UpdateAsync(DeliveredSql, delivery, [clock.GetUtcNow(), status.Value], cancellationToken);
                metrics.WebhookTried("delivered");
                log.LogInformation("Delivered {Event} to {Endpoint} of {Tenant} ({Status})", delivery.EventId, delivery.EndpointId, delivery.TenantId, status);
                return;
            }
            error = $"answered {status}";
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // Anything but our own shutdown is this try's failure (no answer, a URL .NET refuses, …): recorded and retried
            // on the schedule, so a delivery never loops on its lease.
            error = e is OperationCanceledException ? $"no answer within {settings.Value.WebhookTimeout}" : e.Message;
        }
        await RecordFailureAsync(delivery, status, error, giveUp: false, cancellationToken);
    }

    private async Task RecordFailureAsync(Delivery delivery, int? status, string error, bool giveUp, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var next = giveUp ? null : WebhookRetry.Next(delivery.Attempts + 1, delivery.FirstAttempt, now);
        await UpdateAsync(FailedSql, delivery, [now, (object?)status ?? DBNull.Value, error, (object?)next ?? DBNull.Value], cancellationToken);
        metrics.WebhookTried(next is null ? "given_up" : "failed");
        log.LogWarning("Delivery of {Event} to {Endpoint} of {Tenant} failed ({Error}); {Next}", delivery.EventId, delivery.EndpointId, delivery.TenantId, error,
            next is null ? "given up" : $"next try at {next:O}");
    }

    private async Task UpdateAsync(string sql, Delivery delivery, object[] values, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = delivery.TenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = delivery.EventId });
        command.Parameters.Add(new NpgsqlParameter { Value = delivery.EndpointId });
        foreach (var value in values) command.Parameters.Add(new NpgsqlParameter { Value = value });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The contract's delivery body: { id, type, createdAt, tenantId, data }, the same bytes on every try.</summary>
    public static string Body(string eventId, string type, DateTimeOffset createdAt, string tenantId, string dataJson)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + dataJson.Length);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", eventId);
            json.WriteString("type", type);
            json.WriteString("createdAt", createdAt.UtcDateTime);
            json.WriteString("tenantId", tenantId);
            json.WritePropertyName("data");
            json.WriteRawValue(dataJson);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public override void Dispose()
    {
        _loop.Dispose();
        base.Dispose();
    }
}
