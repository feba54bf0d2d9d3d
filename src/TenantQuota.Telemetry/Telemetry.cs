using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace TenantQuota.Telemetry;

/// <summary>
/// How a host of ours is observed (README "Observability"):
/// <list type="bullet">
/// <item>metrics always: ASP.NET Core, HttpClient, the runtime, Npgsql, MassTransit and the host's own meters, as
/// Prometheus text at <c>/metrics</c> (loopback callers only, or anyone presenting <c>Telemetry:MetricsKey</c> as a
/// bearer), and over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set;</item>
/// <item>traces only when they have somewhere to go (that endpoint or <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c>, or
/// <c>Telemetry:Traces</c>): HTTP in and out, the
/// database, the broker and the host's own sources, sampled at <c>Telemetry:TraceSampleRatio</c> of new traces
/// (1 by default), following the caller's decision when it sent one. Nothing listens otherwise, so an untraced
/// hot path pays nothing for it;</item>
/// <item>in Production, console logs as one JSON object per line, with the trace and span ids of the request.</item>
/// </list>
/// </summary>
public static class Telemetry
{
    public const string MetricsPath = "/metrics";

    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder, string serviceName, string[] meters, string[] activitySources)
    {
        var configuration = builder.Configuration;
        var otlp = Endpoint(configuration, "OTEL_EXPORTER_OTLP_ENDPOINT") is not null;
        // A collector for one signal only (e.g. Jaeger, which takes traces and not metrics) is named per signal.
        var metricsEndpoint = Endpoint(configuration, "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT");
        var tracesEndpoint = Endpoint(configuration, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName, serviceInstanceId: Environment.MachineName + ":" + Environment.ProcessId))
            .WithMetrics(metrics =>
            {
                metrics.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation().AddRuntimeInstrumentation()
                    .AddMeter("Npgsql", "MassTransit").AddMeter(meters)
                    .AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds =
                        configuration.GetValue("Telemetry:ScrapeCacheMilliseconds", prometheus.ScrapeResponseCacheDurationMilliseconds));
                // Only a per-signal endpoint is set here: setting Endpoint at all stops the exporter appending /v1/metrics over http/protobuf.
                if (otlp || metricsEndpoint is not null) metrics.AddOtlpExporter(exporter => { if (metricsEndpoint is not null) exporter.Endpoint = metricsEndpoint; });
            });
        if (otlp || tracesEndpoint is not null || configuration.GetValue("Telemetry:Traces", false))
            telemetry.WithTracing(tracing =>
            {
                tracing.SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(configuration.GetValue("Telemetry:TraceSampleRatio", 1.0))))
                    .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = http => !IsOperational(http.Request.Path))
                    .AddHttpClientInstrumentation()
                    .AddSource("Npgsql", "MassTransit").AddSource(activitySources);
                if (otlp || tracesEndpoint is not null) tracing.AddOtlpExporter(exporter => { if (tracesEndpoint is not null) exporter.Endpoint = tracesEndpoint; });
            });

        if (builder.Environment.IsProduction() && configuration["Telemetry:LogFormat"] is null or "json")
            builder.Logging.AddJsonConsole(json =>
            {
                json.IncludeScopes = true; // the request's TraceId and SpanId are a scope
                json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                json.UseUtcTimestamp = true;
            });
        return builder;
    }

    /// <summary>Serves <c>/metrics</c> to whom <see cref="MayScrape"/> admits; anyone else gets 403 problem+json.</summary>
    public static WebApplication MapMetrics(this WebApplication app)
    {
        var key = app.Configuration["Telemetry:MetricsKey"];
        app.Use(async (http, next) =>
        {
            // As routing matches it: any case, with or without a trailing slash.
            if (http.Request.Path.StartsWithSegments(MetricsPath, StringComparison.OrdinalIgnoreCase) && !MayScrape(http.Connection.RemoteIpAddress, http.Request.Headers.Authorization, key))
            {
                http.Response.StatusCode = StatusCodes.Status403Forbidden;
                await http.Response.WriteAsJsonAsync(new
                {
                    type = "https://docs.tenantquota.dev/problems/forbidden", title = "Forbidden.", status = 403,
                    detail = key is null
                        ? "Metrics are served to loopback callers only; set Telemetry__MetricsKey to let a scraper elsewhere in with it as a bearer."
                        : "Send the metrics key as 'Authorization: Bearer <key>'.",
                }, options: null, contentType: "application/problem+json");
                return;
            }
            await next(http);
        });
        app.MapPrometheusScrapingEndpoint(MetricsPath).AllowAnonymous(); // the check above is its authorization
        return app;
    }

    /// <summary>With a key: whoever presents it (compared in fixed time). Without: loopback callers only.</summary>
    public static bool MayScrape(IPAddress? caller, string? authorization, string? key) => key is { Length: > 0 }
        ? authorization is { } header && header.StartsWith("Bearer ", StringComparison.Ordinal)
          && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(header[7..])), SHA256.HashData(Encoding.UTF8.GetBytes(key)))
        : caller is not null && IPAddress.IsLoopback(caller);

    /// <summary>An endpoint variable's URL; unset or blank is none, and anything else must be an absolute URL (named when not).</summary>
    private static Uri? Endpoint(IConfiguration configuration, string name) => configuration[name] is { } value && !string.IsNullOrWhiteSpace(value)
        ? Uri.TryCreate(value.Trim(), UriKind.Absolute, out var url) ? url : throw new InvalidOperationException($"{name} must be an absolute URL, not '{value}'.")
        : null;

    private static bool IsOperational(PathString path) => path.StartsWithSegments(MetricsPath) || path.StartsWithSegments("/health");
}
