using System.Text;
using FhirMbb.Core;
using FhirMbb.Core.Serialization;
using FhirMbb.Testing;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Tests.Rest;

/// <summary>What a strictly parsed JSON Bundle reports when part of it is wrong: the entry and the element.</summary>
public sealed class BundleParsingTests
{
    private static readonly FhirSerialization Serialization = FhirSerialization.Shared;

    private static Bundle Transaction(params Resource[] resources) => new()
    {
        Type = Bundle.BundleType.Transaction,
        Entry = [.. resources.Select((r, i) => new Bundle.EntryComponent
        {
            FullUrl = $"urn:uuid:00000000-0000-0000-0000-00000000000{i}",
            Resource = r,
            Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = r.TypeName },
        })],
    };

    /// <summary>The parse of a bundle the server must refuse: a 400, whose message the caller then checks.</summary>
    private static FhirOperationException Refused(string json)
    {
        var e = Assert.Throws<FhirOperationException>(() => Serialization.ParseJson(Encoding.UTF8.GetBytes(json)));
        Assert.Equal(400, e.Status);
        return e;
    }

    [Fact]
    public void An_invalid_resource_in_an_entry_is_a_400_naming_the_entry_and_the_element()
    {
        var json = """{"resourceType":"Bundle","type":"transaction","entry":[""" +
            """{"resource":{"resourceType":"Patient","active":true},"request":{"method":"POST","url":"Patient"}},""" +
            """{"resource":{"resourceType":"Patient","gender":42},"request":{"method":"POST","url":"Patient"}}]}""";

        var e = Refused(json);

        Assert.Contains("Bundle.entry[1].resource", e.Message);
        Assert.Contains("gender", e.Message);
    }

    [Fact]
    public void An_unknown_element_of_an_entry_outside_its_resource_is_a_400_naming_it()
    {
        var json = """{"resourceType":"Bundle","type":"transaction","entry":[""" +
            """{"resource":{"resourceType":"Patient","active":true},"colour":"blue","request":{"method":"POST","url":"Patient"}}]}""";

        var e = Refused(json);

        Assert.Contains("colour", e.Message);
    }

    [Fact]
    public void A_resource_given_twice_in_one_entry_is_a_400_naming_it()
    {
        var json = """{"resourceType":"Bundle","type":"transaction","entry":[""" +
            """{"resource":{"resourceType":"Patient","active":true},"resource":{"resourceType":"Patient","active":false},"request":{"method":"POST","url":"Patient"}}]}""";

        var e = Refused(json);

        Assert.Contains("resource", e.Message);
    }

    [Fact]
    public void A_bundle_with_a_resource_that_is_not_an_object_is_a_400()
    {
        var json = """{"resourceType":"Bundle","type":"transaction","entry":[{"resource":"Patient","request":{"method":"POST","url":"Patient"}}]}""";

        Refused(json);
    }

    [Fact]
    public void A_truncated_bundle_is_a_400_about_the_json()
    {
        var json = Serialization.ToJsonBytes(Transaction(MbbBuilders.PainScore(), new Patient { Active = true }));

        var e = Assert.Throws<FhirOperationException>(() => Serialization.ParseJson(json.AsSpan(0, json.Length - 20)));

        Assert.Equal(400, e.Status);
        Assert.Contains("JSON", e.Message);
    }
}

/// <summary>Resources are serialized through a buffer each thread keeps; every result must still be its resource's own bytes.</summary>
public sealed class JsonSerializationReuseTests
{
    private static readonly FhirSerialization Serialization = FhirSerialization.Shared;

    private static byte[] Fresh(Base resource)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        Serialization.WriteJson(resource, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    [Fact]
    public void A_small_resource_after_a_large_one_gets_only_its_own_bytes()
    {
        var large = new Patient { Name = [.. Enumerable.Range(0, 2000).Select(i => new HumanName { Family = $"Family{i}" })] };
        var small = new Patient { Active = true };

        var first = Serialization.ToJsonBytes(large);
        var second = Serialization.ToJsonBytes(small);

        Assert.Equal(Fresh(large), first);
        Assert.Equal(Fresh(small), second);
        Assert.Equal("""{"resourceType":"Patient","active":true}""", Encoding.UTF8.GetString(second));
    }

    [Fact]
    public async Task Threads_serializing_at_once_each_get_their_own_resource()
    {
        var patients = Enumerable.Range(0, 64).Select(i => new Patient { Id = $"p{i}", Name = [new HumanName { Family = new string('x', i * 50) }] }).ToList();
        var expected = patients.Select(Fresh).ToList();

        var results = await Task.WhenAll(patients.Select((p, i) => Task.Run(() =>
            Enumerable.Range(0, 50).Select(_ => Serialization.ToJsonBytes(p)).ToList())));

        for (var i = 0; i < patients.Count; i++)
            Assert.All(results[i], bytes => Assert.Equal(expected[i], bytes));
    }
}
