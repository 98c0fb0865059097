using FhirMbb.Core.Patch;
using FhirMbb.Core.Serialization;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Tests.Patch;

public sealed class FhirPathPatchTests
{
    private const string UrlA = "http://example.org/fhir/StructureDefinition/a";
    private const string UrlB = "http://example.org/fhir/StructureDefinition/b";

    private static Observation BuildObservation() => new()
    {
        Id = "o1",
        Status = ObservationStatus.Final,
        Code = new CodeableConcept("http://loinc.org", "72514-3"),
        Value = new Integer(7),
        Note = { new Annotation { Text = "first" }, new Annotation { Text = "second" } },
        Extension = { new Extension(UrlA, new FhirString("A")), new Extension(UrlB, new FhirString("B")) },
    };

    // One "operation" parameter; each part is (name, value) or (name, null, nested parts).
    private static Parameters.ParameterComponent Op(string type, string path, params Parameters.ParameterComponent[] parts)
    {
        var op = new Parameters.ParameterComponent { Name = "operation" };
        op.Part.Add(Part("type", new Code(type)));
        op.Part.Add(Part("path", new FhirString(path)));
        op.Part.AddRange(parts);
        return op;
    }

    private static Parameters.ParameterComponent Part(string name, DataType value) => new() { Name = name, Value = value };

    private static Parameters.ParameterComponent Part(string name, params Parameters.ParameterComponent[] parts)
    {
        var part = new Parameters.ParameterComponent { Name = name };
        part.Part.AddRange(parts);
        return part;
    }

    private static Parameters.ParameterComponent Index(string name, int value) => Part(name, new Integer(value));

    private static Parameters Patch(params Parameters.ParameterComponent[] operations)
    {
        var parameters = new Parameters();
        parameters.Parameter.AddRange(operations);
        return parameters;
    }

    private static Observation Apply(Observation observation, params Parameters.ParameterComponent[] operations) =>
        (Observation)FhirPathPatch.Apply(observation, Patch(operations));

    private static FhirOperationException Fails(params Parameters.ParameterComponent[] operations) =>
        Assert.Throws<FhirOperationException>(() => Apply(BuildObservation(), operations));

    [Fact]
    public void Replace_status()
    {
        var result = Apply(BuildObservation(), Op("replace", "Observation.status", Part("value", new Code("amended"))));
        Assert.Equal(ObservationStatus.Amended, result.Status);
    }

    [Fact]
    public void Replace_value_integer_7_with_3()
    {
        var result = Apply(BuildObservation(), Op("replace", "Observation.value", Part("value", new Integer(3))));
        Assert.Equal(3, Assert.IsType<Integer>(result.Value).Value);
    }

    [Fact]
    public void Replace_a_choice_with_another_allowed_type()
    {
        var result = Apply(BuildObservation(), Op("replace", "Observation.value", Part("value", new Quantity(4.5m, "mg"))));
        Assert.Equal(4.5m, Assert.IsType<Quantity>(result.Value).Value);
    }

    [Fact]
    public void Replace_one_item_of_a_list()
    {
        var result = Apply(BuildObservation(), Op("replace", "Observation.note[1]", Part("value", new Annotation { Text = "new second" })));
        Assert.Equal(["first", "new second"], result.Note.Select(n => n.Text));
    }

    [Fact]
    public void Replace_an_extension_selected_by_url()
    {
        var result = Apply(BuildObservation(), Op("replace", $"Observation.extension.where(url='{UrlB}')",
            Part("value", new Extension(UrlB, new FhirString("B2")))));
        Assert.Equal(["A", "B2"], result.Extension.Select(e => ((FhirString)e.Value).Value));
    }

    [Fact]
    public void Replace_converts_a_string_to_markdown()
    {
        var result = Apply(BuildObservation(), Op("replace", "Observation.note[0].text", Part("value", new FhirString("changed"))));
        Assert.Equal("changed", result.Note[0].Text);
        Assert.Equal("second", result.Note[1].Text);
    }

