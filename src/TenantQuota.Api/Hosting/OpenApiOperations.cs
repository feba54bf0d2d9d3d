using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace TenantQuota.Api.Hosting;

/// <summary>OpenAPI metadata that endpoint code declares next to its route.</summary>
public static class OpenApiOperations
{
    /// <summary>
    /// A required JSON body, and the problems only a body can cause (413, 415). Handlers take the
    /// body as nullable so that a missing one is our 400 naming "body"; the document still says
    /// the body is required and is never null.
    /// </summary>
    public static RouteHandlerBuilder AcceptsJsonBody(this RouteHandlerBuilder route) => route
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
        .AddOpenApiOperationTransformer((operation, _, _) =>
        {
            if (operation.RequestBody is OpenApiRequestBody body)
            {
                body.Required = true;
                foreach (var media in body.Content?.Values ?? [])
                    if (media.Schema is OpenApiSchema { OneOf: { Count: 2 } oneOf } && oneOf.FirstOrDefault(s => s.Type != JsonSchemaType.Null) is { } nonNull)
                        media.Schema = nonNull;
            }
            return Task.CompletedTask;
        });

    /// <summary>Example bodies for generated clients and the reference page.</summary>
    public static RouteHandlerBuilder WithExamples(this RouteHandlerBuilder route, string request, string response, string status = "200") =>
        route.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            foreach (var media in operation.RequestBody?.Content?.Values ?? [])
                media.Example = JsonNode.Parse(request);
            if (operation.Responses?.TryGetValue(status, out var answer) == true)
                foreach (var media in answer.Content?.Values ?? [])
                    media.Example = JsonNode.Parse(response);
            return Task.CompletedTask;
        });

    /// <summary>
    /// The 200 answer also comes as text of <paramref name="mediaType"/> when Accept asks for it. Produces would
    /// replace the JSON answer in the document rather than add to it.
    /// </summary>
    public static RouteHandlerBuilder AlsoAnswersAs(this RouteHandlerBuilder route, string mediaType) =>
        route.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            if (operation.Responses?.TryGetValue("200", out var answer) == true && answer.Content is { } content)
                content[mediaType] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String } };
            return Task.CompletedTask;
        });
}
