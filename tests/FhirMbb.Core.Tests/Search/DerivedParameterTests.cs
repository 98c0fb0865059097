using FhirMbb.Core.Rest;
using FhirMbb.Core.Search;
using FhirMbb.Testing;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Tests.Search;

/// <summary>
/// Parameters whose rows are exactly other parameters' rows store none: the registry says which rows answer them,
/// and over every resource we have, those rows must be exactly the rows the parameter's own expression gives.
/// </summary>
public sealed class DerivedParameterTests
{
    private static readonly SearchParameterRegistry Registry = new(ElementPathEquivalenceTests.CustomParameters());
    private static readonly SearchIndexer Indexer = new(Registry);

    private static int Id(string code) => SearchParameterDefinition.StableId(code);

    private static SearchParameterDefinition Get(string type, string code)
    {
        Assert.True(Registry.TryGet(type, code, out var definition), $"{type} {code} is not registered");
        return definition;
    }

    [Theory]
    [InlineData("Observation")]
    [InlineData("Condition")]
    [InlineData("Procedure")]
    public void Patient_reads_the_subject_rows_that_point_to_a_Patient(string type)
    {
        var patient = Get(type, "patient");
        Assert.True(patient.IsDerived);
        Assert.Equal([Id("subject")], patient.Stored.ParamIds);
        Assert.Equal("Patient", patient.Stored.TargetType);
        Assert.True(patient.IsSupported);
    }

    [Theory]
    [InlineData("combo-code", "code", "component-code")]
    [InlineData("combo-value-quantity", "value-quantity", "component-value-quantity")]
    [InlineData("combo-value-concept", "value-concept", "component-value-concept")]
    [InlineData("combo-data-absent-reason", "data-absent-reason", "component-data-absent-reason")]
    public void An_Observation_combo_parameter_reads_the_rows_of_its_value_and_its_components(string combo, string own, string component)
    {
        var definition = Get("Observation", combo);
        Assert.True(definition.IsDerived);
        Assert.Equal(new[] { Id(own), Id(component) }.Order(), definition.Stored.ParamIds.Order());
        Assert.Null(definition.Stored.TargetType);
    }

    [Fact]
    public void Exactly_these_parameters_of_the_served_types_are_derived()
    {
        var derived = ResourceTypes.Writable
            .SelectMany(type => Registry.ForType(type).Where(p => p.IsDerived).Select(p => $"{type}.{p.Code}"))
            .Order(StringComparer.Ordinal);
        Assert.Equal(
        [
            "Condition.patient",
            "Observation.combo-code", "Observation.combo-data-absent-reason", "Observation.combo-value-concept", "Observation.combo-value-quantity",
            "Observation.patient",
            "Patient.phonetic", // Patient.name, like name: the first code of two with the same branches keeps the rows
            "Procedure.patient",
        ], derived);
    }

    [Theory]
    [InlineData("Observation", "code")]
    [InlineData("Observation", "subject")]
    [InlineData("Observation", "component-code")]
    [InlineData("Observation", "date")]
    [InlineData("Observation", "_id")]
    [InlineData("Patient", "name")]
    [InlineData("Procedure", "target-joint")]
    public void An_ordinary_parameter_reads_its_own_rows(string type, string code)
    {
        var definition = Get(type, code);
        Assert.False(definition.IsDerived);
        Assert.Equal([definition.Id], definition.Stored.ParamIds);
        Assert.Null(definition.Stored.TargetType);
    }

    [Fact]
    public void A_custom_parameter_is_never_derived_even_when_its_branches_are_those_of_R4_parameters()
    {
        var registry = new SearchParameterRegistry([Custom("any-code", SearchParamType.Token, "Observation.code | Observation.component.code")]);
        Assert.True(registry.TryGet("Observation", "any-code", out var custom));
        Assert.False(custom.IsDerived);
        Assert.True(registry.TryGet("Observation", "combo-code", out var combo));
        Assert.True(combo.IsDerived);
    }

    [Fact]
    public void Replacing_an_R4_parameter_with_a_custom_one_stops_deriving_from_it()
    {
        // The custom subject stores other rows under subject's id, so patient can no longer be read from them.
        var registry = new SearchParameterRegistry([Custom("subject", SearchParamType.Reference, "Observation.performer")]);
        Assert.True(registry.TryGet("Observation", "patient", out var patient));
        Assert.False(patient.IsDerived);
        Assert.True(registry.TryGet("Condition", "patient", out var onCondition));
        Assert.True(onCondition.IsDerived);

        var indexed = new SearchIndexer(registry).Index(new Observation { Subject = new ResourceReference("Patient/p1") });
        Assert.Single(indexed.References, r => r.ParamId == Id("patient"));
    }

    [Fact]
    public void The_indexer_stores_no_rows_for_a_derived_parameter()
    {
        var observation = new Observation
        {
            Code = new CodeableConcept("http://loinc.org", "85354-9"),
            Subject = new ResourceReference("Patient/p1"),
            Component = [new Observation.ComponentComponent { Code = new CodeableConcept("http://loinc.org", "8480-6"), Value = new Quantity(120, "mm[Hg]") }],
        };
        var set = Indexer.Index(observation);
        Assert.DoesNotContain(set.References, r => r.ParamId == Id("patient"));
        Assert.DoesNotContain(set.Tokens, t => t.ParamId == Id("combo-code"));
        Assert.DoesNotContain(set.Quantities, q => q.ParamId == Id("combo-value-quantity"));
        Assert.Equal(2, Indexer.RowsOf(observation, Get("Observation", "combo-code")).Tokens.Count);
        Assert.Single(Indexer.RowsOf(observation, Get("Observation", "patient")).References);
    }

