using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;

namespace TenantQuota.Api.Tests.Identity;

/// <summary>Reads a JWT's header and payload without validating it (the API validates; tests look).</summary>
public static class Jwt
{
    public static JsonNode Header(string token) => Part(token, 0);

    public static JsonNode Payload(string token) => Part(token, 1);

    public static string[] Scopes(string token) =>
        ((string)Payload(token)["scope"]!).Split(' ', StringSplitOptions.RemoveEmptyEntries).Order().ToArray();

    private static JsonNode Part(string token, int index) => JsonNode.Parse(Base64UrlEncoder.Decode(token.Split('.')[index]))!;
}
