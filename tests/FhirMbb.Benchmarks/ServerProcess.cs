using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace FhirMbb.Benchmarks;

/// <summary>
/// A server under test: a child process on a free loopback port, its output appended straight to a log
/// file by the kernel (no pipe to drain, so neither a full pipe nor the client's CPU skews the figures).
/// Only the process this class started is ever signalled.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;

    public string BaseUrl { get; }
    public long StartedAt { get; }
    public int Pid => _process.Id;
    public string LogPath { get; }

    private ServerProcess(Process process, string baseUrl, long startedAt, string logPath)
    {
        _process = process;
        BaseUrl = baseUrl;
        StartedAt = startedAt;
        LogPath = logPath;
    }

    /// <summary>Starts <c>dotnet dll args</c> with --urls on a free port and the environment given.</summary>
    public static ServerProcess Start(string dll, IEnumerable<string> args, IReadOnlyDictionary<string, string> environment, string logPath)
    {
        var port = FreePort();
        var baseUrl = $"http://127.0.0.1:{port}";
        // sh execs dotnet in place (same pid) after pointing stdout and stderr at the log file.
        var info = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec \"$0\" \"$@\" >>\"$FHIRMBB_BENCH_LOG\" 2>&1");
        info.ArgumentList.Add("dotnet");
        info.ArgumentList.Add(dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(baseUrl);
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["FHIRMBB_BENCH_LOG"] = logPath;
        foreach (var (k, v) in environment) info.Environment[k] = v;

        var started = Stopwatch.GetTimestamp();
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start dotnet {dll}");
        return new ServerProcess(process, baseUrl, started, logPath);
    }

    /// <summary>Polls a path until it answers 200; the time is measured from process start.</summary>
    public async Task<TimeSpan> WaitForAsync(HttpClient client, string path, TimeSpan timeout, TimeSpan? pollEvery = null)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"the server exited with {_process.ExitCode}; see {LogPath}");
            try
            {
                using var response = await client.GetAsync(BaseUrl + path);
                if (response.StatusCode == HttpStatusCode.OK) return Stopwatch.GetElapsedTime(StartedAt);
            }
            catch (HttpRequestException) { /* not listening yet */ }
            await Task.Delay(pollEvery ?? TimeSpan.FromMilliseconds(5));
        }
        throw new TimeoutException($"{BaseUrl}{path} did not answer 200 within {timeout.TotalSeconds:0} s; see {LogPath}");
    }

    /// <summary>The longest a scenario waits for a server to settle before measuring anyway.</summary>
    public static readonly TimeSpan MaxSettle = TimeSpan.FromSeconds(120);

    /// <summary>
    /// Waits until /readyz answers 200 (when <paramref name="readyPath"/> is given) and then until the process uses
    /// under 0.05 cores over a whole second, at most <paramref name="timeout"/> in all; returns the time it took.
    /// Start-up (the validator's warm-up runs even with validation off) and any load just sent leave background
    /// work behind, mostly the runtime recompiling hot methods at a higher tier: measured at once, that work is
    /// billed to the scenario (a third of the server's CPU in a 5 s read run, a quarter in an ingest run).
    /// </summary>
    public async Task<TimeSpan> SettleAsync(HttpClient client, string? readyPath, TimeSpan timeout)
    {
        var t0 = Stopwatch.GetTimestamp();
        if (readyPath is not null) await WaitForAsync(client, readyPath, timeout, TimeSpan.FromMilliseconds(100));
        var sample = TimeSpan.FromSeconds(1);
        while (Stopwatch.GetElapsedTime(t0) < timeout)
        {
            var cpu0 = CpuTime();
            await Task.Delay(sample);
            if ((CpuTime() - cpu0) / sample < 0.05) break;
        }
        return Stopwatch.GetElapsedTime(t0);
    }

    /// <summary>Peak resident set size so far (VmHWM), in bytes; null where /proc is missing.</summary>
    public long? PeakRssBytes()
    {
        var path = $"/proc/{_process.Id}/status";
        if (!File.Exists(path)) return null;
        foreach (var line in File.ReadLines(path))
        {
            if (!line.StartsWith("VmHWM:", StringComparison.Ordinal)) continue;
            var kb = long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0]);
            return kb * 1024;
        }
        return null;
    }

    public TimeSpan CpuTime() => ProcessCpu(_process.Id) ?? RefreshedCpu();

    private TimeSpan RefreshedCpu()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    /// <summary>utime+stime of a process (all threads) from /proc/PID/stat, in USER_HZ=100 ticks.</summary>
    public static TimeSpan? ProcessCpu(int pid)
    {
        var path = $"/proc/{pid}/stat";
        if (!File.Exists(path)) return null;
        var stat = File.ReadAllText(path);
        // The command name may hold spaces; the fields after its closing parenthesis are fixed.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11]) + long.Parse(fields[12]);
        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM first so the server shuts down as it would in production (WAL checkpoint, etc.).
            if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) _ = Kill(_process.Id, 15);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await _process.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException) { _process.Kill(); await _process.WaitForExitAsync(); }
        }
        else
        {
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
