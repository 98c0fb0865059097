using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FhirMbb.Core.Serialization;
using FhirMbb.Testing;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirMbb.Core.Tests.Serialization;

/// <summary>
/// <see cref="PocoJsonReader"/> must build exactly the tree Firely's deserializer (without its validator) builds, and
/// only for input Firely reads without an issue; anything else it must leave to Firely.
/// </summary>
public sealed class PocoJsonReaderTests
{
    private static readonly FhirSerialization Serialization = FhirSerialization.Shared;
    private static readonly FhirJsonDeserializer Firely = new(new DeserializerSettings { Validator = null });

    /// <summary>Firely's tree, or null when Firely reports an issue (or throws) on the input.</summary>
    private static Resource? ReadByFirely(byte[] json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            return Firely.TryDeserializeResource(ref reader, out var resource, out _) ? resource : null;
        }
        catch (Exception)
        {
            return null;
        }
    }

    /// <summary>Null when the two agree: ours read nothing, or read what Firely read without an issue.</summary>
    private static string? Disagreement(byte[] json)
    {
        var ours = PocoJsonReader.TryRead(json);
        if (ours is null) return null;
        var theirs = ReadByFirely(json);
        if (theirs is null) return "read by ours, refused by Firely";
        if (!ours.IsExactly(theirs)) return "the trees differ";
        var a = Serialization.ToJsonBytesByFirely(ours);
        var b = Serialization.ToJsonBytesByFirely(theirs);
        return a.AsSpan().SequenceEqual(b) ? null : $"written differently: {Encoding.UTF8.GetString(a)} / {Encoding.UTF8.GetString(b)}";
    }

    /// <summary>
    /// Null when the checks made while reading give the verdict <see cref="ParsedResourceCheck.Passes"/> gives on
    /// Firely's tree: passed only what passes, refused only what does not.
    /// </summary>
    private static string? CheckedDisagreement(byte[] json, ref int refused)
    {
        var verdict = PocoJsonReader.Read(json, check: true, out _);
        if (verdict == PocoJsonReader.Verdict.Left) return null;
        var theirs = ReadByFirely(json);
        var passes = theirs is not null && ParsedResourceCheck.Passes(theirs);
        if (verdict == PocoJsonReader.Verdict.Refused)
        {
            refused++;
            return passes ? "refused while reading, passed as a tree" : null;
        }
        return passes ? null : "passed while reading, refused as a tree (or by Firely's reader)";
    }

    [Fact]
    public void Every_Synthea_resource_and_bundle_is_read_as_Firely_reads_it()
    {
        var root = SyntheaData.RepositoryRoot();
        var inputs = SyntheaData.Resources().Select(r => Serialization.ToJsonBytes(r))
            .Concat(Directory.GetFiles(Path.Combine(root, "tests", "data", "synthea-r4"), "patient-*.json").Select(File.ReadAllBytes))
            .ToList();
        var wrong = new List<string>();
        var read = 0;
        foreach (var json in inputs)
        {
            if (PocoJsonReader.Read(json, check: true, out _) == PocoJsonReader.Verdict.Passed) read++;
            if (Disagreement(json) is { } why) wrong.Add($"{why}: {Encoding.UTF8.GetString(json)[..Math.Min(200, json.Length)]}");
        }
        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong.Take(5)));
        Assert.Equal(inputs.Count, read);
    }

    [Fact]
    public void Mutated_Synthea_resources_are_read_as_Firely_reads_them_or_left_to_it()
    {
        var resources = SyntheaData.Resources();
        var random = new Random(20261207);
        int variants = 0, firelyReads = 0, valid = 0, oursReadsValid = 0, refusedWhileReading = 0;
        var missed = new List<string>();
        var wrong = new List<string>();
        for (var i = 0; i < resources.Count; i += 3)
        {
            var original = Serialization.ToJsonString(resources[i]);
            for (var m = 0; m < 4; m++)
            {
                var node = JsonNode.Parse(original)!.AsObject();
                var what = QuickParseEquivalenceTests.Mutate(node, random);
                var json = Encoding.UTF8.GetBytes(node.ToJsonString());
                variants++;
                // Firely without its validator reads much that the check then refuses (an unknown element kept aside);
                // what matters is that ours reads what passes the check.
                if (ReadByFirely(json) is { } theirs)
                {
                    firelyReads++;
                    if (ParsedResourceCheck.Passes(theirs))
                    {
                        valid++;
                        if (PocoJsonReader.TryRead(json) is not null) oursReadsValid++;
                        // A primitive's id or extensions (_name) are left to Firely by design.
                        else if (!what.StartsWith('_')) missed.Add(what);
                    }
                }
                if (Disagreement(json) is { } why) wrong.Add($"{resources[i].TypeName}/{resources[i].Id} {what}: {why}");
                if (CheckedDisagreement(json, ref refusedWhileReading) is { } checkedWhy) wrong.Add($"{resources[i].TypeName}/{resources[i].Id} {what}: {checkedWhy}");
            }
        }
        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong.Take(10)));
        Assert.True(variants > 10_000, $"{variants} variants");
        // The check made while reading must refuse often, or its agreement with the check of the tree shows little.
        // (most invalid variants are left to Firely before any check: an unknown element, a wrong JSON kind; 521 were not).
        Assert.True(refusedWhileReading > 250, $"{refusedWhileReading} of {variants} refused while reading");
        // Both verdicts must come often, or the comparison shows little; and ours must take nearly all valid input.
        Assert.True(firelyReads > variants / 4 && firelyReads < variants * 9 / 10, $"Firely read {firelyReads} of {variants}");
        Assert.True(valid > variants / 5, $"{valid} of {variants} valid");
        Assert.True(oursReadsValid > valid * 3 / 4, $"ours read {oursReadsValid} of the {valid} valid variants");
        Assert.True(missed.Count < valid / 50, $"{missed.Count} valid variants without a _name property left to Firely: {string.Join(", ", missed.Take(10))}");
    }

    [Theory]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1.50,"unit":"mg"}}""")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueInteger":7,"valueString2":"x"}""")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"effectiveDateTime":"2020-13-45"}""")]
    [InlineData("""{"resourceType":"Observation","status":"bogus","code":{"text":"x"}}""")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"quote \" é \u2028"},"issued":"2020-01-01T10:00:00Z"}""")]
    [InlineData("""{"status":"final","resourceType":"Observation","code":{"text":"x"}}""")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"resourceType":"Patient"}""")]
    [InlineData("""{"resourceType":"Patient","name":[{"given":["A","B"]}],"contained":[{"resourceType":"Organization","id":"o","name":"O"}]}""")]
    [InlineData("""{"resourceType":"Patient","contained":[{"resourceType":"Coding","code":"x"}]}""")]
    [InlineData("""{"resourceType":"Patient","contained":[{"name":"x","resourceType":"Organization"}]}""")]
    [InlineData("""{"resourceType":"Patient","name":[{"given":["A",null],"_given":[null,{"id":"x"}]}]}""")]
    [InlineData("""{"resourceType":"Patient","birthDate":"1990-01-01","_birthDate":{"id":"b"}}""")]
    [InlineData("""{"resourceType":"Patient","active":true,"active":false}""")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueString":"a","valueBoolean":true}""")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"value":"a"}""")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueFoo":"a"}""")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueInteger":1.5}""")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueInteger":"1"}""")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1e400}}""")]
    [InlineData("""{"resourceType":"Observation","status":5,"code":{"text":"x"}}""")]
    [InlineData("""{"resourceType":"Observation","status":"  ","code":{"text":"x"}}""")]
    [InlineData("""{"resourceType":"Observation","status":null,"code":{"text":"x"}}""")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{}}""")]
    [InlineData("""{"resourceType":"Observation","status":"final","category":[],"code":{"text":"x"}}""")]
    [InlineData("""{"resourceType":"Observation","status":"final","category":{"text":"y"},"code":{"text":"x"}}""")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":[{"text":"x"}]}""")]
    [InlineData("""{"resourceType":"Observation"}""")]
    [InlineData("""{"resourceType":"Foo","status":"final"}""")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"foo":1}""")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x","resourceType":"Observation"}}""")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"}} trailing""")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"}""")]
    [InlineData("""{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:0b6f1c1e-5d7a-4c1e-9a53-0d1b2c3d4e5f","request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient","active":true}}]}""")]
    [InlineData("""{"resourceType":"Binary","contentType":"text/plain","data":"aGVsbG8="}""")]
    [InlineData("""{"resourceType":"Observation","meta":{"profile":["http://a/b","http://c/d|1.0"],"tag":[{"code":"t"}]},"status":"final","code":{"text":"x"}}""")]
    [InlineData("""{"resourceType":"Parameters","parameter":[{"name":"a","valueDecimal":2.50},{"name":"b","resource":{"resourceType":"Patient","id":"p"}}]}""")]
    public void A_shape_is_read_as_Firely_reads_it_or_left_to_it(string json) =>
        Assert.Null(Disagreement(Encoding.UTF8.GetBytes(json)));

    [Theory]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1.50,"unit":"mg"}}""", true)]
    // A pain score as a diary app sends it.
    [InlineData("""{"resourceType":"Observation","meta":{"profile":["https://fhirmbb.org/fhir/StructureDefinition/mbb-pain-score"]},"extension":[{"url":"https://fhirmbb.org/fhir/StructureDefinition/mbb-assessment-phase","valueCode":"baseline"}],"status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"survey"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"72514-3","display":"Pain severity - 0-10 verbal numeric rating [Score] - Reported"}]},"subject":{"reference":"Patient/abc"},"effectiveDateTime":"2026-11-01T00:00:01Z","valueInteger":3}""", true)]
    [InlineData("""{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"o","name":"O"}],"managingOrganization":{"reference":"#o"}}""", true)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"}} trailing""", true)]
    [InlineData("""{"status":"final","resourceType":"Observation","code":{"text":"x"}}""", false)]
    [InlineData("""{"resourceType":"Patient","birthDate":"1990-01-01","_birthDate":{"id":"b"}}""", false)]
    [InlineData("""{"resourceType":"Patient","active":true,"active":false}""", false)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueString":"a","valueBoolean":true}""", false)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueInteger":"1"}""", false)]
    [InlineData("""{"resourceType":"Observation","status":"  ","code":{"text":"x"}}""", false)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"}""", false)]
    public void What_it_reads_and_what_it_leaves(string json, bool reads)
    {
        Assert.Equal(reads, PocoJsonReader.TryRead(Encoding.UTF8.GetBytes(json)) is not null);
        Assert.Equal(reads, PocoJsonReader.Read(Encoding.UTF8.GetBytes(json), check: true, out _) == PocoJsonReader.Verdict.Passed);
    }

    [Fact]
    public void The_projects_own_resources_and_examples_are_read_as_Firely_reads_them()
    {
        var files = SyntheaData.ProjectJsonFiles();
        var read = 0;
        foreach (var file in files)
        {
            var json = File.ReadAllBytes(file);
            if (PocoJsonReader.TryRead(json) is not null) read++;
            Assert.True(Disagreement(json) is null, $"{file}: {Disagreement(json)}");
        }
        // All but those with a _name property or invalid on purpose.
        Assert.True(read > files.Count * 3 / 4, $"{read} of {files.Count} files read");
    }
}
