using System.Diagnostics;

namespace FhirMbb.Benchmarks;

/// <summary>Exact latency percentiles from every sample of a run (a few MB at most), in milliseconds.</summary>
public sealed record Latency(double P50, double P95, double P99, double Max)
{
    public static Latency From(List<long> ticks)
    {
        if (ticks.Count == 0) return new Latency(double.NaN, double.NaN, double.NaN, double.NaN);
        ticks.Sort();
        double At(double q) => ticks[Math.Min(ticks.Count - 1, (int)Math.Ceiling(q * ticks.Count) - 1)] * 1000.0 / Stopwatch.Frequency;
        return new Latency(At(0.50), At(0.95), At(0.99), ticks[^1] * 1000.0 / Stopwatch.Frequency);
    }
}

/// <summary>What one measured load phase produced. CPU figures are in cores (1.0 = one core busy).</summary>
public sealed record LoadResult(long Requests, long Errors, TimeSpan Elapsed, Latency Latency, double ClientCores, double ServerCores, string? FirstError)
{
    /// <summary>CPU used on the machine by anything but client and server (other work on a shared box skews the figures).</summary>
    public double OtherCores { get; init; } = double.NaN;

    public double PerSecond => Requests / Elapsed.TotalSeconds;
}

/// <summary>
/// A closed-loop, bounded-concurrency HTTP load: N connections, each sending its next request as soon as the previous
/// one is answered. From wrk when given one (see <see cref="WrkLoad"/>), else from a client in the benchmark process;
/// either way its CPU competes with the server's, and each result says how much it took.
/// </summary>
public sealed class LoadDriver(HttpClient client, WrkLoad? wrk = null)
{
    /// <summary>What generates the load, for the report.</summary>
    public string Generator => wrk is null ? "the built-in client (HttpClient, one pooled handler)" : "wrk (one thread)";

    /// <summary>
    /// How every scenario measures, ours and the floor alike: a warm-up with the same requests, a pause until the
    /// server is idle (the runtime recompiles hot methods at a higher tier in the first seconds of load; measured at
    /// once, that work is billed to the scenario), then the measured load with the server's CPU. Returns the load and
    /// how long the pause took.
    /// </summary>
    public async Task<(LoadResult Load, TimeSpan Settled)> MeasureAsync(
        ServerProcess server, Func<long, HttpRequestMessage> request, int expectedStatus, int connections, TimeSpan warmup, TimeSpan duration)
    {
        // wrk counts only statuses >= 400 as errors: one request through the client first checks the exact status.
        if (wrk is not null) await ProbeAsync(request(0), expectedStatus);
        if (warmup > TimeSpan.Zero)
        {
            if (wrk is null) await PhaseAsync(request, expectedStatus, connections, warmup, record: false);
            else await wrk.PhaseAsync(request, connections, warmup);
        }
        var settled = await server.SettleAsync(client, readyPath: null, ServerProcess.MaxSettle);

        var clientCpu0 = ClientCpu();
        var serverCpu0 = server.CpuTime();
        var machine0 = MachineBusy();
        var result = wrk is null
            ? await PhaseAsync(request, expectedStatus, connections, duration, record: true)
            : await wrk.PhaseAsync(request, connections, duration);
        // wrk's own CPU comes with its result; the benchmark process only waited for it.
        var clientCpu = wrk is null ? ClientCpu() - clientCpu0 : result.ClientCores * result.Elapsed;
        var serverCpuUsed = server.CpuTime() - serverCpu0;
        var machine = MachineBusy() - machine0;
        return (result with
        {
            ClientCores = clientCpu / result.Elapsed,
            ServerCores = serverCpuUsed / result.Elapsed,
            OtherCores = machine0 is null ? double.NaN : (machine!.Value - clientCpu - serverCpuUsed) / result.Elapsed,
        }, settled);
    }