    [Fact]
    public void Add_a_note_given_as_a_datatype()
    {
        var result = Apply(BuildObservation(), Op("add", "Observation", Part("name", new FhirString("note")),
            Part("value", new Annotation { Text = "third" })));
        Assert.Equal(["first", "second", "third"], result.Note.Select(n => n.Text));
    }

    [Fact]
    public void Add_a_note_given_as_parts()
    {
        var result = Apply(BuildObservation(), Op("add", "Observation", Part("name", new FhirString("note")),
            Part("value", Part("text", new Markdown("from parts")), Part("time", new FhirDateTime("2024-05-01")))));
        Assert.Equal("from parts", result.Note[2].Text);
        Assert.Equal("2024-05-01", result.Note[2].Time);
    }

    [Fact]
    public void Add_a_backbone_component_built_from_parts_with_a_choice_value()
    {
        var result = Apply(BuildObservation(), Op("add", "Observation", Part("name", new FhirString("component")),
            Part("value",
                Part("code", new CodeableConcept("http://loinc.org", "8480-6")),
                Part("value", new Quantity(120, "mm[Hg]")))));
        var component = Assert.Single(result.Component);
        Assert.Equal("8480-6", component.Code.Coding[0].Code);
        Assert.Equal(120m, Assert.IsType<Quantity>(component.Value).Value);
    }

    [Fact]
    public void Add_an_extension_from_parts_converts_string_to_uri()
    {
        var result = Apply(BuildObservation(), Op("add", "Observation", Part("name", new FhirString("extension")),
            Part("value", Part("url", new FhirString("http://example.org/c")), Part("value", new FhirBoolean(true)))));
        var added = result.GetExtension("http://example.org/c");
        Assert.NotNull(added);
        Assert.Equal(true, ((FhirBoolean)added.Value).Value);
    }

    [Fact]
    public void Add_a_missing_singular_element()
    {
        var result = Apply(BuildObservation(), Op("add", "Observation", Part("name", new FhirString("subject")),
            Part("value", new ResourceReference("Patient/p1"))));
        Assert.Equal("Patient/p1", result.Subject.Reference);
    }

    [Fact]
    public void Add_to_a_singular_element_that_has_a_value_is_422()
    {
        var e = Fails(Op("add", "Observation", Part("name", new FhirString("status")), Part("value", new Code("amended"))));
        Assert.Equal(422, e.Status);
        Assert.Contains("replace", e.Message);
    }

    [Fact]
    public void Add_of_an_unknown_element_is_422()
    {
        var e = Fails(Op("add", "Observation", Part("name", new FhirString("colour")), Part("value", new FhirString("red"))));
        Assert.Equal(422, e.Status);
        Assert.Contains("colour", e.Message);
    }

    [Fact]
    public void Add_with_a_typed_choice_name_checks_the_type()
    {
        var observation = BuildObservation();
        observation.Value = null;
        var result = Apply(observation, Op("add", "Observation", Part("name", new FhirString("valueInteger")), Part("value", new Integer(9))));
        Assert.Equal(9, ((Integer)result.Value).Value);

        var e = Assert.Throws<FhirOperationException>(() => Apply(observation,
            Op("add", "Observation", Part("name", new FhirString("valueInteger")), Part("value", new FhirString("nine")))));
        Assert.Equal(422, e.Status);
        Assert.Contains("valueInteger", e.Message);
    }

    [Fact]
    public void Add_a_contained_resource()
    {
        var result = Apply(BuildObservation(), Op("add", "Observation", Part("name", new FhirString("contained")),
            new Parameters.ParameterComponent { Name = "value", Resource = new Patient { Id = "inline" } }));
        Assert.Equal("inline", Assert.IsType<Patient>(Assert.Single(result.Contained)).Id);
    }

