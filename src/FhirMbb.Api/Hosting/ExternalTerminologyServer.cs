using System.Collections.Concurrent;
using FhirMbb.Core.Conformance;
using FhirMbb.Core.Serialization;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Hosting;

/// <summary>Settings under "Terminology".</summary>
public sealed class TerminologyOptions
{
    public const string Section = "Terminology";

    /// <summary>Base URL of an external FHIR terminology server asked when our content cannot decide; none by default.</summary>
    public string? ServerUrl { get; set; }

    public double TimeoutSeconds { get; set; } = 5;

    public double CacheMinutes { get; set; } = 60;
}

/// <summary>
/// Terminology:ServerUrl: ValueSet/$validate-code for ValueSets this server does not publish goes to an
/// external server, with a timeout and a cache of its answers. When that server is down or slow the
/// answer says so as a warning; it never turns into an error of the request, and writes never wait on it.
/// </summary>
public sealed partial class ExternalTerminologyServer(HttpClient http, TerminologyOptions options, FhirSerialization serialization,
    TimeProvider clock, ILogger<ExternalTerminologyServer> logger) : ITerminologyFallback
{
    private readonly ConcurrentDictionary<string, (DateTimeOffset Until, Parameters Answer)> _cache = new();

    public async Task<Parameters?> ValidateCodeAsync(string valueSetUrl, string? system, string code, CancellationToken cancellationToken = default)
    {
        var query = $"url={Uri.EscapeDataString(valueSetUrl)}&code={Uri.EscapeDataString(code)}"
            + (system is null ? "" : $"&system={Uri.EscapeDataString(system)}");
        if (_cache.TryGetValue(query, out var cached) && cached.Until > clock.GetUtcNow()) return cached.Answer;

        var address = $"{options.ServerUrl!.TrimEnd('/')}/ValueSet/$validate-code?{query}";
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(options.TimeoutSeconds));
            using var request = new HttpRequestMessage(HttpMethod.Get, address);
            request.Headers.Accept.ParseAdd("application/fhir+json");
            using var response = await http.SendAsync(request, timeout.Token);
            if (!response.IsSuccessStatusCode) return Undecided($"answered {(int)response.StatusCode}");
            var answer = serialization.ParseJson(await response.Content.ReadAsByteArrayAsync(timeout.Token)) as Parameters;
            if (answer is null) return Undecided("did not answer with Parameters");
            _cache[query] = (clock.GetUtcNow().AddMinutes(options.CacheMinutes), answer);
            return answer;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException or FhirMbb.Core.FhirOperationException
                                   && !cancellationToken.IsCancellationRequested)
        {
            LogUnreachable(logger, options.ServerUrl!, e.Message);
            return Undecided(e is OperationCanceledException ? $"did not answer within {options.TimeoutSeconds:0.#} s" : "could not be reached");
        }
    }

    /// <summary>Not decided is not "invalid": the result stays false, and a warning says why nobody could tell.</summary>
    private Parameters Undecided(string why)
    {
        var message = $"Not checked: the terminology server {options.ServerUrl} {why}.";
        var warning = new OperationOutcome();
        warning.Issue.Add(new OperationOutcome.IssueComponent
        {
            Severity = OperationOutcome.IssueSeverity.Warning,
            Code = OperationOutcome.IssueType.Transient,
            Diagnostics = message,
        });
        var parameters = new Parameters().Add("result", new FhirBoolean(false)).Add("message", new FhirString(message));
        parameters.Parameter.Add(new Parameters.ParameterComponent { Name = "issues", Resource = warning });
        return parameters;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Terminology server {Server} unavailable: {Reason}")]
    private static partial void LogUnreachable(ILogger logger, string server, string reason);
}
