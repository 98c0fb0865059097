using FhirMbb.Core.Rest;
using FhirMbb.Core.Search;
using FhirMbb.Core.Serialization;
using FhirMbb.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirMbb.Data.Tests.Contract;

/// <summary>
/// The small fixed clinic the search contract runs on (the same one the API search tests use): three patients,
/// two blocks, five observations, two conditions, under known ids. Also the registry (with the custom
/// target-joint token and a pain-score number parameter), writes shaped as the resource service shapes
/// them, and query strings turned into <see cref="SearchQuery"/> by the real parser.
/// </summary>
public static class SearchClinic
{
    public const string BaseUrl = "http://localhost/fhir";
    public const string TargetJointUrl = "https://fhirmbb.org/fhir/StructureDefinition/mbb-target-joint";
    public const string FacetJointSystem = "https://fhirmbb.org/fhir/CodeSystem/spinal-facet-joint";

    public static SearchParameterRegistry Registry { get; } = new(
    [
        new SearchParameter
        {
            Url = "https://fhirmbb.org/fhir/SearchParameter/mbb-target-joint", Name = "TargetJoint", Status = PublicationStatus.Active,
            Code = "target-joint", Base = [ResourceType.Procedure], Type = SearchParamType.Token,
            Expression = $"Procedure.extension('{TargetJointUrl}').value",
        },
        // No R4 parameter of the served types is a number; this one gives the number table a real parameter.
        new SearchParameter
        {
            Url = "https://fhirmbb.org/fhir/SearchParameter/test-score", Name = "Score", Status = PublicationStatus.Active,
            Code = "score", Base = [ResourceType.Observation], Type = SearchParamType.Number,
            Expression = "Observation.value.ofType(integer)",
        },
    ]);

    public static SearchIndexer Indexer { get; } = new(Registry);

    private static readonly SearchQueryParser Parser = new(Registry);

    /// <summary>A write as the resource service makes it: meta stamped, serialized once, compartment owner and index rows computed.</summary>
    public static ResourceWrite Write(Resource resource, int version, int? expected)
    {
        var now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        resource.Meta ??= new Meta();
        resource.Meta.VersionId = version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        resource.Meta.LastUpdated = now;
        return new ResourceWrite(resource.TypeName, resource.Id!, version, expected, now,
            FhirSerialization.Shared.ToJsonBytes(resource), PatientCompartment.PatientIdOf(resource), Indexer.Index(resource));
    }

    /// <summary>
    /// "Observation?code=a&amp;_sort=-date" or "Patient/pat-a/Observation?..." as the parser reads it. Fails on any
    /// parse issue, so a test never runs a query other than the one written.
    /// </summary>
    public static SearchQuery Query(string text, int count = 100)
    {
        var question = text.IndexOf('?');
        var path = question < 0 ? text : text[..question];
        var segments = path.Split('/');
        var (type, patient) = segments.Length == 3 ? (segments[2], segments[1]) : (segments[0], (string?)null);
        var parameters = new List<KeyValuePair<string, string>>();
        if (question >= 0)
        {
            foreach (var pair in text[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=');
                parameters.Add(new(Uri.UnescapeDataString(pair[..eq]), Uri.UnescapeDataString(pair[(eq + 1)..])));
            }
        }
        if (!parameters.Any(p => p.Key == "_count")) parameters.Add(new("_count", count.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var parsed = Parser.Parse(type, parameters, new SearchLimits(), patient, BaseUrl);
        Assert.True(parsed.Issues.Count == 0, $"{text}: {string.Join("; ", parsed.Issues)}");
        return parsed.Query;
    }

    public static IEnumerable<Resource> Resources() => FhirMbb.Testing.SearchClinicData.Resources();
}