    [Fact]
    public void Add_an_extension_to_a_primitive_element()
    {
        var result = Apply(BuildObservation(), Op("add", "Observation.status", Part("name", new FhirString("extension")),
            Part("value", new Extension("http://example.org/why", new FhirString("late")))));
        Assert.Equal("late", ((FhirString)result.StatusElement.GetExtension("http://example.org/why")!.Value).Value);
        Assert.Equal(ObservationStatus.Final, result.Status);
    }

    [Fact]
    public void Insert_into_a_list_of_primitives()
    {
        var patient = new Patient { Id = "p", Name = { new HumanName { Given = ["Anna", "Lena"] } } };
        var result = (Patient)FhirPathPatch.Apply(patient, Patch(
            Op("insert", "Patient.name[0].given", Index("index", 1), Part("value", new FhirString("Maria")))));
        Assert.Equal(["Anna", "Maria", "Lena"], result.Name[0].Given);
    }

    [Fact]
    public void Delete_with_the_extension_function()
    {
        var result = Apply(BuildObservation(), Op("delete", $"Observation.extension('{UrlB}')"));
        Assert.Equal(UrlA, Assert.Single(result.Extension).Url);
    }

    [Fact]
    public void Insert_at_an_index()
    {
        var result = Apply(BuildObservation(), Op("insert", "Observation.note", Index("index", 1),
            Part("value", new Annotation { Text = "between" })));
        Assert.Equal(["first", "between", "second"], result.Note.Select(n => n.Text));
    }

    [Fact]
    public void Insert_at_the_end_index()
    {
        var result = Apply(BuildObservation(), Op("insert", "Observation.note", Index("index", 2),
            Part("value", new Annotation { Text = "last" })));
        Assert.Equal("last", result.Note[2].Text);
    }

    [Fact]
    public void Insert_into_an_empty_list()
    {
        var result = Apply(BuildObservation(), Op("insert", "Observation.category", Index("index", 0),
            Part("value", new CodeableConcept("http://terminology.hl7.org/CodeSystem/observation-category", "survey"))));
        Assert.Equal("survey", Assert.Single(result.Category).Coding[0].Code);
    }

    [Fact]
    public void Insert_beyond_the_end_is_422()
    {
        var e = Fails(Op("insert", "Observation.note", Index("index", 3), Part("value", new Annotation { Text = "x" })));
        Assert.Equal(422, e.Status);
        Assert.Contains("index 3", e.Message);
    }

    [Fact]
    public void Insert_into_a_singular_element_is_422()
    {
        var e = Fails(Op("insert", "Observation.status", Index("index", 0), Part("value", new Code("final"))));
        Assert.Equal(422, e.Status);
        Assert.Contains("not a list", e.Message);
    }

    [Fact]
    public void Delete_an_extension_by_url()
    {
        var result = Apply(BuildObservation(), Op("delete", $"Observation.extension.where(url='{UrlA}')"));
        Assert.Equal(UrlB, Assert.Single(result.Extension).Url);
    }

    [Fact]
    public void Delete_a_singular_element()
    {
        var result = Apply(BuildObservation(), Op("delete", "Observation.value"));
        Assert.Null(result.Value);
    }

    [Fact]
    public void Delete_of_nothing_changes_nothing()
    {
        var original = BuildObservation();
        var result = Apply(original, Op("delete", "Observation.extension.where(url='http://nowhere')"));
        Assert.True(original.IsExactly(result));
        Assert.Equal(2, result.Extension.Count);
    }

    [Fact]
    public void Delete_of_two_matches_is_422()
    {
        var e = Fails(Op("delete", "Observation.extension"));
        Assert.Equal(422, e.Status);
        Assert.Contains("matches 2", e.Message);
    }

    [Fact]
    public void Move_within_a_list()
    {
        var observation = BuildObservation();
        observation.Note.Add(new Annotation { Text = "third" });
        var result = Apply(observation, Op("move", "Observation.note", Index("source", 0), Index("destination", 2)));
        Assert.Equal(["second", "third", "first"], result.Note.Select(n => n.Text));
    }

