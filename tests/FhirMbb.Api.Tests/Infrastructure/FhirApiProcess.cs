using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FhirMbb.Api.Tests.Infrastructure;

/// <summary>
/// A real FhirMbb.Api process (the built FhirMbb.Api.dll run with dotnet), as a load balancer would see one
/// instance. The dll sits next to the test assembly because this project references FhirMbb.Api.
/// </summary>
public sealed class FhirApiProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private FhirApiProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(100) };
    }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public static string ApiAssemblyPath => Path.Combine(AppContext.BaseDirectory, "FhirMbb.Api.dll");

    public static async Task<FhirApiProcess> StartAsync(string connectionString)
    {
        if (!File.Exists(ApiAssemblyPath)) throw new FileNotFoundException("FhirMbb.Api.dll is not next to the test assembly", ApiAssemblyPath);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnFreePortAsync(connectionString);
            }
            catch (ExitedEarlyException) when (attempt < 3)
            {
                // Another process may have taken the free port between choosing it and binding it.
            }
        }
    }

    private sealed class ExitedEarlyException(string message) : Exception(message);

    private static async Task<FhirApiProcess> StartOnFreePortAsync(string connectionString)
    {
        var port = FreePort();
        var start = new ProcessStartInfo(DotnetHost(), [ApiAssemblyPath, "--urls", $"http://127.0.0.1:{port}"])
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        start.Environment["ConnectionStrings__Fhir"] = connectionString;
        start.Environment["Storage__Provider"] = "Sqlite";
        start.Environment.Remove("ASPNETCORE_URLS");

        var process = new Process { StartInfo = start };
        var api = new FhirApiProcess(process, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => api.Append(e.Data);
        process.ErrorDataReceived += (_, e) => api.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await api.WaitUntilHealthyAsync();
        }
        catch
        {
            await api.DisposeAsync();
            throw;
        }
        return api;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    private async Task WaitUntilHealthyAsync()
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        using var probe = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
                throw new ExitedEarlyException($"FhirMbb.Api exited with code {_process.ExitCode} before it was healthy:\n{Output}");
            try
            {
                if ((await probe.GetAsync("/healthz")).StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException) { /* not listening yet */ }
            catch (TaskCanceledException) { /* slow machine: try again */ }
            await Task.Delay(200);
        }
        throw new TimeoutException($"FhirMbb.Api at {BaseAddress} was not healthy within {StartTimeout}:\n{Output}");
    }

    /// <summary>The dotnet host that runs this test, so the child uses the same runtime; plain "dotnet" otherwise.</summary>
    private static string DotnetHost()
    {
        var fromCli = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromCli) && File.Exists(fromCli)) return fromCli;
        var current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current).Equals("dotnet", StringComparison.OrdinalIgnoreCase)) return current;
        return "dotnet";
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await _process.WaitForExitAsync(wait.Token);
            }
        }
        catch (InvalidOperationException) { /* never started or already gone */ }
        catch (OperationCanceledException) { /* the OS will reap it */ }
        _process.Dispose();
    }
}
