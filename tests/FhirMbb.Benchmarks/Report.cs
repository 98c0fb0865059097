using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace FhirMbb.Benchmarks;

/// <summary>A target from issue 8 and whether this line meets it; Met is null when it cannot be judged.</summary>
public sealed record Target(string Text, bool? Met)
{
    public string Verdict => Met switch { true => "PASS", false => "MISS", null => "n/a" };
}

/// <summary>One row of the report. Ours is null when the server does not offer the scenario yet.</summary>
public sealed record ScenarioLine(
    string Scenario,
    string Unit,
    double? Ours,
    double? Floor,
    Latency? Latency,
    long? Errors,
    long? PeakRssBytes,
    long? DatabaseBytes,
    Target? Target,
    string Note)
{
    public static ScenarioLine NotAvailable(string scenario, string reason, double? floor = null, string unit = "", Target? target = null) =>
        new(scenario, unit, null, floor, null, null, null, null, target is null ? null : target with { Met = null }, $"not available yet: {reason}");

    public double? PercentOfFloor => Ours is { } o && Floor is { } f && f > 0 ? 100 * o / f : null;
}

public static class Report
{
    public static string Machine()
    {
        var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        var memKb = File.Exists("/proc/meminfo")
            ? File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]
            : null;
        var mem = memKb is null ? "?" : $"{long.Parse(memKb, CultureInfo.InvariantCulture) / 1024.0 / 1024.0:0.0} GiB";
        return $"{Environment.ProcessorCount} cores ({cpu ?? RuntimeInformation.ProcessArchitecture.ToString()}), {mem} RAM, "
            + $"{RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}; "
            + $"client and server share these cores; load average {load} at the end of the run";
    }

    public static string Table(IReadOnlyList<ScenarioLine> lines)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| scenario | ours | floor | ours/floor | p50 ms | p95 ms | p99 ms | errors | server peak RSS | DB size | target | result |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|");
        foreach (var l in lines)
        {
            sb.Append("| ").Append(l.Scenario)
              .Append(" | ").Append(l.Ours is { } o ? $"{Num(o)} {l.Unit}" : "not available yet")
              .Append(" | ").Append(l.Floor is { } f ? $"{Num(f)} {l.Unit}" : "-")
              .Append(" | ").Append(l.PercentOfFloor is { } p ? $"{p:0}%" : "-")
              .Append(" | ").Append(Ms(l.Latency?.P50)).Append(" | ").Append(Ms(l.Latency?.P95)).Append(" | ").Append(Ms(l.Latency?.P99))
              .Append(" | ").Append(l.Errors?.ToString(CultureInfo.InvariantCulture) ?? "-")
              .Append(" | ").Append(Bytes(l.PeakRssBytes)).Append(" | ").Append(Bytes(l.DatabaseBytes))
              .Append(" | ").Append(l.Target?.Text ?? "-").Append(" | ").Append(l.Target?.Verdict ?? "-")
              .AppendLine(" |");
        }
        sb.AppendLine();
        foreach (var l in lines.Where(l => l.Note.Length > 0)) sb.Append("- ").Append(l.Scenario).Append(": ").AppendLine(l.Note);
        return sb.ToString();
    }

    public static string Num(double v) => v switch
    {
        >= 100 => v.ToString("#,0", CultureInfo.InvariantCulture),
        >= 10 => v.ToString("0.0", CultureInfo.InvariantCulture),
        _ => v.ToString("0.00", CultureInfo.InvariantCulture),
    };

    private static string Ms(double? v) => v is { } d && !double.IsNaN(d) ? Num(d) : "-";

    public static string Bytes(long? b) => b is { } v ? $"{v / 1024.0 / 1024.0:0.0} MB" : "-";

    public static string Cpu(LoadResult r) =>
        $"{r.Requests:#,0} requests in {r.Elapsed.TotalSeconds:0.0} s; CPU: client {r.ClientCores:0.00} cores, server {r.ServerCores:0.00} cores, other processes {r.OtherCores:0.00} cores";
}
