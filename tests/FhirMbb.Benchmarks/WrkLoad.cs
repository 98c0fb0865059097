using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace FhirMbb.Benchmarks;

/// <summary>
/// Load from wrk (Debian's <c>wrk</c> package), when it is installed: the same closed loop as the built-in client
/// (N connections, each sending its next request when the previous one is answered), at a fraction of the client CPU
/// (the built-in client took ~140 µs of the two shared cores per request; wrk ~30). The requests are the scenario's own:
/// the first <see cref="DistinctRequests"/> of its sequence, sent in turn, round and round.
/// </summary>
public sealed class WrkLoad(string wrk, string workDir)
{
    // Enough for every Patient of the search scenario (5,000 at 1M Observations) to be asked for once per round.
    private const int DistinctRequests = 5000;
    private int _scripts;

    /// <summary>wrk on the PATH, or null.</summary>
    public static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "wrk")).FirstOrDefault(File.Exists);

    public async Task<LoadResult> PhaseAsync(Func<long, HttpRequestMessage> request, int connections, TimeSpan duration)
    {
        var (url, script) = await WriteScriptAsync(request);
        var seconds = Math.Max(1, (int)Math.Round(duration.TotalSeconds));
        // sh runs wrk and then prints the CPU its reaped child used (cutime + cstime of the shell, in ticks).
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("\"$0\" \"$@\"; status=$?; echo \"CHILD_TICKS $(cut -d' ' -f16,17 /proc/$$/stat)\"; exit $status");
        foreach (var a in new[] { wrk, "-t1", $"-c{connections}", $"-d{seconds}s", "--timeout", "30s", "-s", script, url }) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start wrk");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var output = await stdout;
        if (process.ExitCode != 0) throw new InvalidOperationException($"wrk failed ({process.ExitCode}): {await stderr}{output}");

        var summary = Line(output, "FHIRMBB_RESULT").Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var ticks = Line(output, "CHILD_TICKS").Sum(v => long.Parse(v, CultureInfo.InvariantCulture));
        var (requests, micros) = ((long)summary[0], summary[1]);
        long connect = (long)summary[2], read = (long)summary[3], write = (long)summary[4], status = (long)summary[5], timeout = (long)summary[6];
        var errors = connect + read + write + status + timeout;
        var elapsed = TimeSpan.FromMicroseconds(micros);
        var latency = new Latency(summary[7] / 1000, summary[8] / 1000, summary[9] / 1000, summary[10] / 1000);
        var firstError = errors == 0 ? null
            : $"wrk: {status} responses >= 400, {connect} connect, {read} read, {write} write, {timeout} timeout errors";
        return new LoadResult(requests, errors, elapsed, latency, TimeSpan.FromSeconds(ticks / 100.0) / elapsed, double.NaN, firstError);
    }

    private static IEnumerable<string> Line(string output, string tag) =>
        output.Split('\n').FirstOrDefault(l => l.StartsWith(tag + " ", StringComparison.Ordinal))?.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
        ?? throw new InvalidOperationException($"wrk printed no {tag} line: {output}");

    /// <summary>A Lua script holding the requests, each formatted once by wrk at start-up; returns the base URL too.</summary>
    private async Task<(string Url, string Script)> WriteScriptAsync(Func<long, HttpRequestMessage> request)
    {
        var distinct = new Dictionary<string, int>(StringComparer.Ordinal);
        var order = new List<int>(DistinctRequests);
        var lua = new StringBuilder("local formatted = {}\n");
        string? baseUrl = null;
        for (var n = 0; n < DistinctRequests; n++)
        {
            using var message = request(n);
            var uri = message.RequestUri ?? throw new InvalidOperationException("a load request needs an absolute URL");
            baseUrl ??= uri.GetLeftPart(UriPartial.Authority);
            if (uri.GetLeftPart(UriPartial.Authority) != baseUrl) throw new InvalidOperationException("wrk load goes to one server");
            // wrk writes Host and Content-Length itself.
            var headers = message.Headers.Concat(message.Content?.Headers ?? Enumerable.Empty<KeyValuePair<string, IEnumerable<string>>>())
                .Where(h => h.Key is not ("Host" or "Content-Length"))
                .Select(h => $"[{Quote(h.Key)}] = {Quote(string.Join(", ", h.Value))}");
            var body = message.Content is null ? "nil" : Quote(await message.Content.ReadAsByteArrayAsync());
            var call = $"wrk.format({Quote(message.Method.Method)}, {Quote(uri.PathAndQuery)}, {{ {string.Join(", ", headers)} }}, {body})";
            if (!distinct.TryGetValue(call, out var index))
            {
                index = distinct.Count + 1;
                distinct[call] = index;
                lua.Append("formatted[").Append(index).Append("] = function() return ").Append(call).Append(" end\n");
            }
            order.Add(index);
        }
        lua.Append("local order = {").Append(string.Join(",", order)).Append("}\n");
        lua.Append("""
            local requests, next = {}, 0
            init = function(args)
              for i, f in ipairs(formatted) do requests[i] = f() end
            end
            request = function()
              next = next % #order + 1
              return requests[order[next]]
            end
            done = function(summary, latency, _)
              local e = summary.errors
              io.write(string.format("FHIRMBB_RESULT %d %d %d %d %d %d %d %.1f %.1f %.1f %.1f\n", summary.requests, summary.duration,
                e.connect, e.read, e.write, e.status, e.timeout,
                latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
            end

            """);
        var script = Path.Combine(workDir, $"wrk-{Interlocked.Increment(ref _scripts)}.lua");
        await File.WriteAllTextAsync(script, lua.ToString());
        return (baseUrl!, script);
    }

    private static string Quote(string s) => Quote(Encoding.UTF8.GetBytes(s));

    /// <summary>A Lua string literal for any bytes: letters, digits and a few safe marks as they are, the rest as \ddd.</summary>
    private static string Quote(byte[] bytes)
    {
        var sb = new StringBuilder(bytes.Length + 2).Append('"');
        foreach (var b in bytes)
        {
            if (b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9' or (byte)' ' or (byte)'/' or (byte)':' or (byte)'-' or (byte)',' or (byte)'.')
                sb.Append((char)b);
            else
                sb.Append('\\').Append(b.ToString("000", CultureInfo.InvariantCulture));
        }
        return sb.Append('"').ToString();
    }
}
