using System.Text;
using System.Text.Json;
using FhirMbb.Core.Serialization;
using FhirMbb.Testing;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Tests.Serialization;

/// <summary>
/// <see cref="PocoJsonWriter"/> must write what Firely's serializer writes, byte for byte, or give up and leave the
/// resource to Firely; <see cref="FhirSerialization.ToJsonBytes"/> must give Firely's bytes either way.
/// </summary>
public sealed class PocoJsonWriterTests
{
    private static readonly FhirSerialization Serialization = FhirSerialization.Shared;

    private static (bool Taken, byte[]? Bytes) Quick(Resource resource)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions
        {
            SkipValidation = true,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        });
        var taken = PocoJsonWriter.TryWrite(resource, writer);
        writer.Flush();
        return (taken, taken ? buffer.WrittenSpan.ToArray() : null);
    }

    [Fact]
    public void Every_Synthea_resource_is_written_as_Firely_writes_it()
    {
        var resources = SyntheaData.Resources();
        var wrong = new List<string>();
        var taken = 0;
        foreach (var resource in resources)
        {
            var expected = Serialization.ToJsonBytesByFirely(resource);
            var (quick, bytes) = Quick(resource);
            if (quick)
            {
                taken++;
                if (!bytes!.AsSpan().SequenceEqual(expected)) wrong.Add($"{resource.TypeName}/{resource.Id}: {Encoding.UTF8.GetString(bytes)}");
            }
            if (!Serialization.ToJsonBytes(resource).AsSpan().SequenceEqual(expected)) wrong.Add($"{resource.TypeName}/{resource.Id}: ToJsonBytes differs");
        }
        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong.Take(5)));
        // The quick writer must take nearly all of them, or it saves nothing (it leaves base64 data to Firely).
        Assert.True(taken > resources.Count * 0.95, $"{taken} of {resources.Count} written by the quick writer");
    }

    [Fact]
    public void Every_complex_value_of_the_Synthea_resources_is_written_as_Firely_writes_it()
    {
        // What the validator's memo keys values by: a datatype written on its own, not inside its resource.
        var wrong = new List<string>();
        var values = 0;
        var taken = 0;
        foreach (var resource in SyntheaData.Resources())
        {
            foreach (var (_, value) in resource.EnumerateElements())
            {
                var items = value switch { DataType d => [d], System.Collections.IEnumerable list => list.OfType<DataType>(), _ => [] };
                foreach (var item in items.Where(i => i is not PrimitiveType))
                {
                    values++;
                    var expected = Serialization.ToJsonBytesByFirely(item);
                    var buffer = new System.Buffers.ArrayBufferWriter<byte>();
                    using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
                    {
                        if (PocoJsonWriter.TryWrite(item, writer)) taken++;
                    }
                    if (!Serialization.ToJsonBytes(item).AsSpan().SequenceEqual(expected)) wrong.Add($"{resource.TypeName}/{resource.Id} {item.TypeName}");
                }
            }
        }
        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong.Take(5)));
        Assert.True(values > 10_000 && taken == values, $"{taken} of {values} values written by the quick writer");
    }

    [Fact]
    public void The_projects_own_resources_and_examples_are_written_as_Firely_writes_them()
    {
        var files = SyntheaData.ProjectJsonFiles();
        var taken = 0;
        var compared = 0;
        foreach (var file in files)
        {
            Resource resource;
            try
            {
                resource = Serialization.ParseJson(File.ReadAllBytes(file));
            }
            catch (FhirOperationException)
            {
                continue; // an invalid example
            }
            compared++;
            var expected = Serialization.ToJsonBytesByFirely(resource);
            var (quick, bytes) = Quick(resource);
            if (quick)
            {
                taken++;
                Assert.True(bytes!.AsSpan().SequenceEqual(expected), $"{file}: {Encoding.UTF8.GetString(bytes)}");
            }
            Assert.True(Serialization.ToJsonBytes(resource).AsSpan().SequenceEqual(expected), file);
        }
        Assert.True(compared > 30, $"{compared} files compared");
        Assert.True(taken > 0, "the quick writer took none of them");
    }

    [Theory]
    // Choice elements, decimals keeping their scale, escapes, non-ASCII text, a narrative.
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1.50,"unit":"mg"}}""", true)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":0.000010}}""", true)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":-7}}""", true)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueInteger":7}""", true)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueBoolean":false}""", true)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"quote \" backslash \\ tab \t é 中 \u2028 <a>&"}}""", true)]
    [InlineData("""{"resourceType":"Observation","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>x &amp; y</p></div>"},"status":"final","code":{"text":"x"}}""", true)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"effectivePeriod":{"start":"2020-01-01T10:00:00+02:00"},"issued":"2020-01-01T10:00:00.123Z"}""", true)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"extension":[{"url":"http://a","valueCodeableConcept":{"coding":[{"system":"http://s","code":"c"}]}},{"url":"http://b","extension":[{"url":"n","valueDecimal":2.0}]}]}""", true)]
    [InlineData("""{"resourceType":"Patient","name":[{"given":["A","B"],"family":"C"}],"contained":[{"resourceType":"Organization","id":"o","name":"O"}],"managingOrganization":{"reference":"#o"}}""", true)]
    [InlineData("""{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:0b6f1c1e-5d7a-4c1e-9a53-0d1b2c3d4e5f","request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient","active":true}}]}""", true)]
    // Primitives with an id or extensions, in a list or alone, and base64: left to Firely.
    [InlineData("""{"resourceType":"Observation","status":"final","_status":{"extension":[{"url":"http://a","valueString":"b"}]},"code":{"text":"x"}}""", false)]
    [InlineData("""{"resourceType":"Patient","name":[{"given":["A",null],"_given":[null,{"extension":[{"url":"http://a","valueString":"b"}]}]}]}""", false)]
    [InlineData("""{"resourceType":"Patient","birthDate":"1990-01-01","_birthDate":{"id":"b"}}""", false)]
    [InlineData("""{"resourceType":"Binary","contentType":"text/plain","data":"aGVsbG8="}""", false)]
    public void A_shape_is_written_as_Firely_writes_it_or_left_to_Firely(string json, bool quick)
    {
        var resource = Serialization.ParseJson(Encoding.UTF8.GetBytes(json));
        var expected = Serialization.ToJsonBytesByFirely(resource);
        var (taken, bytes) = Quick(resource);
        Assert.Equal(quick, taken);
        if (taken) Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(bytes!));
        Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(Serialization.ToJsonBytes(resource)));
    }

    [Fact]
    public void Structures_Firely_would_drop_are_left_to_it()
    {
        // Built in code, not parsed: an empty list, a null in a list, an element with nothing in it, a primitive without a value.
        var cases = new Resource[]
        {
            new Patient { Name = [new HumanName { Given = ["A"] }, null!] },
            new Patient { Name = [new HumanName()] },
            new Patient { Identifier = [new Identifier { System = "http://s", Value = "1", Type = new CodeableConcept() }] },
            new Patient { BirthDateElement = new Date() },
            new Patient { Name = [new HumanName { GivenElement = [new FhirString("A"), new FhirString(null)] }] },
        };
        foreach (var resource in cases)
        {
            Assert.False(Quick(resource).Taken, Encoding.UTF8.GetString(Serialization.ToJsonBytesByFirely(resource)));
            Assert.Equal(Encoding.UTF8.GetString(Serialization.ToJsonBytesByFirely(resource)), Encoding.UTF8.GetString(Serialization.ToJsonBytes(resource)));
        }
    }
}
