using System.Globalization;

namespace FhirMbb.Benchmarks;

/// <summary>What to run and how hard, from the command line.</summary>
public sealed record BenchmarkOptions(
    IReadOnlyList<string> Scenarios,
    TimeSpan Duration,
    TimeSpan Warmup,
    int Connections,
    string ValidationMode,
    int Observations,
    int ReadSet,
    int StartupRuns,
    int IngestRounds,
    int IngestConnections,
    bool Build,
    string? ApiDir = null,
    IReadOnlyDictionary<string, string>? ServerEnvironment = null,
    string? SearchDb = null,
    string Load = "auto")
{
    public static readonly string[] AllScenarios =
        ["startup", "read-json", "read-xml", "create", "ingest", "search", "evaluate-block", "validate"];

    public const string Usage = """
        usage: dotnet run -c Release --project tests/FhirMbb.Benchmarks -- <scenario...|all> [options]

        scenarios: all, startup, read-json, read-xml, create, ingest, search, evaluate-block, validate
        options:
          --duration 10s        measured time per load scenario (s or ms suffix)
          --warmup 3s           unmeasured load before each measurement
          --connections 32      concurrent requests in flight (client side)
          --validation off|mbb  passed to the server as Validation__Mode (default mbb)
          --observations N      Observations loaded for search (default 1000000)
          --read-set N          resources created for the read scenarios (default 1000)
          --startup-runs N      cold starts measured (default 5)
          --ingest-rounds N     times the Synthea bundles are replayed (default 3)
          --ingest-connections N  transactions in flight during ingest (default 4)
          --no-build            reuse the last published server
          --api DIR             benchmark a server published elsewhere (for before/after comparisons)
          --server-env K=V      extra environment for the server, repeatable (e.g. DOTNET_gcServer=1)
          --load auto|wrk|client  load generator: wrk (apt-get install wrk) or the built-in client;
                                auto (default) takes wrk when it is on the PATH
          --db PATH             search: keep the loaded database at PATH and reuse it when it already
                                holds --observations Observations (loaded through the server earlier)
        """;

    public static BenchmarkOptions Parse(string[] args)
    {
        var scenarios = new List<string>();
        var o = new BenchmarkOptions([], TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(3), 32, "mbb", 1_000_000, 1000, 5, 3, 4, true);
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--duration": o = o with { Duration = ParseTime(Next()) }; break;
                case "--warmup": o = o with { Warmup = ParseTime(Next()) }; break;
                case "--connections": o = o with { Connections = PositiveInt(Next()) }; break;
                case "--validation":
                    var mode = Next();
                    if (mode is not ("off" or "mbb" or "claimed")) throw new ArgumentException("--validation is off, claimed or mbb");
                    o = o with { ValidationMode = mode };
                    break;
                case "--observations": o = o with { Observations = PositiveInt(Next()) }; break;
                case "--read-set": o = o with { ReadSet = PositiveInt(Next()) }; break;
                case "--startup-runs": o = o with { StartupRuns = PositiveInt(Next()) }; break;
                case "--ingest-rounds": o = o with { IngestRounds = PositiveInt(Next()) }; break;
                case "--ingest-connections": o = o with { IngestConnections = PositiveInt(Next()) }; break;
                case "--no-build": o = o with { Build = false }; break;
                case "--server-env":
                    var pair = Next().Split('=', 2);
                    if (pair.Length != 2) throw new ArgumentException("--server-env takes KEY=VALUE");
                    o = o with { ServerEnvironment = new Dictionary<string, string>(o.ServerEnvironment ?? new Dictionary<string, string>()) { [pair[0]] = pair[1] } };
                    break;
                case "--load":
                    var load = Next();
                    if (load is not ("auto" or "wrk" or "client")) throw new ArgumentException("--load is auto, wrk or client");
                    o = o with { Load = load };
                    break;
                case "--db": o = o with { SearchDb = Path.GetFullPath(Next()) }; break;
                case "--api": o = o with { ApiDir = Path.GetFullPath(Next()), Build = false }; break;
                case "all": scenarios.AddRange(AllScenarios); break;
                default:
                    if (!AllScenarios.Contains(args[i])) throw new ArgumentException($"unknown scenario or option '{args[i]}'");
                    scenarios.Add(args[i]);
                    break;
            }
        }
        if (scenarios.Count == 0) throw new ArgumentException("name at least one scenario, or all");
        return o with { Scenarios = scenarios.Distinct().ToList() };
    }

    private static int PositiveInt(string s) =>
        int.TryParse(s.Replace("_", ""), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n : throw new ArgumentException($"'{s}' is not a positive number");

    private static TimeSpan ParseTime(string s)
    {
        if (s.EndsWith("ms", StringComparison.Ordinal)) return TimeSpan.FromMilliseconds(PositiveInt(s[..^2]));
        if (s.EndsWith('s')) return TimeSpan.FromSeconds(double.Parse(s[..^1], CultureInfo.InvariantCulture));
        if (s.EndsWith('m')) return TimeSpan.FromMinutes(double.Parse(s[..^1], CultureInfo.InvariantCulture));
        return TimeSpan.FromSeconds(PositiveInt(s));
    }
}
