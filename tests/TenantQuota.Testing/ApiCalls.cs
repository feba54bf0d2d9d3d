using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TenantQuota.Testing;

/// <summary>A response as tests look at it: status, headers and the JSON body.</summary>
public sealed record ApiAnswer(int Status, string ContentType, JsonNode? Body, HttpResponseMessage Response)
{
    public string Header(string name) =>
        Response.Headers.TryGetValues(name, out var values) ? string.Join(",", values)
        : Response.Content.Headers.TryGetValues(name, out var contentValues) ? string.Join(",", contentValues)
        : throw new KeyNotFoundException($"No {name} header (status {Status}).");

    public JsonNode Json => Body ?? throw new InvalidOperationException($"Status {Status} had no JSON body.");

    public bool Allowed => Json["allowed"]!.GetValue<bool>();
    public long Used => Json["used"]!.GetValue<long>();
    public string? Decision => Json["decision"]?.GetValue<string>();
}

public static class ApiCalls
{
    public static async Task<ApiAnswer> SendAsync(this HttpClient client, HttpMethod method, string path, object? body = null, string? acceptLanguage = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = JsonContent.Create(body, options: ApiHost.Json);
        if (acceptLanguage is not null) request.Headers.AcceptLanguage.ParseAdd(acceptLanguage);
        return await ReadAsync(await client.SendAsync(request));
    }

    public static Task<ApiAnswer> CheckAsync(this HttpClient client, object body, string? acceptLanguage = null) =>
        client.SendAsync(HttpMethod.Post, "/v1/entitlements/check", body, acceptLanguage);

    public static Task<ApiAnswer> ConsumeAsync(this HttpClient client, object body, string? acceptLanguage = null) =>
        client.SendAsync(HttpMethod.Post, "/v1/entitlements/consume", body, acceptLanguage);

    public static Task<ApiAnswer> ReserveAsync(this HttpClient client, object body, string? acceptLanguage = null) =>
        client.SendAsync(HttpMethod.Post, "/v1/entitlements/reserve", body, acceptLanguage);

    public static Task<ApiAnswer> CommitAsync(this HttpClient client, string reservationId, object? body = null) =>
        client.SendAsync(HttpMethod.Post, $"/v1/reservations/{reservationId}/commit", body ?? new { });

    public static Task<ApiAnswer> ReleaseAsync(this HttpClient client, string reservationId) =>
        client.SendAsync(HttpMethod.Post, $"/v1/reservations/{reservationId}/release");

    public static Task<ApiAnswer> UsageAsync(this HttpClient client, string subjectId) =>
        client.SendAsync(HttpMethod.Get, $"/v1/subjects/{Uri.EscapeDataString(subjectId)}/usage");

    public static async Task<ApiAnswer> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        JsonNode? json = null;
        if (text.Length > 0)
        {
            try { json = JsonNode.Parse(text); }
            catch (JsonException) { json = JsonValue.Create(text); }
        }
        return new ApiAnswer((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType ?? "", json, response);
    }
}
