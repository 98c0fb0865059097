using System.Net;
using System.Text;
using FhirMbb.Api.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Tests;

public sealed class ErrorTests(ErrorTests.SmallBodyFactory factory) : IClassFixture<ErrorTests.SmallBodyFactory>
{
    /// <summary>A server with a 64 KB body limit, so the 413 test needs no 10 MB upload.</summary>
    public sealed class SmallBodyFactory : FhirApiFactory
    {
        protected override IEnumerable<KeyValuePair<string, string>> Settings => [new("Fhir:MaxRequestBodyBytes", "65536")];
    }

    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public async Task Malformed_json_is_400_with_the_parser_message()
    {
        var message = await (await _client.PostAsync("/fhir/Patient", FhirTest.Json("{\"resourceType\":\"Patient\",\"name\":["))).AssertOutcome(HttpStatusCode.BadRequest);
        Assert.Contains("JSON", message);
    }

    [Fact]
    public async Task Json_that_is_not_valid_fhir_is_400_naming_the_problem()
    {
        var message = await (await _client.PostAsync("/fhir/Patient", FhirTest.Json("{\"resourceType\":\"Patient\",\"gender\":42}"))).AssertOutcome(HttpStatusCode.BadRequest);
        Assert.Contains("gender", message);
    }

    [Fact]
    public async Task A_primitive_extension_object_where_a_list_belongs_is_400_not_500()
    {
        // The deserializer throws InvalidOperationException here rather than reporting an issue.
        var body = """{"resourceType":"Observation","status":"final","code":{"coding":[{"code":"a"}],"_coding":{}}}""";
        var message = await (await _client.PostAsync("/fhir/Observation", FhirTest.Json(body))).AssertOutcome(HttpStatusCode.BadRequest);
        Assert.Contains("_coding", message);
    }

    [Fact]
    public async Task A_value_attribute_on_the_xml_root_is_400_not_500()
    {
        // The deserializer throws NotSupportedException here rather than reporting an issue.
        var content = new StringContent("""<Observation xmlns="http://hl7.org/fhir" value="x"><status value="final"/><code><text value="x"/></code></Observation>""",
            Encoding.UTF8, FhirTest.XmlType);
        var message = await (await _client.PostAsync("/fhir/Observation", content)).AssertOutcome(HttpStatusCode.BadRequest);
        Assert.Contains("XML", message);
    }

    [Fact]
    public async Task Malformed_xml_is_400_with_the_parser_message()
    {
        var content = new StringContent("<Patient xmlns=\"http://hl7.org/fhir\"><id value=\"x\"></Patient>", Encoding.UTF8, FhirTest.XmlType);
        var message = await (await _client.PostAsync("/fhir/Patient", content)).AssertOutcome(HttpStatusCode.BadRequest);
        Assert.Contains("XML", message);
    }

    [Fact]
    public async Task Body_type_different_from_the_url_is_400()
    {
        var message = await (await _client.PostAsync("/fhir/Patient", FhirTest.Json(FhirTest.PainScore()))).AssertOutcome(HttpStatusCode.BadRequest);
        Assert.Contains("Observation", message);
    }

    [Fact]
    public async Task Put_with_an_id_different_from_the_url_is_400_and_changes_nothing()
    {
        var created = await _client.CreateAsync(FhirTest.Patient());
        var other = FhirTest.Patient("Other");
        other.Id = "someone-else";

        await (await _client.PutAsync($"/fhir/Patient/{created.Id}", FhirTest.Json(other))).AssertOutcome(HttpStatusCode.BadRequest);
        var current = await (await _client.GetAsync($"/fhir/Patient/{created.Id}")).ReadAs<Patient>();
        Assert.Equal("1", current.Meta.VersionId);
    }

