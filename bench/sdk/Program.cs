using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using TenantQuota.Client;

// The SDK's own cost per call: checks through TenantQuotaClient and through the hand-written call a back end would make
// without it (pre-fetched token, a JSON string, the answer parsed for "allowed"), alternated in short rounds so that
// both see the same machine. Prints one line per mode for scripts/bench.sh.
var arguments = args.Select(a => a.Split('=', 2)).ToDictionary(a => a[0].TrimStart('-'), a => a.Length > 1 ? a[1] : "");
string Arg(string name, string fallback) => arguments.TryGetValue(name, out var value) ? value : fallback;
var api = new Uri(Arg("api", "http://127.0.0.1:5080/"));
var issuer = new Uri(Arg("issuer", "http://127.0.0.1:5001/"));
var clientId = Arg("client-id", "bench-backend");
var secret = Arg("client-secret", "bench-dev-secret");
var seconds = double.Parse(Arg("seconds", "20"), System.Globalization.CultureInfo.InvariantCulture);
var warmup = double.Parse(Arg("warmup", "5"), System.Globalization.CultureInfo.InvariantCulture);
var concurrency = int.Parse(Arg("concurrency", "16"));
const int Rounds = 6;
const int Subjects = 1000;

var handler = new SocketsHttpHandler { MaxConnectionsPerServer = concurrency };
var options = new TenantQuotaClientOptions { BaseAddress = api, Issuer = issuer, ClientId = clientId, ClientSecret = secret };
var sdk = TenantQuotaClient.Create(new HttpClient(handler, disposeHandler: false), options);
var raw = new HttpClient(handler, disposeHandler: false) { BaseAddress = api };
var rawTokens = new AccessTokens(raw, options); // a hand-written caller caches its token too; this one is renewed before it expires

async Task<bool> RawCheck(int i)
{
    using var content = new StringContent($"{{\"subjectId\":\"bench-user-{i % Subjects}\",\"operationClass\":\"summaries\",\"quantity\":1}}",
        Encoding.UTF8, "application/json");
    using var request = new HttpRequestMessage(HttpMethod.Post, "v1/entitlements/check") { Content = content };
    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await rawTokens.GetAsync(CancellationToken.None));
    using var response = await raw.SendAsync(request);
    response.EnsureSuccessStatusCode();
    using var answer = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync());
    return answer.RootElement.GetProperty("allowed").GetBoolean();
}

async Task<bool> SdkCheck(int i) => (await sdk.CheckAsync(new QuotaRequest($"bench-user-{i % Subjects}", "summaries"))).Allowed;

async Task<(long Calls, List<double> Latencies, TimeSpan Cpu, TimeSpan Wall)> Run(Func<int, Task<bool>> call, TimeSpan duration)
{
    var latencies = new List<double>[concurrency];
    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var wall = Stopwatch.StartNew();
    var until = wall.Elapsed + duration;
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
    {
        var mine = latencies[w] = new List<double>(100_000);
        for (var i = w; wall.Elapsed < until; i += concurrency)
        {
            var started = Stopwatch.GetTimestamp();
            if (!await call(i)) throw new InvalidOperationException("a check answered allowed: false; the bench subjects should have room");
            mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    })));
    var elapsed = wall.Elapsed;
    var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
    var all = latencies.SelectMany(l => l).ToList();
    return (all.Count, all, cpu, elapsed);
}

await Run(RawCheck, TimeSpan.FromSeconds(warmup / 2));
await Run(SdkCheck, TimeSpan.FromSeconds(warmup / 2));
var totals = new Dictionary<string, (long Calls, List<double> Latencies, TimeSpan Cpu, TimeSpan Wall)>
{
    ["raw"] = (0, [], TimeSpan.Zero, TimeSpan.Zero), ["sdk"] = (0, [], TimeSpan.Zero, TimeSpan.Zero),
};
for (var round = 0; round < Rounds; round++)
    foreach (var (mode, call) in round % 2 == 0 ? [("raw", (Func<int, Task<bool>>)RawCheck), ("sdk", SdkCheck)] : new[] { ("sdk", (Func<int, Task<bool>>)SdkCheck), ("raw", RawCheck) })
    {
        var result = await Run(call, TimeSpan.FromSeconds(seconds / Rounds));
        var total = totals[mode];
        total.Latencies.AddRange(result.Latencies);
        totals[mode] = (total.Calls + result.Calls, total.Latencies, total.Cpu + result.Cpu, total.Wall + result.Wall);
    }

double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
var summary = new Dictionary<string, (double P50, double P99, double CpuUs, double Rps)>();
foreach (var (mode, total) in totals)
{
    total.Latencies.Sort();
    summary[mode] = (Percentile(total.Latencies, 0.50), Percentile(total.Latencies, 0.99), total.Cpu.TotalMicroseconds / total.Calls, total.Calls / total.Wall.TotalSeconds);
    Console.WriteLine(FormattableString.Invariant(
        $"sdk-bench mode={mode} calls={total.Calls} rps={summary[mode].Rps:F0} p50_ms={summary[mode].P50:F3} p99_ms={summary[mode].P99:F3} client_cpu_us_per_call={summary[mode].CpuUs:F1}"));
}
Console.WriteLine(FormattableString.Invariant(
    $"sdk-bench overhead p50_ms={summary["sdk"].P50 - summary["raw"].P50:F3} p99_ms={summary["sdk"].P99 - summary["raw"].P99:F3} client_cpu_us_per_call={summary["sdk"].CpuUs - summary["raw"].CpuUs:F1}"));
return 0;
