using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace TenantQuota.Client;

/// <summary>
/// The TenantQuota API for a back end (API-v1): check, consume, reserve, commit and release, a subject's usage, and view
/// tokens for the embeddable meter. Each call carries a token from <see cref="AccessTokens"/>; a consume or reserve
/// without an idempotency key gets one, so the caller can send the same <see cref="QuotaRequest"/> again safely.
/// When TenantQuota cannot be reached, check, consume and reserve (with its commit and release) answer by the class's
/// <see cref="FailureMode"/> (docs/failure-policy.md); the other calls throw <see cref="TenantQuotaUnavailableException"/>.
/// </summary>
public sealed class TenantQuotaClient : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly HttpClient _http;
    private readonly AccessTokens _tokens;
    private readonly TenantQuotaClientOptions _options;
    private readonly TimeProvider _clock;
    private readonly SemaphoreSlim _replaying = new(1, 1);

    public TenantQuotaClient(HttpClient http, AccessTokens tokens, TenantQuotaClientOptions options, TimeProvider? clock = null)
    {
        _http = http;
        _tokens = tokens;
        _options = options;
        options.Validate();
        _clock = clock ?? TimeProvider.System;
        // A probe still unanswered after a second (or the whole try's time, if shorter) when its caller gives up is taken
        // for a hung service: TenantQuota answers in milliseconds when it is well.
        Breaker = new CircuitBreaker(options.BreakAfterFailures, options.BreakDuration, _clock,
            slowProbe: options.RequestTimeout < TimeSpan.FromSeconds(1) ? options.RequestTimeout : TimeSpan.FromSeconds(1));
        Journal = new OutageJournal(options.JournalCapacity, options.JournalCapacityPerSubject, options.JournalPath);
    }

    /// <summary>A client over <paramref name="http"/> (its BaseAddress is set from <paramref name="options"/>).</summary>
    public static TenantQuotaClient Create(HttpClient http, TenantQuotaClientOptions options, TimeProvider? clock = null)
    {
        options.Validate();
        // With a path (https://example/quota), the calls' relative paths go below it, not beside it.
        http.BaseAddress = options.BaseAddress.AbsoluteUri.EndsWith('/') ? options.BaseAddress : new Uri(options.BaseAddress.AbsoluteUri + "/");
        return new TenantQuotaClient(http, new AccessTokens(http, options, clock), options, clock);
    }

    public CircuitBreaker Breaker { get; }

    /// <summary>Consumes allowed by fail-open classes during an outage, not yet sent again.</summary>
    public OutageJournal Journal { get; }

    /// <summary>May this subject do this now? Records nothing.</summary>
    public async Task<QuotaDecision> CheckAsync(QuotaRequest request, CancellationToken cancellationToken = default)
    {
        try
        {
            return await SendAsync<QuotaDecision>(HttpMethod.Post, "v1/entitlements/check", request with { IdempotencyKey = null }, cancellationToken);
        }
        catch (TenantQuotaUnavailableException)
        {
            return QuotaDecision.Unreachable(request, _options.FailureModeOf(request.OperationClass) == FailureMode.Open, _options.UnavailableMessage);
        }
    }

    /// <summary>
    /// Decides and, when allowed, records; the same key answers the first answer again. Unreachable: a fail-open class
    /// allows and journals the consume (while the journal has room), a fail-closed class denies.
    /// </summary>
    public async Task<QuotaDecision> ConsumeAsync(QuotaRequest request, CancellationToken cancellationToken = default)
    {
        var keyed = Keyed(request);
        try
        {
            return await SendAsync<QuotaDecision>(HttpMethod.Post, "v1/entitlements/consume", keyed, cancellationToken);
        }
        catch (TenantQuotaUnavailableException)
        {
            var allowed = _options.FailureModeOf(keyed.OperationClass) == FailureMode.Open && Journal.TryAdd(keyed, _clock.GetUtcNow());
            return QuotaDecision.Unreachable(keyed, allowed, _options.UnavailableMessage);
        }
    }

    /// <summary>
    /// Holds an estimate until <see cref="CommitAsync"/> or <see cref="ReleaseAsync"/> (or its expiry). Unreachable: a
    /// fail-open class gets a hold of this process's own (<c>offline:…</c>, in the journal's bounds) whose commit is
    /// journaled as a consume of the actual amount; a fail-closed class is denied.
    /// </summary>
    public async Task<QuotaDecision> ReserveAsync(QuotaRequest request, CancellationToken cancellationToken = default)
    {
        var keyed = Keyed(request);
        try
        {
            return await SendAsync<QuotaDecision>(HttpMethod.Post, "v1/entitlements/reserve", keyed, cancellationToken);
        }
        catch (TenantQuotaUnavailableException)
        {
            var now = _clock.GetUtcNow();
            var expiresAt = now + TimeSpan.FromSeconds(keyed.TtlSeconds ?? DefaultTtlSeconds);
            var held = _options.FailureModeOf(keyed.OperationClass) == FailureMode.Open && Journal.TryHold(keyed, now, expiresAt);
            var decision = QuotaDecision.Unreachable(keyed, held, _options.UnavailableMessage);
            return held ? decision with { ReservationId = OfflinePrefix + keyed.IdempotencyKey, Status = "held", ExpiresAt = expiresAt.UtcDateTime } : decision;
        }
    }

    /// <summary>Records the actual amount of a reservation and frees the rest; an offline one is journaled (see <see cref="ReserveAsync"/>).</summary>
    public async Task<QuotaDecision> CommitAsync(string reservationId, CommitRequest actual, CancellationToken cancellationToken = default) =>
        reservationId.StartsWith(OfflinePrefix, StringComparison.Ordinal)
            ? CommitOffline(reservationId, actual)
            : await SendAsync<QuotaDecision>(HttpMethod.Post, $"v1/reservations/{Uri.EscapeDataString(reservationId)}/commit", actual, cancellationToken);

    public async Task<JsonElement> ReleaseAsync(string reservationId, CancellationToken cancellationToken = default) =>
        reservationId.StartsWith(OfflinePrefix, StringComparison.Ordinal)
            ? JsonSerializer.SerializeToElement(new
            {
                reservationId, status = Journal.ReleaseHold(reservationId[OfflinePrefix.Length..]) ? "released" : "already_released", offline = true,
            }, Json)
            : await SendAsync<JsonElement>(HttpMethod.Post, $"v1/reservations/{Uri.EscapeDataString(reservationId)}/release", null, cancellationToken);

    private const string OfflinePrefix = "offline:";
    private const int DefaultTtlSeconds = 300; // the API's default (API-v1 "Reservations")

    /// <summary>
    /// An offline hold's commit: a consume of the actual amount, under a key of its own derived from the reservation's
    /// (if the reserve did reach TenantQuota and only its answer was lost, that reservation expires by itself and this
    /// consume is still recorded once).
    /// </summary>
    private QuotaDecision CommitOffline(string reservationId, CommitRequest actual)
    {
        var outcome = Journal.CommitHold(reservationId[OfflinePrefix.Length..], hold => hold with
        {
            IdempotencyKey = CommitKey(hold.IdempotencyKey!), Quantity = CommittedQuantity(hold, actual), Tokens = actual.Tokens ?? hold.Tokens, TtlSeconds = null,
        }, _clock.GetUtcNow(), out var consume);
        return outcome switch
        {
            OutageJournal.HoldCommit.Journaled => QuotaDecision.Unreachable(consume!, allowed: true, _options.UnavailableMessage) with
            {
                ReservationId = reservationId, Status = "committed",
            },
            OutageJournal.HoldCommit.NotWritten => throw new TenantQuotaUnavailableException(
                $"The offline reservation '{reservationId}' could not be committed: the journal file refused it. It is still held; try again."),
            _ => throw new TenantQuotaException(
                $"The offline reservation '{reservationId}' is not held by this process (released, expired, or made by another process).", 404),
        };
    }

    /// <summary>
    /// What TenantQuota's own commit would count (API-v1 "Reservations"): the quantity given; else, with actual tokens, their
    /// total when the hold was counted in tokens (left to TenantQuota: null), the hold's quantity otherwise.
    /// </summary>
    private static long? CommittedQuantity(QuotaRequest hold, CommitRequest actual) =>
        actual.Quantity ?? (actual.Tokens is null ? hold.Quantity
            : hold.Quantity is null || hold.Tokens is { } t && hold.Quantity == t.Input + t.Output ? null : hold.Quantity);

    private static string CommitKey(string reservationKey) => reservationKey.Length <= 190
        ? reservationKey + "/commit"
        : "commit-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(reservationKey)));

    public Task<SubjectUsage> UsageAsync(string subjectId, CancellationToken cancellationToken = default) =>
        SendAsync<SubjectUsage>(HttpMethod.Get, $"v1/subjects/{Uri.EscapeDataString(subjectId)}/usage", null, cancellationToken);

    /// <summary>A token the browser's meter can read this subject's usage with, and nothing else.</summary>
    public Task<ViewToken> CreateViewTokenAsync(string subjectId, CancellationToken cancellationToken = default) =>
        SendAsync<ViewToken>(HttpMethod.Post, $"v1/subjects/{Uri.EscapeDataString(subjectId)}/view-tokens", new { }, cancellationToken);

    /// <summary>
    /// Sends the journaled consumes again, oldest first, each with its original key, so one the service recorded before
    /// its answer was lost is answered as a duplicate instead of counted twice. An entry is dropped only when TenantQuota
    /// answered it (recorded, a duplicate, a denial) or refused the request itself (400, 404, 409, 413, 422: it never
    /// will accept it); anything else (unreachable, 401/403, the issuer refusing) stops the pass and keeps it and the
    /// rest. One pass at a time (a second caller meanwhile gets null).
    /// </summary>
    public async Task<JournalReplay?> ReplayJournalAsync(CancellationToken cancellationToken = default)
    {
        if (!await _replaying.WaitAsync(0, cancellationToken)) return null;
        try
        {
            int recorded = 0, already = 0, refused = 0, rejected = 0, expired = 0;
            var done = new List<JournalEntry>();
            try
            {
                foreach (var entry in Journal.Entries())
                {
                    if (_clock.GetUtcNow() - entry.JournaledAt > _options.JournalMaxAge)
                    {
                        expired++;
                        done.Add(entry);
                        continue;
                    }
                    try
                    {
                        var answer = await SendAsync<QuotaDecision>(HttpMethod.Post, "v1/entitlements/consume", entry.Request, cancellationToken);
                        if (!answer.Allowed) refused++;
                        else if (answer.Duplicate) already++;
                        else recorded++;
                    }
                    catch (TenantQuotaException e) when (e is not TenantQuotaUnavailableException && e.Status is 400 or 404 or 409 or 413 or 422)
                    {
                        rejected++;
                    }
                    catch (TenantQuotaException)
                    {
                        break;
                    }
                    done.Add(entry);
                }
            }
            finally
            {
                Journal.Remove(done);
            }
            return new JournalReplay(recorded, already, refused, rejected, expired, Journal.Count);
        }
        finally
        {
            _replaying.Release();
        }
    }

    private static QuotaRequest Keyed(QuotaRequest request) =>
        request.IdempotencyKey is null ? request with { IdempotencyKey = Guid.NewGuid().ToString("N") } : request;

    /// <summary>
    /// One call, tried again on 429, 502, 503, 504 and network errors with the same body (so the same idempotency key: a
    /// consume whose answer was lost is answered again, not charged again), never on another refusal but one: a 401 is
    /// tried once more with a new token (the cached one may predate a key rotation). Every try passes the circuit
    /// breaker; no connection, a timeout or a 5xx counts against it, a 2xx or 429 for it, another 4xx neither (but a
    /// probe's 4xx closes it: the service answered).
    /// </summary>
    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        var renewedToken = false;
        for (var attempt = 1; ; attempt++)
        {
            if (!Breaker.TryEnter(out var probe))
                throw new TenantQuotaUnavailableException($"{method} /{path} not sent: the circuit is open after repeated failures.");
            HttpResponseMessage response;
            string token;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(_options.RequestTimeout);
                using var message = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body, body.GetType(), options: Json) };
                token = await _tokens.GetAsync(timeout.Token);
                message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                if (body is QuotaRequest { Language: { Length: > 0 } language }) message.Headers.TryAddWithoutValidation("Accept-Language", language);
                response = await _http.SendAsync(message, timeout.Token);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                Breaker.Abandoned(probe);
                throw;
            }
            catch (Exception e) when (e is HttpRequestException or TenantQuotaUnavailableException
                                      || e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                Breaker.Failed();
                if (attempt < _options.MaxAttempts)
                {
                    await Task.Delay(Backoff(attempt, retryAfter: null), cancellationToken);
                    continue;
                }
                throw new TenantQuotaUnavailableException($"{method} /{path} could not reach TenantQuota after {attempt} tries: {e.Message}", inner: e);
            }
            using (response)
            {
                var status = (int)response.StatusCode;
                // A probe answered at all (a 4xx is an answer) closes the circuit; otherwise a 4xx says nothing of the service's health.
                if (status >= 500) Breaker.Failed();
                else if (status is < 300 or 429 || Breaker.State == CircuitState.HalfOpen) Breaker.Succeeded();
                if (status == 401 && !renewedToken)
                {
                    renewedToken = true;
                    _tokens.Forget(token);
                    attempt--;
                    continue;
                }
                if (status is 429 or 502 or 503 or 504 && attempt < _options.MaxAttempts
                    && Backoff(attempt, RetryAfter(response)) is var wait && wait <= _options.MaxRetryDelay)
                {
                    await Task.Delay(wait, cancellationToken);
                    continue;
                }
                if (status is 429 or >= 500)
                    throw new TenantQuotaUnavailableException(
                        $"{method} /{path} answered {status} after {attempt} tries: {await response.Content.ReadAsStringAsync(cancellationToken)}", status);
                return await ReadAsync<T>(method, path, response, cancellationToken);
            }
        }
    }

    /// <summary>What the answer's Retry-After asks for, or the doubling backoff with full jitter (a random part of it, so callers spread out).</summary>
    private TimeSpan Backoff(int attempt, TimeSpan? retryAfter) => retryAfter is { } asked
        ? (asked < TimeSpan.Zero ? TimeSpan.Zero : asked)
        : TimeSpan.FromTicks((long)(Math.Min(_options.RetryBaseDelay.Ticks * Math.Pow(2, attempt - 1), _options.MaxRetryDelay.Ticks) * Random.Shared.NextDouble()));

    private static TimeSpan? RetryAfter(HttpResponseMessage response) =>
        response.Headers.RetryAfter?.Delta ?? (response.Headers.RetryAfter?.Date is { } at ? at - DateTimeOffset.UtcNow : null);

    private static async Task<T> ReadAsync<T>(HttpMethod method, string path, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
            throw new TenantQuotaException($"{method} /{path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}",
                (int)response.StatusCode);
        return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken)
               ?? throw new TenantQuotaException($"{method} /{path} answered an empty body.", (int)response.StatusCode);
    }

    /// <summary>Closes the journal's file and the client's locks; the HttpClient is the caller's (or the container's) to dispose.</summary>
    public void Dispose()
    {
        Journal.Dispose();
        _replaying.Dispose();
    }
}
