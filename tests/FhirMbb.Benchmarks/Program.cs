using System.Diagnostics;
using FhirMbb.Benchmarks;
using FhirMbb.Benchmarks.Scenarios;

if (args.Length > 0 && args[0] == FloorServer.Mode)
{
    FloorServer.Run(args[1..]);
    return 0;
}

BenchmarkOptions options;
try
{
    options = BenchmarkOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(BenchmarkOptions.Usage);
    return 2;
}

var repoRoot = RepoRoot();
var apiDir = options.ApiDir ?? Path.Combine(Path.GetTempPath(), "fhirmbb-bench", "api");
if (options.Build)
{
    BenchmarkRun.Progress($"publishing src/FhirMbb.Api in Release to {apiDir}");
    var publish = Process.Start(new ProcessStartInfo("dotnet",
        // Published for this machine's runtime, framework-dependent, so ReadyToRun applies as in a deployment.
        ["publish", Path.Combine(repoRoot, "src", "FhirMbb.Api", "FhirMbb.Api.csproj"), "-c", "Release",
            "-r", System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier, "--self-contained", "false",
            "-o", apiDir, "--nologo", "-v", "quiet"])
    { UseShellExecute = false })!;
    await publish.WaitForExitAsync();
    if (publish.ExitCode != 0) { Console.Error.WriteLine("publishing the server failed"); return 1; }
}
var apiDll = Path.Combine(apiDir, "FhirMbb.Api.dll");
if (!File.Exists(apiDll)) { Console.Error.WriteLine($"{apiDll} is missing; run without --no-build"); return 1; }

IScenario[] scenarios =
[
    new StartupScenario(), new ReadScenario(xml: false), new ReadScenario(xml: true), new CreateScenario(),
    new IngestScenario(), new SearchScenario(), new EvaluateBlockScenario(), new ValidateScenario(),
];

using var run = new BenchmarkRun(options, repoRoot, apiDll);
var lines = new List<ScenarioLine>();
foreach (var name in BenchmarkOptions.AllScenarios.Where(options.Scenarios.Contains))
{
    var scenario = scenarios.Single(s => s.Name == name);
    BenchmarkRun.Progress($"scenario {name}");
    try
    {
        lines.AddRange(await scenario.RunAsync(run));
    }
    catch (Exception e) when (e is InvalidOperationException or HttpRequestException or TimeoutException or IOException)
    {
        // One broken scenario must not hide the others' figures; it reports its failure instead of a number.
        lines.Add(new ScenarioLine(name, "", null, null, null, null, null, null, null, $"FAILED: {e.Message}"));
    }
}

Console.WriteLine();
Console.WriteLine($"FhirMbb benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, commit {Git(repoRoot, "rev-parse --short HEAD")}");
Console.WriteLine($"machine: {Report.Machine()}");
Console.WriteLine($"load: {options.Connections} connections, {options.Warmup.TotalSeconds:0} s warm-up + {options.Duration.TotalSeconds:0} s measured per phase; "
    + $"load generator: {run.Driver.Generator}; Validation__Mode={options.ValidationMode}; server logs in {run.WorkDir}; "
    + "server environment: " + string.Join(" ", run.ServerEnvironment.Select(e => $"{e.Key}={e.Value}")));
Console.WriteLine();
Console.WriteLine(Report.Table(lines));
return 0;

static string RepoRoot()
{
    foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "FhirMbb.sln"))) return dir.FullName;
    }
    throw new InvalidOperationException("run the benchmark from inside the FhirMbb repository");
}

static string Git(string repo, string arguments)
{
    try
    {
        var info = new ProcessStartInfo("git", arguments) { WorkingDirectory = repo, RedirectStandardOutput = true, UseShellExecute = false };
        using var git = Process.Start(info)!;
        var output = git.StandardOutput.ReadToEnd().Trim();
        git.WaitForExit();
        return output;
    }
    catch (System.ComponentModel.Win32Exception) { return "?"; }
}
