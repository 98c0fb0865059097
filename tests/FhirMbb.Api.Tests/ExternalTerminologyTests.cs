using System.Net;
using FhirMbb.Api.Tests.Infrastructure;
using Hl7.Fhir.Model;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace FhirMbb.Api.Tests;

/// <summary>Terminology:ServerUrl, with WireMock standing in for the external terminology server.</summary>
public sealed class ExternalTerminologyTests : IClassFixture<ExternalTerminologyTests.WithTerminologyServer>, IDisposable
{
    private const string ForeignValueSet = "http://example.org/fhir/ValueSet/clinic-drugs";

    public sealed class WithTerminologyServer : FhirApiFactory
    {
        public WireMockServer Terminology { get; } = WireMockServer.Start();

        protected override IEnumerable<KeyValuePair<string, string>> Settings =>
            [new("Terminology:ServerUrl", Terminology.Url! + "/fhir"), new("Terminology:TimeoutSeconds", "1")];

        protected override void Dispose(bool disposing)
        {
            Terminology.Stop();
            base.Dispose(disposing);
        }
    }

    private readonly WithTerminologyServer _factory;
    private readonly HttpClient _client;

    public ExternalTerminologyTests(WithTerminologyServer factory)
    {
        _factory = factory;
        _client = factory.CreateClient();
        factory.Terminology.Reset();
    }

    public void Dispose() => _factory.Terminology.Reset();

    private static string Url(string code) =>
        $"/fhir/ValueSet/$validate-code?url={Uri.EscapeDataString(ForeignValueSet)}&system=http://snomed.info/sct&code={code}";

    private void Answer(string code, bool result, int delayMs = 0)
    {
        var response = Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/fhir+json")
            .WithBody($$"""{"resourceType":"Parameters","parameter":[{"name":"result","valueBoolean":{{(result ? "true" : "false")}}}]}""");
        if (delayMs > 0) response = response.WithDelay(TimeSpan.FromMilliseconds(delayMs));
        _factory.Terminology.Given(Request.Create().WithPath("/fhir/ValueSet/$validate-code").WithParam("code", code).UsingGet()).RespondWith(response);
    }

    /// <summary>
    /// The requests the external server received for one code. Counted by code, not in all: the slow-server test's
    /// request is logged when its delayed answer completes, which may be after the next test has reset the log.
    /// </summary>
    private IEnumerable<WireMock.Logging.ILogEntry> AskedFor(string code) =>
        _factory.Terminology.LogEntries.Where(e => e.RequestMessage.Query is { } query && query.TryGetValue("code", out var codes) && codes.Contains(code));

    private static bool Result(Parameters answer) => ((FhirBoolean)answer.Parameter.Single(p => p.Name == "result").Value).Value == true;

    [Fact]
    public async Task A_value_set_we_do_not_publish_is_asked_of_the_external_server_once_then_cached()
    {
        Answer("387480006", result: true);

        var first = await (await _client.GetAsync(Url("387480006"))).ReadAs<Parameters>();
        var second = await (await _client.GetAsync(Url("387480006"))).ReadAs<Parameters>();

        Assert.True(Result(first));
        Assert.True(Result(second));
        Assert.Single(AskedFor("387480006"));
    }

    [Fact]
    public async Task A_slow_external_server_gives_a_warning_not_an_error()
    {
        Answer("111111", result: true, delayMs: 3000);

        var response = await _client.GetAsync(Url("111111"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.ReadAs<Parameters>();
        Assert.False(Result(answer));
        var issues = (OperationOutcome)answer.Parameter.Single(p => p.Name == "issues").Resource;
        Assert.Equal(OperationOutcome.IssueSeverity.Warning, issues.Issue[0].Severity);
        Assert.Contains("did not answer", issues.Issue[0].Diagnostics);
    }

    [Fact]
    public async Task An_external_server_error_gives_a_warning_and_our_own_value_sets_never_ask_it()
    {
        _factory.Terminology.Given(Request.Create().WithPath("/fhir/ValueSet/$validate-code").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(503));

        var foreign = await (await _client.GetAsync(Url("222222"))).ReadAs<Parameters>();
        var ours = await (await _client.GetAsync($"/fhir/ValueSet/$validate-code?url={Uri.EscapeDataString(FhirMbb.Core.Canonicals.ValueSets.ProcedureCodes)}&system=http://www.ama-assn.org/go/cpt&code=64493")).ReadAs<Parameters>();

        Assert.Contains("Not checked", ((FhirString)foreign.Parameter.Single(p => p.Name == "message").Value).Value);
        Assert.True(Result(ours));
        Assert.Single(AskedFor("222222"));
        Assert.Empty(AskedFor("64493"));
    }
}