    /// <summary>References of every form where(resolve() is Patient) may meet, on a subject.</summary>
    private static IEnumerable<Resource> ReferenceForms()
    {
        string[] references =
        [
            "Patient/p1", "Patient/p1/_history/2", "Group/g1", "https://other.example.org/fhir/Patient/p2", "https://other.example.org/fhir/Group/g2",
            "urn:uuid:1c1a6b6e-1f3b-4f55-9a77-2b5b8a4d0c11", "#contained", "patient/lower", "Patient/", "Patient/bad id!", "",
        ];
        foreach (var reference in references)
        {
            yield return new Observation { Id = "o", Subject = new ResourceReference(reference) };
            yield return new Condition { Id = "c", Subject = new ResourceReference(reference) { Identifier = new Identifier("http://ids", "42") } };
            yield return new Procedure { Id = "p", Subject = new ResourceReference(reference) { Display = "shown" } };
        }
        yield return new Observation { Id = "o", Subject = new ResourceReference { Identifier = new Identifier("http://ids", "43") } };
        yield return new Observation { Id = "o", Subject = new ResourceReference { Display = "only a display" } };
        yield return new Condition { Id = "c", Subject = new ResourceReference { Type = "Patient", Identifier = new Identifier(null, "44") } };
    }

    [Fact]
    public void A_derived_parameters_rows_are_its_sources_rows_for_every_Synthea_fixture_and_reference_form()
    {
        var resources = ElementPathEquivalenceTests.SyntheaResources()
            .Concat(SearchClinicData.Resources())
            .Concat([MbbBuilders.Block(), MbbBuilders.PainScore(), MbbBuilders.Indication(), MbbBuilders.Outcome()])
            .Concat(ReferenceForms())
            .ToList();
        Assert.True(resources.Count > 10_000, $"only {resources.Count} resources read");

        var (compared, mismatches) = Compare(Registry, Indexer, resources);
        Assert.True(mismatches.Count == 0, string.Join(Environment.NewLine, mismatches.Take(10)));
        Assert.True(compared > 20_000, $"only {compared} rows of derived parameters compared");
    }

    /// <summary>
    /// For each resource and each derived parameter of its type: the rows its own path gives (what the indexer stored
    /// before) against the stored rows of its sources of its target type, as multisets of values (param id and order aside).
    /// </summary>
    internal static (long Compared, List<string> Mismatches) Compare(SearchParameterRegistry registry, SearchIndexer indexer, IEnumerable<Resource> resources)
    {
        var compared = 0L;
        var mismatches = new List<string>();
        foreach (var resource in resources)
        {
            var stored = indexer.Index(resource);
            foreach (var parameter in registry.ForType(resource.TypeName).Where(p => p.IsDerived && p.IsSupported))
            {
                var own = Values(indexer.RowsOf(resource, parameter), _ => true);
                var ids = parameter.Stored.ParamIds.ToHashSet();
                var target = parameter.Stored.TargetType;
                var fromSources = Values(stored, row => ids.Contains(row.ParamId) && (target is null || row.TargetType == target));
                compared += own.Count;
                if (!own.Order(StringComparer.Ordinal).SequenceEqual(fromSources.Order(StringComparer.Ordinal)))
                    mismatches.Add($"{resource.TypeName}/{resource.Id} {parameter.Code}: own [{string.Join("; ", own)}], from sources [{string.Join("; ", fromSources)}]");
            }
        }
        return (compared, mismatches);
    }

    private sealed record RowKey(int ParamId, string? TargetType);

    /// <summary>Every row of the set that <paramref name="keep"/> accepts, as its values without the param id.</summary>
    private static List<string> Values(SearchIndexSet set, Func<RowKey, bool> keep)
    {
        var values = new List<string>();
        values.AddRange(set.Tokens.Where(r => keep(new(r.ParamId, null))).Select(r => (r with { ParamId = 0 }).ToString()));
        values.AddRange(set.Strings.Where(r => keep(new(r.ParamId, null))).Select(r => (r with { ParamId = 0 }).ToString()));
        values.AddRange(set.Dates.Where(r => keep(new(r.ParamId, null))).Select(r => (r with { ParamId = 0 }).ToString()));
        values.AddRange(set.References.Where(r => keep(new(r.ParamId, r.TargetType))).Select(r => (r with { ParamId = 0 }).ToString()));
        values.AddRange(set.Quantities.Where(r => keep(new(r.ParamId, null))).Select(r => (r with { ParamId = 0 }).ToString()));
        values.AddRange(set.Numbers.Where(r => keep(new(r.ParamId, null))).Select(r => (r with { ParamId = 0 }).ToString()));
        values.AddRange(set.Uris.Where(r => keep(new(r.ParamId, null))).Select(r => (r with { ParamId = 0 }).ToString()));
        return values;
    }

    private static SearchParameter Custom(string code, SearchParamType type, string expression) => new()
    {
        Url = $"https://fhirmbb.org/fhir/SearchParameter/test-{code}", Code = code, Base = [ResourceType.Observation],
        Type = type, Expression = expression, Status = PublicationStatus.Active,
    };
}
