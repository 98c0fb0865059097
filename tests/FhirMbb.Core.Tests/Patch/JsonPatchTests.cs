using System.Text;
using System.Text.Json.Nodes;
using FhirMbb.Core.Patch;
using FhirMbb.Core.Serialization;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Tests.Patch;

public sealed class JsonPatchTests
{
    private static Patient BuildPatient() => new()
    {
        Id = "p1",
        Active = true,
        Gender = AdministrativeGender.Female,
        BirthDate = "1970-01-01",
        Name = { new HumanName { Family = "Smith", Given = ["Anna", "Maria"] } },
        Identifier =
        {
            new Identifier("http://hospital/mrn", "111"),
            new Identifier("http://hospital/mrn", "222"),
        },
    };

    private static Patient Patch(Patient patient, string patch)
    {
        var json = FhirSerialization.Shared.ToJsonBytes(patient);
        var patched = JsonPatch.Apply(json, Encoding.UTF8.GetBytes(patch));
        return (Patient)FhirSerialization.Shared.ParseJson(patched);
    }

    private static FhirOperationException Fails(string patch, Patient? patient = null) =>
        Assert.Throws<FhirOperationException>(() => Patch(patient ?? BuildPatient(), patch));

    [Theory]
    [InlineData("application/json-patch+json", true)]
    [InlineData("Application/JSON-Patch+JSON", true)]
    [InlineData("application/json-patch+json; charset=utf-8", true)]
    [InlineData(" application/json-patch+json ;charset=utf-8", true)]
    [InlineData("application/fhir+json", false)]
    [InlineData("application/json-patch+jsonx", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void The_media_type_is_recognised_with_or_without_parameters(string? contentType, bool expected) =>
        Assert.Equal(expected, JsonPatch.IsMediaType(contentType));

    [Fact]
    public void Add_sets_a_new_member()
    {
        var result = Patch(BuildPatient(), """[{"op":"add","path":"/deceasedBoolean","value":false}]""");
        Assert.Equal(new FhirBoolean(false).Value, ((FhirBoolean)result.Deceased).Value);
    }

    [Fact]
    public void Add_inserts_into_an_array_at_an_index()
    {
        var result = Patch(BuildPatient(), """[{"op":"add","path":"/identifier/1","value":{"system":"http://x","value":"mid"}}]""");
        Assert.Equal(["111", "mid", "222"], result.Identifier.Select(i => i.Value));
    }

    [Fact]
    public void Add_with_dash_appends_to_an_array()
    {
        var result = Patch(BuildPatient(), """[{"op":"add","path":"/name/0/given/-","value":"Lena"}]""");
        Assert.Equal(["Anna", "Maria", "Lena"], result.Name[0].Given);
    }

    [Fact]
    public void Add_at_index_equal_to_length_appends()
    {
        var result = Patch(BuildPatient(), """[{"op":"add","path":"/identifier/2","value":{"value":"last"}}]""");
        Assert.Equal("last", result.Identifier[2].Value);
    }

    [Fact]
    public void Add_replaces_an_existing_member()
    {
        var result = Patch(BuildPatient(), """[{"op":"add","path":"/gender","value":"male"}]""");
        Assert.Equal(AdministrativeGender.Male, result.Gender);
    }

    [Fact]
    public void Remove_deletes_a_member_and_an_array_item()
    {
        var result = Patch(BuildPatient(), """[{"op":"remove","path":"/birthDate"},{"op":"remove","path":"/identifier/0"}]""");
        Assert.Null(result.BirthDate);
        Assert.Equal("222", Assert.Single(result.Identifier).Value);
    }

    [Fact]
    public void Replace_changes_a_value()
    {
        var result = Patch(BuildPatient(), """[{"op":"replace","path":"/name/0/family","value":"Jones"}]""");
        Assert.Equal("Jones", result.Name[0].Family);
    }

    [Fact]
    public void Move_relocates_an_array_item()
    {
        var result = Patch(BuildPatient(), """[{"op":"move","from":"/name/0/given/0","path":"/name/0/given/-"}]""");
        Assert.Equal(["Maria", "Anna"], result.Name[0].Given);
    }

    [Fact]
    public void Move_between_members_removes_the_source()
    {
        var result = Patch(BuildPatient(), """[{"op":"move","from":"/name/0/family","path":"/name/0/text"}]""");
        Assert.Null(result.Name[0].Family);
        Assert.Equal("Smith", result.Name[0].Text);
    }

    [Fact]
    public void Move_reorders_items_within_an_array()
    {
        var result = Patch(BuildPatient(), """[{"op":"move","from":"/identifier/1","path":"/identifier/0"}]""");
        Assert.Equal(["222", "111"], result.Identifier.Select(i => i.Value));
    }

    [Fact]
    public void Copy_duplicates_a_value_without_aliasing()
    {
        var result = Patch(BuildPatient(),
            """[{"op":"copy","from":"/identifier/0","path":"/identifier/-"},{"op":"replace","path":"/identifier/2/value","value":"copy"}]""");
        Assert.Equal(["111", "222", "copy"], result.Identifier.Select(i => i.Value));
    }

    [Fact]
    public void Test_that_passes_lets_later_operations_run()
    {
        var result = Patch(BuildPatient(),
            """[{"op":"test","path":"/name/0/family","value":"Smith"},{"op":"replace","path":"/active","value":false}]""");
        Assert.False(result.Active);
    }

    [Fact]
    public void Test_compares_objects_structurally()
    {
        var result = Patch(BuildPatient(),
            """[{"op":"test","path":"/identifier/0","value":{"value":"111","system":"http://hospital/mrn"}},{"op":"remove","path":"/active"}]""");
        Assert.Null(result.Active);
    }

    [Fact]
    public void Failed_test_is_422_and_names_the_operation()
    {
        var e = Fails("""[{"op":"replace","path":"/active","value":false},{"op":"test","path":"/name/0/family","value":"Jones"}]""");
        Assert.Equal(422, e.Status);
        Assert.Contains("operation 1 (test)", e.Message);
    }

    [Fact]
    public void Pointer_escapes_address_members_with_slash_and_tilde()
    {
        var json = Encoding.UTF8.GetBytes("""{"resourceType":"Basic","id":"b","a/b":1,"m~n":2}""");
        var patched = JsonPatch.Apply(json, Encoding.UTF8.GetBytes(
            """[{"op":"replace","path":"/a~1b","value":10},{"op":"remove","path":"/m~0n"}]"""));
        var node = JsonNode.Parse(patched)!.AsObject();
        Assert.Equal(10, (int)node["a/b"]!);
        Assert.False(node.ContainsKey("m~n"));
    }

    [Fact]
    public void Numbers_keep_their_original_text()
    {
        var json = Encoding.UTF8.GetBytes("""{"resourceType":"Observation","id":"o","valueQuantity":{"value":1.50}}""");
        var patched = Encoding.UTF8.GetString(JsonPatch.Apply(json, Encoding.UTF8.GetBytes("""[{"op":"add","path":"/status","value":"final"}]""")));
        Assert.Contains("1.50", patched);
    }

    [Theory]
    [InlineData("""[{"op":"remove","path":"/deceasedBoolean"}]""")]
    [InlineData("""[{"op":"replace","path":"/maritalStatus","value":{}}]""")]
    [InlineData("""[{"op":"replace","path":"/identifier/5","value":{}}]""")]
    [InlineData("""[{"op":"add","path":"/identifier/3","value":{}}]""")]
    [InlineData("""[{"op":"add","path":"/identifier/01","value":{}}]""")]
    [InlineData("""[{"op":"add","path":"/missing/child","value":1}]""")]
    [InlineData("""[{"op":"remove","path":"/identifier/-"}]""")]
    [InlineData("""[{"op":"move","from":"/nothing","path":"/active"}]""")]
    [InlineData("""[{"op":"copy","from":"/name/3","path":"/active"}]""")]
    [InlineData("""[{"op":"test","path":"/nothing","value":1}]""")]
    public void Paths_that_do_not_exist_are_422(string patch) => Assert.Equal(422, Fails(patch).Status);

    [Theory]
    [InlineData("""{"op":"add","path":"/active","value":true}""")]
    [InlineData("""[{"path":"/active","value":true}]""")]
    [InlineData("""[{"op":"add","value":true}]""")]
    [InlineData("""[{"op":"add","path":"/active"}]""")]
    [InlineData("""[{"op":"replace","path":"/active"}]""")]
    [InlineData("""[{"op":"test","path":"/active"}]""")]
    [InlineData("""[{"op":"move","path":"/active"}]""")]
    [InlineData("""[{"op":"copy","path":"/active"}]""")]
    [InlineData("""[{"op":"frobnicate","path":"/active"}]""")]
    [InlineData("""[{"op":7,"path":"/active"}]""")]
    [InlineData("""[{"op":"remove","path":"active"}]""")]
    [InlineData("""[{"op":"remove","path":"/a~2b"}]""")]
    [InlineData("""[{"op":"move","from":"/name/0","path":"/name/0/given"}]""")]
    [InlineData("""["add"]""")]
    [InlineData("""[{"op":"add",""")]
    public void Malformed_patch_documents_are_400(string patch)
    {
        var e = Fails(patch);
        Assert.Equal(400, e.Status);
        // The 400 comes from reading the patch, not from parsing a broken result.
        Assert.Contains("JSON Patch", e.Message);
    }

    [Theory]
    [InlineData("""[{"op":"replace","path":"/id","value":"other"}]""")]
    [InlineData("""[{"op":"remove","path":"/id"}]""")]
    [InlineData("""[{"op":"replace","path":"/resourceType","value":"Group"}]""")]
    [InlineData("""[{"op":"copy","from":"/name/0/family","path":"/id"}]""")]
    [InlineData("""[{"op":"move","from":"/id","path":"/language"}]""")]
    [InlineData("""[{"op":"replace","path":"","value":{"resourceType":"Patient","id":"other"}}]""")]
    public void A_patch_cannot_change_id_or_resource_type(string patch)
    {
        var e = Fails(patch);
        Assert.Equal(422, e.Status);
    }

    [Fact]
    public void Test_may_read_the_id()
    {
        var result = Patch(BuildPatient(), """[{"op":"test","path":"/id","value":"p1"},{"op":"remove","path":"/gender"}]""");
        Assert.Null(result.Gender);
        Assert.Equal("p1", result.Id);
    }

    [Fact]
    public void A_failure_midway_leaves_the_input_bytes_untouched_and_throws()
    {
        var json = FhirSerialization.Shared.ToJsonBytes(BuildPatient());
        var before = json.ToArray();
        Assert.Throws<FhirOperationException>(() => JsonPatch.Apply(json,
            Encoding.UTF8.GetBytes("""[{"op":"remove","path":"/active"},{"op":"remove","path":"/active"}]""")));
        Assert.Equal(before, json);
    }

    [Fact]
    public void An_empty_patch_returns_an_equivalent_resource()
    {
        var original = BuildPatient();
        var result = Patch(original, "[]");
        Assert.True(original.IsExactly(result));
    }
}