    [Fact]
    public void Move_outside_the_list_is_422()
    {
        var e = Fails(Op("move", "Observation.note", Index("source", 0), Index("destination", 2)));
        Assert.Equal(422, e.Status);
        Assert.Contains("destination 2", e.Message);
    }

    [Fact]
    public void Operations_apply_in_order_and_see_earlier_changes()
    {
        var result = Apply(BuildObservation(),
            Op("delete", $"Observation.extension.where(url='{UrlA}')"),
            Op("replace", "Observation.extension.value", Part("value", new FhirString("B2"))));
        Assert.Equal("B2", ((FhirString)Assert.Single(result.Extension).Value).Value);
    }

    [Fact]
    public void Replace_with_two_matches_is_422_and_names_the_operation()
    {
        var e = Fails(Op("replace", "Observation.status", Part("value", new Code("amended"))),
            Op("replace", "Observation.note", Part("value", new Annotation { Text = "x" })));
        Assert.Equal(422, e.Status);
        Assert.Contains("operation 1 (replace)", e.Message);
        Assert.Contains("matches 2", e.Message);
    }

    [Fact]
    public void Replace_of_nothing_is_422()
    {
        var e = Fails(Op("replace", "Observation.subject", Part("value", new ResourceReference("Patient/p"))));
        Assert.Equal(422, e.Status);
        Assert.Contains("matches nothing", e.Message);
    }

    [Fact]
    public void Replace_with_a_wrong_type_is_422()
    {
        var e = Fails(Op("replace", "Observation.status", Part("value", new Integer(5))));
        Assert.Equal(422, e.Status);
        Assert.Contains("Observation.status", e.Message);
        Assert.Contains("type integer cannot be used", e.Message);
        Assert.Contains("expects code", e.Message);
    }

    [Fact]
    public void Replace_a_choice_with_a_type_it_does_not_allow_is_422()
    {
        var e = Fails(Op("replace", "Observation.value", Part("value", new Annotation { Text = "no" })));
        Assert.Equal(422, e.Status);
        Assert.Contains("Quantity", e.Message);
    }

    [Fact]
    public void Replace_status_with_an_unknown_code_is_422()
    {
        var e = Fails(Op("replace", "Observation.status", Part("value", new Code("bogus"))));
        Assert.Equal(422, e.Status);
        Assert.Contains("bogus", e.Message);
    }

    [Fact]
    public void A_computed_value_cannot_be_replaced()
    {
        var e = Fails(Op("replace", "Observation.value.value", Part("value", new Integer(1))));
        Assert.Equal(422, e.Status);
    }

    [Theory]
    [InlineData("replace", "Observation.id")]
    [InlineData("delete", "Observation.id")]
    [InlineData("delete", "Observation")]
    public void The_resource_and_its_id_cannot_be_changed(string type, string path)
    {
        var op = type == "replace" ? Op(type, path, Part("value", new Id("other"))) : Op(type, path);
        var e = Fails(op);
        Assert.Equal(422, e.Status);
    }

    [Fact]
    public void Add_of_an_id_is_refused()
    {
        var observation = BuildObservation();
        observation.Id = null;
        var e = Assert.Throws<FhirOperationException>(() => Apply(observation,
            Op("add", "Observation", Part("name", new FhirString("id")), Part("value", new Id("x")))));
        Assert.Equal(422, e.Status);
    }

    [Fact]
    public void A_failing_patch_leaves_the_input_unchanged()
    {
        var original = BuildObservation();
        Assert.Throws<FhirOperationException>(() => Apply(original,
            Op("replace", "Observation.status", Part("value", new Code("amended"))),
            Op("delete", "Observation.note")));
        Assert.Equal(ObservationStatus.Final, original.Status);
    }

