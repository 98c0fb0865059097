using System.Net;
using FhirMbb.Api.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Tests;

public sealed class FormatTests(FhirApiFactory factory) : IClassFixture<FhirApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public async Task Xml_body_is_accepted_and_answered_in_xml_when_accept_asks()
    {
        var request = FhirTest.Request(HttpMethod.Post, "/fhir/Observation", FhirTest.Xml(FhirTest.PainScore(score: 5)), ("Accept", FhirTest.XmlType));

        var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(FhirTest.XmlType, response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("<Observation xmlns=\"http://hl7.org/fhir\">", body);
        var created = await response.ReadAs<Observation>();
        Assert.Equal(5, ((Integer)created.Value).Value);
    }

    [Theory]
    [InlineData("xml", FhirTest.XmlType)]
    [InlineData("application/fhir+xml", FhirTest.XmlType)]
    [InlineData("json", FhirTest.JsonType)]
    [InlineData("application/fhir+json", FhirTest.JsonType)]
    public async Task Format_parameter_overrides_accept(string format, string expected)
    {
        var created = await _client.CreateAsync(FhirTest.Patient());
        var request = FhirTest.Request(HttpMethod.Get, $"/fhir/Patient/{created.Id}?_format={Uri.EscapeDataString(format)}", null,
            ("Accept", expected == FhirTest.XmlType ? FhirTest.JsonType : FhirTest.XmlType));

        var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(created.Id, (await response.ReadAs<Patient>()).Id);
    }

    [Fact]
    public async Task Json_is_the_default_and_a_browser_gets_the_xml_it_ranks_above_anything_else()
    {
        var created = await _client.CreateAsync(FhirTest.Patient());
        var plain = await _client.GetAsync($"/fhir/Patient/{created.Id}");
        var browser = await _client.SendAsync(FhirTest.Request(HttpMethod.Get, $"/fhir/Patient/{created.Id}", null,
            ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")));

        Assert.Equal(FhirTest.JsonType, plain.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", plain.Content.Headers.ContentType?.CharSet);
        Assert.Equal(FhirTest.XmlType, browser.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task An_accept_header_naming_nothing_we_produce_is_406()
    {
        var created = await _client.CreateAsync(FhirTest.Patient());
        var response = await _client.SendAsync(FhirTest.Request(HttpMethod.Get, $"/fhir/Patient/{created.Id}", null, ("Accept", "text/csv")));
        await response.AssertOutcome(HttpStatusCode.NotAcceptable);
    }

    [Fact]
    public async Task Pretty_output_is_indented_in_json_and_xml()
    {
        var created = await _client.CreateAsync(FhirTest.Patient());

        var json = await (await _client.GetAsync($"/fhir/Patient/{created.Id}?_pretty=true")).Content.ReadAsStringAsync();
        var compact = await (await _client.GetAsync($"/fhir/Patient/{created.Id}")).Content.ReadAsStringAsync();
        var xml = await (await _client.GetAsync($"/fhir/Patient/{created.Id}?_pretty=true&_format=xml")).Content.ReadAsStringAsync();

        Assert.Contains("\n  \"resourceType\": \"Patient\"", json);
        Assert.DoesNotContain("\n", compact);
        Assert.Contains("\n  <id value=", xml);
    }

    [Fact]
    public async Task Prefer_return_minimal_sends_headers_and_no_body()
    {
        var response = await _client.SendAsync(FhirTest.Request(HttpMethod.Post, "/fhir/Patient", FhirTest.Json(FhirTest.Patient()), ("Prefer", "return=minimal")));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.NotNull(response.Headers.Location);
        Assert.Equal("W/\"1\"", response.Headers.ETag?.ToString());
    }

    [Fact]
    public async Task Prefer_return_operation_outcome_sends_an_outcome()
    {
        var response = await _client.SendAsync(FhirTest.Request(HttpMethod.Post, "/fhir/Patient", FhirTest.Json(FhirTest.Patient()), ("Prefer", "return=OperationOutcome")));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var outcome = await response.ReadAs<OperationOutcome>();
        Assert.Equal(OperationOutcome.IssueSeverity.Information, outcome.Issue[0].Severity);
        Assert.Contains("Created Patient/", outcome.Issue[0].Diagnostics);
    }

    [Fact]
    public async Task Prefer_return_representation_sends_the_resource()
    {
        var response = await _client.SendAsync(FhirTest.Request(HttpMethod.Post, "/fhir/Patient", FhirTest.Json(FhirTest.Patient("Rep")), ("Prefer", "return=representation")));
        Assert.Equal("Rep", (await response.ReadAs<Patient>()).Name[0].Family);
    }
}