    private async Task ProbeAsync(HttpRequestMessage message, int expectedStatus)
    {
        using (message)
        using (var response = await client.SendAsync(message))
        {
            if ((int)response.StatusCode != expectedStatus)
                throw new InvalidOperationException($"HTTP {(int)response.StatusCode} instead of {expectedStatus} on {message.Method} {message.RequestUri?.PathAndQuery}: "
                    + BenchmarkRun.Refusal(await response.Content.ReadAsStringAsync()));
        }
    }

    /// <summary>CPU time of this process (the benchmark, which is the built-in client) so far.</summary>
    public static TimeSpan ClientCpu() => ServerProcess.ProcessCpu(Environment.ProcessId) ?? Process.GetCurrentProcess().TotalProcessorTime;

    /// <summary>Busy CPU time of the whole machine so far (user+nice+system+irq+softirq+steal from /proc/stat).</summary>
    public static TimeSpan? MachineBusy()
    {
        if (!File.Exists("/proc/stat")) return null;
        var f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long Field(int i) => long.Parse(f[i], System.Globalization.CultureInfo.InvariantCulture);
        var jiffies = Field(1) + Field(2) + Field(3) + Field(6) + Field(7) + Field(8);
        return TimeSpan.FromSeconds(jiffies / 100.0); // USER_HZ is 100 on Linux
    }

    private async Task<LoadResult> PhaseAsync(Func<long, HttpRequestMessage> request, int expectedStatus, int connections, TimeSpan duration, bool record)
    {
        long counter = -1;
        string? firstError = null;
        var start = Stopwatch.GetTimestamp();
        var end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = Enumerable.Range(0, connections).Select(_ => Task.Run(async () =>
        {
            var samples = new List<long>(record ? 65536 : 0);
            long errors = 0;
            var buffer = new byte[64 * 1024];
            while (Stopwatch.GetTimestamp() < end)
            {
                var n = Interlocked.Increment(ref counter);
                using var message = request(n);
                var t0 = Stopwatch.GetTimestamp();
                var ok = false;
                try
                {
                    using var response = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead);
                    await using var body = await response.Content.ReadAsStreamAsync();
                    while (await body.ReadAsync(buffer) > 0) { }
                    ok = (int)response.StatusCode == expectedStatus;
                    if (!ok) Interlocked.CompareExchange(ref firstError, $"HTTP {(int)response.StatusCode} on {message.Method} {message.RequestUri?.PathAndQuery}", null);
                }
                catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
                {
                    Interlocked.CompareExchange(ref firstError, $"{e.GetType().Name}: {e.Message}", null);
                }
                if (record) samples.Add(Stopwatch.GetTimestamp() - t0);
                if (!ok) errors++;
            }
            return (samples, errors);
        })).ToArray();
        var done = await Task.WhenAll(workers);
        var elapsed = Stopwatch.GetElapsedTime(start);
        var all = new List<long>(done.Sum(d => d.samples.Count));
        foreach (var d in done) all.AddRange(d.samples);
        return new LoadResult(all.Count, done.Sum(d => d.errors), elapsed, Latency.From(all), double.NaN, double.NaN, firstError);
    }

    /// <summary>Sends a fixed list of requests with bounded concurrency (data loading; not a measurement).</summary>
    public static async Task<List<HttpResponseSummary>> SendAllAsync(HttpClient client, IReadOnlyList<Func<HttpRequestMessage>> requests, int connections)
    {
        var results = new HttpResponseSummary[requests.Count];
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Math.Min(connections, requests.Count)).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests.Count)
            {
                var t0 = Stopwatch.GetTimestamp();
                using var message = requests[i]();
                using var response = await client.SendAsync(message);
                var body = await response.Content.ReadAsByteArrayAsync();
                results[i] = new HttpResponseSummary((int)response.StatusCode, response.Headers.Location?.ToString(), body, Stopwatch.GetTimestamp() - t0);
            }
        })));
        return results.ToList();
    }
}

public sealed record HttpResponseSummary(int Status, string? Location, byte[] Body, long Ticks);
