using System.Diagnostics;

namespace TenantQuota.Worker;

/// <summary>
/// The worker's own spans (activity source "TenantQuota.Worker"); recorded only when tracing is on (README "Observability").
/// </summary>
public static class WorkerTracing
{
    public const string SourceName = "TenantQuota.Worker";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>
    /// A span that continues the trace of the request that wrote an outbox row (its stored traceparent), so what the
    /// worker does for that row (the publish, and through the message's headers the consume and the Stripe call) is
    /// part of that request's trace. None when tracing is off; a root span when the row kept no trace.
    /// </summary>
    public static Activity? ContinueFrom(string name, ActivityKind kind, string? traceParent) =>
        traceParent is not null && ActivityContext.TryParse(traceParent, null, isRemote: true, out var parent)
            ? Source.StartActivity(name, kind, parent)
            : Source.StartActivity(name, kind);
}
