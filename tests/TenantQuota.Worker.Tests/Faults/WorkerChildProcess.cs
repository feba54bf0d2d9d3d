using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace TenantQuota.Worker.Tests.Faults;

/// <summary>
/// The worker as an operating-system process of its own (TenantQuota.Worker.dll from this test's
/// output, the production Program), so a test can crash it for real: <see cref="Kill"/> is SIGKILL,
/// no shutdown code runs, and PostgreSQL and RabbitMQ see its connections drop as they would after
/// a crash of the machine's process. Settings go in as environment variables (RabbitMq__Port, …).
/// </summary>
public sealed partial class WorkerChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private WorkerChildProcess(Process process) => _process = process;

    public Uri Address { get; private set; } = null!;

    public int Id => _process.Id;

    public static async Task<WorkerChildProcess> StartAsync(IReadOnlyDictionary<string, string?> settings)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "exec", Path.Combine(AppContext.BaseDirectory, "TenantQuota.Worker.dll"), "--urls", "http://127.0.0.1:0" })
            start.ArgumentList.Add(arg);
        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        foreach (var (key, value) in settings) start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;

        var worker = new WorkerChildProcess(new Process { StartInfo = start, EnableRaisingEvents = true });
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Collect(string? line)
        {
            if (line is null) return;
            lock (worker._output) worker._output.AppendLine(line);
            if (ListeningOn().Match(line) is { Success: true } match) listening.TrySetResult(new Uri(match.Groups[1].Value));
        }
        worker._process.OutputDataReceived += (_, e) => Collect(e.Data);
        worker._process.ErrorDataReceived += (_, e) => Collect(e.Data);
        worker._process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"The worker process exited with {worker._process.ExitCode}:\n{worker.Output}"));
        worker._process.Start();
        worker._process.BeginOutputReadLine();
        worker._process.BeginErrorReadLine();
        try
        {
            worker.Address = await listening.Task.WaitAsync(TimeSpan.FromSeconds(120)); // a dotnet start on CI's busy cores
            using var http = new HttpClient { BaseAddress = worker.Address };
            await Eventually.Until(async () => (int)(await http.GetAsync("/health/ready")).StatusCode, status => status == 200, "the worker process to be ready");
        }
        catch
        {
            await worker.DisposeAsync();
            throw;
        }
        return worker;
    }

    /// <summary>What the process wrote so far (stdout and stderr).</summary>
    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>SIGKILL, and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try { await KillAsync(); }
        catch (InvalidOperationException) { /* never started */ }
        _process.Dispose();
    }

    // The log is JSON in Production ("Message":"Now listening on: http://…"): the address ends at a quote or a space.
    [GeneratedRegex(@"Now listening on: (http://[^\s""]+)")]
    private static partial Regex ListeningOn();
}
