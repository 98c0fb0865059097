using FhirMbb.Core.Search;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Tests.Search;

public sealed class SearchIndexerTests
{
    private const string TargetJointUrl = "https://fhirmbb.org/fhir/StructureDefinition/mbb-target-joint";

    private static readonly SearchParameterRegistry Registry = new([TargetJoint()]);
    private static readonly SearchIndexer Indexer = new(Registry);

    private static SearchParameter TargetJoint() => new()
    {
        Url = "https://fhirmbb.org/fhir/SearchParameter/mbb-target-joint",
        Code = "target-joint",
        Base = [ResourceType.Procedure],
        Type = SearchParamType.Token,
        Expression = $"Procedure.extension('{TargetJointUrl}').value",
        Status = PublicationStatus.Active,
    };

    private static int Id(string code) => SearchParameterDefinition.StableId(code);

    private static Observation Score() => new()
    {
        Id = "o1",
        Status = ObservationStatus.Final,
        Code = new CodeableConcept("http://loinc.org", "72514-3", "Pain severity"),
        Subject = new ResourceReference("Patient/p1"),
        Effective = new FhirDateTime("2026-11-01T09:30:00Z"),
        Value = new Quantity { Value = 4.0m, System = "http://unitsofmeasure.org", Code = "{score}", Unit = "score" },
        PartOf = [new ResourceReference("https://elsewhere.example.org/fhir/Procedure/b1")],
    };

    [Fact]
    public void Token_of_a_codeable_concept_carries_system_code_and_normalized_display()
    {
        var set = Indexer.Index(Score());
        var code = Assert.Single(set.Tokens, t => t.ParamId == Id("code"));
        Assert.Equal(("http://loinc.org", "72514-3", "pain severity"), (code.System, code.Code, code.Text));
    }

    [Fact]
    public void Enumerated_codes_are_indexed_with_their_code_system()
    {
        var set = Indexer.Index(new Patient { Gender = AdministrativeGender.Female });
        var gender = Assert.Single(set.Tokens, t => t.ParamId == Id("gender"));
        Assert.Equal(("http://hl7.org/fhir/administrative-gender", "female"), (gender.System, gender.Code));
    }

    [Fact]
    public void Strings_are_lower_cased_and_lose_their_accents_but_keep_the_exact_form()
    {
        var set = Indexer.Index(new Patient { Name = [new HumanName { Family = "Ñúñez-Çelik", Given = ["Zoë"] }] });
        Assert.Contains(set.Strings, s => s.ParamId == Id("family") && s.Normalized == "nunez-celik" && s.Exact == "Ñúñez-Çelik");
        Assert.Contains(set.Strings, s => s.ParamId == Id("name") && s.Normalized == "zoe");
    }

    [Fact]
    public void Dates_become_ranges_and_partial_dates_cover_their_whole_period()
    {
        var set = Indexer.Index(new Patient { BirthDate = "1985-03" });
        var birth = Assert.Single(set.Dates, d => d.ParamId == Id("birthdate"));
        Assert.Equal(DateTimeOffset.Parse("1985-03-01T00:00:00Z").ToUnixTimeMilliseconds(), birth.Start);
        Assert.Equal(DateTimeOffset.Parse("1985-04-01T00:00:00Z").ToUnixTimeMilliseconds(), birth.End);
    }

    [Fact]
    public void An_open_period_is_unbounded_at_its_missing_end()
    {
        var set = Indexer.Index(new Procedure { Performed = new Period { Start = "2026-10-01" } });
        var date = Assert.Single(set.Dates, d => d.ParamId == Id("date"));
        Assert.Equal(DateRange.Unbounded, date.End);
    }

    [Fact]
    public void References_keep_type_id_and_absolute_url_and_patient_filters_by_type()
    {
        var set = Indexer.Index(Score());
        var subject = Assert.Single(set.References, r => r.ParamId == Id("subject"));
        Assert.Equal(("Patient", "p1", (string?)null), (subject.TargetType, subject.TargetId, subject.Url));
        // patient stores no rows of its own: it reads the subject rows whose target type is Patient.
        Assert.True(Registry.TryGet("Observation", "patient", out var patient));
        bool IsPatient(ReferenceIndex r) => patient.Stored.ParamIds.Contains(r.ParamId) && r.TargetType == patient.Stored.TargetType;
        Assert.Single(set.References, IsPatient);
        var partOf = Assert.Single(set.References, r => r.ParamId == Id("part-of"));
        Assert.Equal(("Procedure", "b1", "https://elsewhere.example.org/fhir/Procedure/b1"), (partOf.TargetType, partOf.TargetId, partOf.Url));

        var onGroup = Indexer.Index(new Observation { Subject = new ResourceReference("Group/g1") });
        Assert.DoesNotContain(onGroup.References, IsPatient);
    }

