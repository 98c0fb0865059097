using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace FhirMbb.Benchmarks;

/// <summary>One benchmark invocation: where things are, how servers are started, and shared helpers.</summary>
public sealed class BenchmarkRun : IDisposable
{
    public const string FhirJson = "application/fhir+json";
    public const string FhirXml = "application/fhir+xml";

    public BenchmarkOptions Options { get; }
    public string RepoRoot { get; }
    public string WorkDir { get; }
    public string ApiDll { get; }
    public HttpClient Client { get; }
    public LoadDriver Driver { get; }

    private int _servers;

    public BenchmarkRun(BenchmarkOptions options, string repoRoot, string apiDll)
    {
        Options = options;
        RepoRoot = repoRoot;
        ApiDll = apiDll;
        WorkDir = Path.Combine(Path.GetTempPath(), "fhirmbb-bench", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss"));
        Directory.CreateDirectory(WorkDir);
        // One pooled handler for every request: connections are reused, as a real client would.
        Client = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = Math.Max(options.Connections, options.IngestConnections) + 4,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            UseCookies = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        })
        { Timeout = TimeSpan.FromMinutes(5) };
        var wrk = options.Load == "client" ? null : WrkLoad.Find();
        if (options.Load == "wrk" && wrk is null) throw new ArgumentException("--load wrk: wrk is not on the PATH (apt-get install wrk)");
        Driver = new LoadDriver(Client, wrk is null ? null : new WrkLoad(wrk, WorkDir));
    }

    /// <summary>
    /// The runtime settings the README gives for running the server (section Configuration, "Runtime"), then those of
    /// --server-env: the server is measured as it is meant to be deployed.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> DeploymentEnvironment = new Dictionary<string, string>
    {
        // A 64 MB gen0 budget for the workstation GC (see the README).
        ["DOTNET_GCgen0size"] = "0x4000000",
    };

    public IReadOnlyDictionary<string, string> ServerEnvironment =>
        DeploymentEnvironment.Concat(Options.ServerEnvironment ?? new Dictionary<string, string>())
            .GroupBy(e => e.Key).ToDictionary(g => g.Key, g => g.Last().Value);

    /// <summary>The FhirMbb server in Release on a fresh database (or the one given), ready to serve.</summary>
    public async Task<(ServerProcess Server, string DbPath)> StartApiAsync(
        string name, string? dbPath = null, bool wait = true, IReadOnlyDictionary<string, string>? environment = null)
    {
        dbPath ??= Path.Combine(WorkDir, $"{name}-{Interlocked.Increment(ref _servers)}.db");
        var server = StartApi(dbPath, name, environment);
        if (wait) await server.WaitForAsync(Client, "/healthz", TimeSpan.FromSeconds(60));
        return (server, dbPath);
    }

    /// <param name="extra">environment for this server only, on top of the run's (e.g. Search__Indexing=false)</param>
    public ServerProcess StartApi(string dbPath, string name, IReadOnlyDictionary<string, string>? extra = null)
    {
        var environment = new Dictionary<string, string>(ServerEnvironment)
        {
            ["ConnectionStrings__Fhir"] = $"Data Source={dbPath}",
            ["Validation__Mode"] = Options.ValidationMode,
            // Production refuses to run without authentication unless told; the benchmark measures the server without a token.
            ["Auth__AllowAnonymousInProduction"] = "true",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>()) environment[key] = value;
        return ServerProcess.Start(ApiDll, [], environment, Path.Combine(WorkDir, $"{name}.log"));
    }

    /// <summary>The bare Kestrel floor: this binary in floor-server mode, answering with the bytes given.</summary>
    public async Task<ServerProcess> StartFloorAsync(string name, byte[] body, string contentType)
    {
        var file = Path.Combine(WorkDir, $"{name}-floor.body");
        await File.WriteAllBytesAsync(file, body);
        var server = ServerProcess.Start(typeof(BenchmarkRun).Assembly.Location,
            [FloorServer.Mode, "--body", file, "--content-type", contentType], new Dictionary<string, string>(),
            Path.Combine(WorkDir, $"{name}-floor.log"));
        await server.WaitForAsync(Client, FloorServer.ReadPath, TimeSpan.FromSeconds(60));
        return server;
    }

    public static long DatabaseBytes(string dbPath) =>
        new[] { dbPath, dbPath + "-wal" }.Where(File.Exists).Sum(f => new FileInfo(f).Length);

    public static HttpRequestMessage Post(string url, byte[] body, string accept = FhirJson)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(FhirJson) { CharSet = "utf-8" };
        var message = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
        message.Headers.TryAddWithoutValidation("Accept", accept);
        return message;
    }

    public static HttpRequestMessage Get(string url, string accept = FhirJson)
    {
        var message = new HttpRequestMessage(HttpMethod.Get, url);
        message.Headers.TryAddWithoutValidation("Accept", accept);
        return message;
    }

    /// <summary>Creates one resource and returns its id; throws with the server's answer when it is refused.</summary>
    public async Task<string> CreateAsync(ServerProcess server, string type, string json)
    {
        using var response = await Client.SendAsync(Post($"{server.BaseUrl}/fhir/{type}", Encoding.UTF8.GetBytes(json)));
        var body = await response.Content.ReadAsStringAsync();
        if ((int)response.StatusCode != 201) throw new InvalidOperationException($"create {type} answered {(int)response.StatusCode}: {Refusal(body)}");
        return IdFromLocation(response.Headers.Location?.ToString()) ?? throw new InvalidOperationException("create answered without Location");
    }

    /// <summary>Creates many resources of one type with bounded concurrency; returns their ids in order.</summary>
    public async Task<List<string>> CreateManyAsync(ServerProcess server, string type, IReadOnlyList<string> jsons, int connections = 16)
    {
        var requests = jsons.Select(j => (Func<HttpRequestMessage>)(() => Post($"{server.BaseUrl}/fhir/{type}", Encoding.UTF8.GetBytes(j)))).ToList();
        var answers = await LoadDriver.SendAllAsync(Client, requests, connections);
        var failed = answers.FirstOrDefault(a => a.Status != 201);
        if (failed is not null) throw new InvalidOperationException($"create {type} answered {failed.Status}: {Refusal(Encoding.UTF8.GetString(failed.Body))}");
        return answers.Select(a => IdFromLocation(a.Location)!).ToList();
    }

    /// <summary>Posts transactions; returns the ids of the created resources from the response entries.</summary>
    public async Task<List<string>> TransactAsync(ServerProcess server, IReadOnlyList<byte[]> bundles, int connections)
    {
        var requests = bundles.Select(b => (Func<HttpRequestMessage>)(() => Post($"{server.BaseUrl}/fhir", b))).ToList();
        var answers = await LoadDriver.SendAllAsync(Client, requests, connections);
        var ids = new List<string>();
        foreach (var a in answers)
        {
            if (a.Status != 200) throw new InvalidOperationException($"transaction answered {a.Status}: {Refusal(Encoding.UTF8.GetString(a.Body))}");
            using var doc = JsonDocument.Parse(a.Body);
            foreach (var entry in doc.RootElement.GetProperty("entry").EnumerateArray())
                ids.Add(IdFromLocation(entry.GetProperty("response").GetProperty("location").GetString())!);
        }
        return ids;
    }

    /// <summary>"Observation/abc/_history/1" or an absolute URL of it: the id.</summary>
    public static string? IdFromLocation(string? location)
    {
        if (location is null) return null;
        var parts = location.Split('/');
        var history = Array.IndexOf(parts, "_history");
        return history > 0 ? parts[history - 1] : parts[^1];
    }

    public static string Shorten(string s, int max = 300) => s.Length <= max ? s : s[..max] + "...";

    /// <summary>A refusal's body for the report: long enough for a whole OperationOutcome, its diagnostics included.</summary>
    public static string Refusal(string body) => Shorten(body, 4000);

    public async Task<string> ReadyReportAsync(ServerProcess server)
    {
        try
        {
            using var response = await Client.GetAsync($"{server.BaseUrl}/readyz");
            return $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
        }
        catch (HttpRequestException e) { return e.Message; }
    }

    public static void Progress(string message) =>
        Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {message}");

    public static TimeSpan Time(Action action)
    {
        var t0 = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(t0);
    }

    public void Dispose()
    {
        Client.Dispose();
        // Databases can be large (1M resources); logs are small and kept for a post-mortem.
        foreach (var f in Directory.GetFiles(WorkDir, "*.db*")) File.Delete(f);
    }
}