    [Fact]
    public async Task Put_without_an_id_in_the_body_is_400()
    {
        await (await _client.PutAsync("/fhir/Patient/abc", FhirTest.Json(FhirTest.Patient()))).AssertOutcome(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("bad_id")]
    [InlineData("has%20space")]
    [InlineData("0123456789012345678901234567890123456789012345678901234567890123456789")]
    public async Task Invalid_ids_are_400(string id)
    {
        await (await _client.GetAsync($"/fhir/Patient/{id}")).AssertOutcome(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("/fhir/Encounter/1")]
    [InlineData("/fhir/Encounter/1/_history/1")]
    [InlineData("/fhir/patient/1")]
    public async Task Unsupported_types_are_404(string url)
    {
        var message = await (await _client.GetAsync(url)).AssertOutcome(HttpStatusCode.NotFound);
        Assert.Contains("not supported", message);
    }

    [Fact]
    public async Task Posting_an_unsupported_type_is_404()
    {
        await (await _client.PostAsync("/fhir/Encounter", FhirTest.Json("{\"resourceType\":\"Encounter\",\"status\":\"planned\"}"))).AssertOutcome(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_method_the_route_does_not_allow_is_405()
    {
        await (await _client.PostAsync("/fhir/Patient/abc", FhirTest.Json(FhirTest.Patient()))).AssertOutcome(HttpStatusCode.MethodNotAllowed);
        await (await _client.DeleteAsync("/fhir/metadata")).AssertOutcome(HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task Unsupported_media_type_is_415()
    {
        var content = new StringContent("name=Jane", Encoding.UTF8, "application/x-www-form-urlencoded");
        await (await _client.PostAsync("/fhir/Patient", content)).AssertOutcome(HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413_and_nothing_is_stored()
    {
        var patient = FhirTest.Patient();
        patient.Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = $"<div xmlns=\"http://www.w3.org/1999/xhtml\">{new string('x', 70_000)}</div>" };
        var before = await (await _client.GetAsync("/fhir/Patient/_history?_count=1000")).ReadAs<Bundle>();

        await (await _client.PostAsync("/fhir/Patient", FhirTest.Json(patient))).AssertOutcome(HttpStatusCode.RequestEntityTooLarge);

        var after = await (await _client.GetAsync("/fhir/Patient/_history?_count=1000")).ReadAs<Bundle>();
        Assert.Equal(before.Entry.Count, after.Entry.Count);
    }

    [Fact]
    public async Task Empty_body_is_400()
    {
        await (await _client.PostAsync("/fhir/Patient", FhirTest.Json(""))).AssertOutcome(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Malformed_if_match_is_400()
    {
        var created = await _client.CreateAsync(FhirTest.Patient());
        var response = await _client.SendAsync(FhirTest.Request(HttpMethod.Put, $"/fhir/Patient/{created.Id}", FhirTest.Json(created), ("If-Match", "yesterday")));
        await response.AssertOutcome(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task An_unexpected_fault_is_500_with_a_correlation_id_and_no_stack_trace()
    {
        var patient = FhirTest.Patient();
        patient.Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = $"<div xmlns=\"http://www.w3.org/1999/xhtml\">{FaultInjection.Marker}</div>" };

        var response = await _client.SendAsync(FhirTest.Request(HttpMethod.Post, "/fhir/Patient", FhirTest.Json(patient), ("X-Correlation-Id", "trace-me-42")));

        var message = await response.AssertOutcome(HttpStatusCode.InternalServerError);
        Assert.Equal("trace-me-42", response.Headers.GetValues("X-Correlation-Id").Single());
        Assert.Contains("trace-me-42", message);
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("Injected fault", body);
        Assert.DoesNotContain(" at ", body);
    }

    [Fact]
    public async Task Every_response_carries_a_correlation_id()
    {
        var response = await _client.GetAsync("/fhir/metadata");
        Assert.False(string.IsNullOrEmpty(response.Headers.GetValues("X-Correlation-Id").Single()));
    }

    [Fact]
    public async Task Errors_answer_in_xml_when_xml_was_asked_for()
    {
        var response = await _client.GetAsync("/fhir/Patient/does-not-exist?_format=xml");
        Assert.Equal(FhirTest.XmlType, response.Content.Headers.ContentType?.MediaType);
        await response.AssertOutcome(HttpStatusCode.NotFound);
    }
}