    [Fact]
    public void Quantities_keep_value_system_code_and_unit()
    {
        var quantity = Assert.Single(Indexer.Index(Score()).Quantities, q => q.ParamId == Id("value-quantity"));
        Assert.Equal((4.0m, "http://unitsofmeasure.org", "{score}", "score"), (quantity.Value, quantity.System, quantity.Code, quantity.Unit));
    }

    [Fact]
    public void Uris_and_meta_parameters_are_indexed()
    {
        var condition = new Condition { Meta = new Meta { Profile = ["https://fhirmbb.org/fhir/StructureDefinition/mbb-axial-pain-condition"], LastUpdated = DateTimeOffset.UtcNow, Tag = [new Coding("s", "t")] } };
        var set = Indexer.Index(condition);
        Assert.Contains(set.Uris, u => u.ParamId == Id("_profile") && u.Value.EndsWith("mbb-axial-pain-condition"));
        Assert.Contains(set.Dates, d => d.ParamId == Id("_lastUpdated") && d.End - d.Start == 1);
        Assert.Contains(set.Tokens, t => t.ParamId == Id("_tag") && t.Code == "t");
    }

    [Fact]
    public void A_custom_search_parameter_on_an_extension_is_indexed()
    {
        var block = new Procedure { Extension = [new Extension(TargetJointUrl, new CodeableConcept("https://fhirmbb.org/fhir/CodeSystem/spinal-facet-joint", "L4-L5"))] };
        var joint = Assert.Single(Indexer.Index(block).Tokens, t => t.ParamId == Id("target-joint"));
        Assert.Equal("L4-L5", joint.Code);
        Assert.True(Registry.TryGet("Procedure", "target-joint", out var definition) && definition.IsSupported);
    }

    [Fact]
    public void Numbers_are_indexed_from_a_custom_number_parameter()
    {
        var registry = new SearchParameterRegistry([new SearchParameter
        {
            Url = "https://fhirmbb.org/fhir/SearchParameter/mbb-block-number", Code = "block-number", Base = [ResourceType.Procedure],
            Type = SearchParamType.Number, Expression = "Procedure.extension.where(url = 'https://fhirmbb.org/fhir/StructureDefinition/mbb-block-number').value",
        }]);
        var indexer = new SearchIndexer(registry);
        // The where(url = ...) form used by the files in profiles/ walks the model too.
        Assert.Equal((1, 0), indexer.PathsFor("Procedure").Single(p => p.Parameter.Code == "block-number").Path.Shape);
        var block = new Procedure { Extension = [new Extension("https://fhirmbb.org/fhir/StructureDefinition/mbb-block-number", new PositiveInt(2))] };
        Assert.Equal(2m, Assert.Single(indexer.Index(block).Numbers).Value);
    }

    [Fact]
    public void Simple_paths_walk_the_model_and_only_complex_ones_fall_back_to_fhirpath()
    {
        var paths = Indexer.PathsFor("Observation").ToDictionary(p => p.Parameter.Code, p => p.Path.Shape);
        Assert.Equal((1, 0), paths["code"]);
        Assert.Equal((1, 0), paths["patient"]);
        Assert.Equal((2, 0), paths["value-quantity"]);
        Assert.Equal((1, 0), paths["date"]);
        var patient = Indexer.PathsFor("Patient").ToDictionary(p => p.Parameter.Code, p => p.Path.Shape);
        Assert.Equal((0, 1), patient["deceased"]);
    }

    [Fact]
    public void Deceased_uses_the_fhirpath_fallback_and_yields_a_boolean_token()
    {
        var token = Assert.Single(Indexer.Index(new Patient { Deceased = new FhirDateTime("2020-01-01") }).Tokens, t => t.ParamId == Id("deceased"));
        Assert.Equal("true", token.Code);
    }

    [Fact]
    public void Composites_over_the_resource_are_searched_by_their_parts_and_those_over_components_are_unsupported()
    {
        Assert.True(Registry.TryGet("Observation", "code-value-quantity", out var composite));
        Assert.True(composite.IsSupported);
        Assert.Equal(["code", "value-quantity"], composite.Components!.Select(c => c.Code));
        Assert.True(Registry.TryGet("Observation", "component-code-value-quantity", out var component));
        Assert.False(component.IsSupported);
        Assert.Contains("composite", component.UnsupportedReason);
        Assert.True(Registry.TryGet("Observation", "combo-code-value-quantity", out var combo));
        Assert.False(combo.IsSupported);
    }
}