    [Fact]
    public void Success_leaves_the_input_unchanged_and_does_not_share_values_with_the_patch()
    {
        var original = BuildObservation();
        var note = new Annotation { Text = "shared?" };
        var result = Apply(original, Op("add", "Observation", Part("name", new FhirString("note")), Part("value", note)));
        Assert.Equal(2, original.Note.Count);
        Assert.NotSame(note, result.Note[2]);
    }

    [Fact]
    public void The_patched_resource_round_trips_through_json()
    {
        var result = Apply(BuildObservation(),
            Op("replace", "Observation.status", Part("value", new Code("amended"))),
            Op("insert", "Observation.category", Index("index", 0), Part("value", new CodeableConcept("http://x", "y"))));
        var json = FhirSerialization.Shared.ToJsonBytes(result);
        var parsed = (Observation)FhirSerialization.Shared.ParseJson(json);
        Assert.True(result.IsExactly(parsed));
    }

    [Fact]
    public void The_body_must_be_parameters()
    {
        var e = Assert.Throws<FhirOperationException>(() => FhirPathPatch.Apply(BuildObservation(), new Patient()));
        Assert.Equal(400, e.Status);
    }

    public static TheoryData<string, Parameters.ParameterComponent> MalformedOperations => new()
    {
        { "named", new Parameters.ParameterComponent { Name = "op", Part = { Part("type", new Code("delete")), Part("path", new FhirString("Observation.value")) } } },
        { "missing part 'type'", new Parameters.ParameterComponent { Name = "operation", Part = { Part("path", new FhirString("Observation.value")) } } },
        { "unknown type", Op("upsert", "Observation.value") },
        { "missing part 'path'", new Parameters.ParameterComponent { Name = "operation", Part = { Part("type", new Code("delete")) } } },
        { "requires part 'name'", Op("add", "Observation", Part("value", new FhirString("x"))) },
        { "requires part 'value'", Op("replace", "Observation.status") },
        { "requires part 'index'", Op("insert", "Observation.note", Part("value", new Annotation())) },
        { "requires parts 'source'", Op("move", "Observation.note", Index("destination", 0)) },
        { "non-negative", Op("move", "Observation.note", Index("source", -1), Index("destination", 0)) },
        { "must be a non-negative integer", Op("insert", "Observation.note", Part("index", new FhirString("one")), Part("value", new Annotation())) },
        { "not a valid FHIRPath", Op("delete", "Observation.where(") },
        { "unknown part", Op("delete", "Observation.value", Part("colour", new FhirString("red"))) },
        { "more than once", Op("delete", "Observation.value", Part("path", new FhirString("Observation.status"))) },
        { "has no value", Op("replace", "Observation.status", new Parameters.ParameterComponent { Name = "value" }) },
    };

    [Theory]
    [MemberData(nameof(MalformedOperations))]
    public void Malformed_parameters_are_400(string expected, Parameters.ParameterComponent operation)
    {
        var e = Assert.Throws<FhirOperationException>(() => Apply(BuildObservation(), Op("delete", "Observation.value"), operation));
        Assert.Equal(400, e.Status);
        Assert.Contains(expected, e.Message);
        // Malformed operations are rejected before anything is applied; the message names the operation.
        Assert.Contains("operation 1", e.Message);
    }

    [Fact]
    public void Parse_reads_every_part()
    {
        var ops = FhirPathPatch.Parse(Patch(
            Op("move", "Observation.note", Index("source", 1), Index("destination", 0)),
            Op("add", "Observation", Part("name", new FhirString("note")), Part("value", new Annotation { Text = "t" }))));
        Assert.Equal(FhirPathPatchType.Move, ops[0].Type);
        Assert.Equal((1, 0), (ops[0].Source, ops[0].Destination));
        Assert.Equal("note", ops[1].Name);
        Assert.IsType<Annotation>(ops[1].Value!.Value);
    }
}
