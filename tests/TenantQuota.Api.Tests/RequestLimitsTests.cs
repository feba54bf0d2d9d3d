using System.Net.Sockets;
using System.Text;
using TenantQuota.Api.Errors;
using TenantQuota.Testing;

namespace TenantQuota.Api.Tests;

/// <summary>Answers the server gives before any endpoint runs are problem+json too, with a type per status.</summary>
public sealed class RequestLimitsTests(ApiHostFixture fixture) : IClassFixture<ApiHostFixture>
{
    private readonly ApiHost _host = fixture.Host;

    [Fact]
    public async Task Refuses_a_url_over_8_KB_with_414_problem_json()
    {
        var answer = await _host.Client().SendAsync(HttpMethod.Get, "/v1/subjects/" + new string('a', 9000) + "/usage");

        AssertProblem(answer, 414, ProblemTypes.UriTooLong);
    }

    [Fact]
    public async Task Answers_problem_json_even_to_a_client_that_accepts_only_text()
    {
        using var client = _host.Client();
        client.DefaultRequestHeaders.Accept.ParseAdd("text/plain");

        var answer = await client.SendAsync(HttpMethod.Get, "/v1/subjects/" + new string('a', 9000) + "/usage");

        AssertProblem(answer, 414, ProblemTypes.UriTooLong);
    }

    [Fact]
    public async Task Refuses_a_100_KB_bearer_token_with_431_problem_json()
    {
        var answer = await _host.Client(new string('a', 100 * 1024)).SendAsync(HttpMethod.Get, "/v1/plans");

        AssertProblem(answer, 431, ProblemTypes.HeadersTooLarge);
    }

    [Fact]
    public async Task Refuses_40_KB_of_headers_with_431_problem_json()
    {
        using var client = _host.Client(TestTokens.For(null, "platform.admin"));
        for (var i = 0; i < 40; i++) client.DefaultRequestHeaders.Add($"X-Padding-{i}", new string('p', 1000));

        var answer = await client.SendAsync(HttpMethod.Get, "/v1/plans");

        AssertProblem(answer, 431, ProblemTypes.HeadersTooLarge);
    }

    /// <summary>This one waits for Kestrel's body data-rate timeout (5 s grace): the answer is about that timeout.</summary>
    [Fact]
    public async Task Answers_a_body_shorter_than_its_content_length_with_408_problem_json()
    {
        var token = TestTokens.For(await _host.CreateTenantAsync("free"), "quota.check");
        var response = await RawHttp(
            "POST /v1/entitlements/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
            $"Authorization: Bearer {token}\r\nContent-Length: 100\r\n\r\n{{\"subjectId\":");

        Assert.StartsWith("HTTP/1.1 408", response);
        Assert.Contains("Content-Type: application/problem+json", response);
        Assert.Contains(ProblemTypes.RequestTimeout, response);
    }

    [Fact]
    public void Gives_every_status_we_answer_a_type_of_its_own()
    {
        int[] statuses = [400, 401, 403, 404, 405, 406, 408, 411, 413, 414, 415, 431, 500, 503];

        var types = statuses.Select(ProblemTypes.ForStatus).ToList();

        Assert.Equal(statuses.Length, types.Distinct().Count());
        Assert.Equal(ProblemTypes.Internal, ProblemTypes.ForStatus(500));
    }

    private static void AssertProblem(ApiAnswer answer, int status, string type)
    {
        Assert.Equal(status, answer.Status);
        Assert.Equal("application/problem+json", answer.ContentType);
        Assert.Equal(type, (string)answer.Json["type"]!);
        Assert.False(string.IsNullOrWhiteSpace((string?)answer.Json["detail"]));
    }

    /// <summary>Sends bytes as given and reads until the server closes the connection.</summary>
    private async Task<string> RawHttp(string request)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(_host.Address.Host, _host.Address.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await reader.ReadToEndAsync(patience.Token);
    }
}
