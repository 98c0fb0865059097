using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using FhirMbb.Core.Serialization;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Tests.Infrastructure;

/// <summary>Small builders and HTTP helpers so tests read as the interaction they exercise.</summary>
public static class FhirTest
{
    public const string JsonType = "application/fhir+json";
    public const string XmlType = "application/fhir+xml";

    public static Observation PainScore(string patientId = "p1", int score = 6) => new()
    {
        Status = ObservationStatus.Final,
        Code = new CodeableConcept("http://loinc.org", "72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported"),
        Subject = new ResourceReference($"Patient/{patientId}"),
        Effective = new FhirDateTime("2026-11-01T09:30:00Z"),
        Value = new Integer(score),
    };

    public static Procedure Procedure(string patientId = "p1") => new()
    {
        Status = EventStatus.Completed,
        Subject = new ResourceReference($"Patient/{patientId}"),
        Code = new CodeableConcept("http://snomed.info/sct", "80146002", "Appendectomy"),
        Performed = new FhirDateTime("2026-11-01T09:00:00Z"),
    };

    public static Patient Patient(string family = "Doe") => new()
    {
        Name = [new HumanName { Family = family, Given = ["Jane"] }],
        Gender = AdministrativeGender.Female,
    };

    /// <summary>A FHIRPath Patch of one operation: its type ("replace", "add", ...), path, and for an add the element's name.</summary>
    public static Parameters FhirPathPatch(string type, string path, DataType value, string? name = null) => new()
    {
        Parameter =
        [
            new Parameters.ParameterComponent
            {
                Name = "operation",
                Part =
                [
                    new() { Name = "type", Value = new Code(type) },
                    new() { Name = "path", Value = new FhirString(path) },
                    .. name is null ? Array.Empty<Parameters.ParameterComponent>() : [new() { Name = "name", Value = new FhirString(name) }],
                    new() { Name = "value", Value = value },
                ],
            },
        ],
    };

    public static HttpContent Json(Resource resource) => Json(FhirSerialization.Shared.ToJsonString(resource));

    public static HttpContent Json(string json)
    {
        var content = new StringContent(json, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue(JsonType);
        return content;
    }

    public static HttpContent Xml(Resource resource)
    {
        var content = new ByteArrayContent(FhirSerialization.Shared.ToXmlBytes(resource));
        content.Headers.ContentType = new MediaTypeHeaderValue(XmlType);
        return content;
    }

    public static async Task<T> ReadAs<T>(this HttpResponseMessage response) where T : Resource
    {
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        var resource = mediaType == XmlType
            ? FhirSerialization.Shared.ParseXml(bytes)
            : FhirSerialization.Shared.ParseJson(bytes);
        return Assert.IsAssignableFrom<T>(resource);
    }

    public const string MrnSystem = "https://hospital.example/mrn";

    /// <summary>
    /// Three Patients under fresh MRNs (<see cref="MrnSystem"/>): one alone, two sharing the other, for the conditional
    /// interactions that must find one match, none or several. Returns the lone Patient's id and both MRNs.
    /// </summary>
    public static async Task<(string OneId, string Mrn, string SharedMrn)> CreatePatientsByMrnAsync(this HttpClient client)
    {
        var (mrn, shared) = (Guid.NewGuid().ToString("N"), Guid.NewGuid().ToString("N"));
        async Task<string> CreateAsync(string value)
        {
            var patient = Patient("ByMrn");
            patient.Identifier = [new Identifier(MrnSystem, value)];
            return (await client.CreateAsync(patient)).Id;
        }
        var one = await CreateAsync(mrn);
        await CreateAsync(shared);
        await CreateAsync(shared);
        return (one, mrn, shared);
    }

    public static async Task<JsonElement> ReadJson(this HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    /// <summary>
    /// Polls /readyz until it answers 200 or two minutes pass, and returns the last answer. The validator
    /// warms in the background for several seconds, so a test that needs readiness must wait for it.
    /// </summary>
    public static async Task<HttpResponseMessage> WaitUntilReadyAsync(this HttpClient client)
    {
        var ready = await client.GetAsync("/readyz");
        for (var waited = 0; ready.StatusCode != System.Net.HttpStatusCode.OK && waited < 120; waited++)
        {
            await Task.Delay(1000);
            ready = await client.GetAsync("/readyz");
        }
        return ready;
    }

    public static async Task<Resource> CreateAsync(this HttpClient client, Resource resource)
    {
        var response = await client.PostAsync($"/fhir/{resource.TypeName}", Json(resource));
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return await response.ReadAs<Resource>();
    }

    /// <summary>Asserts the response is an OperationOutcome with the status given and returns its first diagnostics.</summary>
    public static async Task<string> AssertOutcome(this HttpResponseMessage response, System.Net.HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        var outcome = await response.ReadAs<OperationOutcome>();
        Assert.NotEmpty(outcome.Issue);
        return string.Join(" | ", outcome.Issue.Select(i => i.Diagnostics));
    }

    public static HttpRequestMessage Request(HttpMethod method, string url, HttpContent? content = null, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(method, url) { Content = content };
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        return request;
    }
}
