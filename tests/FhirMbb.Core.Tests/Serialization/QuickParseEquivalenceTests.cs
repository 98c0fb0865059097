using System.Text;
using System.Text.Json.Nodes;
using FhirMbb.Core.Serialization;
using FhirMbb.Core.Tests.Search;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Tests.Serialization;

/// <summary>
/// <see cref="FhirSerialization.ParseJson"/> accepts a resource on its quick pass (no validator in the deserializer,
/// <see cref="ParsedResourceCheck"/> over the tree) or leaves it to the strict parse. The quick pass must never accept
/// what the strict parse refuses, and what it accepts must be the resource the strict parse gives.
/// </summary>
public sealed class QuickParseEquivalenceTests
{
    private static readonly FhirSerialization Serialization = FhirSerialization.Shared;

    [Theory]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"}}""", true)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"foo":1}""", false)]
    [InlineData("""{"resourceType":"Observation","code":{"text":"x"}}""", false)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"effectiveDateTime":"2020-13-45"}""", false)]
    [InlineData("""{"resourceType":"Observation","status":5,"code":{"text":"x"}}""", false)]
    [InlineData("""{"resourceType":"Observation","status":"bogus","code":{"text":"x"}}""", false)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":[{"text":"x"}]}""", false)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"category":{"text":"y"}}""", false)]
    [InlineData("""{"resourceType":"Observation","id":"a b","status":"final","code":{"text":"x"}}""", false)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://x","code":" c"}]}}""", false)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":""}}""", false)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":"1.0"}}""", false)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"issued":"2020-01-01"}""", false)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/1","foo":2}}""", false)]
    [InlineData("""{"resourceType":"Foo","status":"final"}""", false)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"extension":[{"valueString":"a"}]}""", false)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"extension":[{"url":5,"valueString":"a"}]}""", false)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"extension":[{"url":"http://a","valueString":"a"}]}""", true)]
    [InlineData("""{"resourceType":"Observation","text":{"status":"generated","div":"<p>x</p>"},"status":"final","code":{"text":"x"}}""", true)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueTime":"25:00:00"}""", false)]
    [InlineData("""{"resourceType":"Observation","status":"final","_status":{"extension":[{"url":"http://a","valueString":"b"}]},"code":{"text":"x"}}""", true)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"contained":[{"resourceType":"Patient","id":"a","gender":"x"}]}""", false)]
    [InlineData("""{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient","birthDate":"1990-02-30"}}]}""", false)]
    [InlineData("""{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient","birthDate":"1990-02-28"}}]}""", true)]
    [InlineData("""{"resourceType":"Patient","active":"true"}""", false)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueInteger":1.5}""", false)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1,"comparator":"~"}}""", false)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueFoo":"a"}""", false)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueString":"a","valueBoolean":true}""", false)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{}}""", false)]
    [InlineData("""{"resourceType":"Observation","status":"final","category":[],"code":{"text":"x"}}""", false)]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"}} trailing""", true)]
    // The deserializer throws InvalidOperationException on this one (a 500 until it was mapped to 400).
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"coding":[{"code":"a"}],"_coding":{}}}""", false)]
    public void The_quick_pass_gives_the_strict_verdict(string json, bool valid)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        Assert.Equal(valid, StrictAccepts(bytes));
        Assert.Equal(valid, Serialization.ParseJsonQuickly(bytes) is not null);
    }

    [Theory]
    // The same literal, accepted first where it is a string, then refused where it is a code, a time or an id.
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":" c"}}""", """{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://x","code":" c"}]}}""")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"25:00:00"}}""", """{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueTime":"25:00:00"}""")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"a b"}}""", """{"resourceType":"Observation","id":"a b","status":"final","code":{"text":"x"}}""")]
    // The same value again, now with an element the model has no place for beside it.
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"}}""", """{"resourceType":"Observation","status":"final","_status":{"foo":1},"code":{"text":"x"}}""")]
    public void A_value_already_accepted_is_checked_again_as_another_type_or_beside_an_unknown_element(string accepted, string refused)
    {
        // Met once, an answer waits in the check's small table; met again, it is remembered in its dictionary. Both hold it.
        for (var i = 0; i < 3; i++) Assert.NotNull(Serialization.ParseJsonQuickly(Encoding.UTF8.GetBytes(accepted)));
        var bytes = Encoding.UTF8.GetBytes(refused);
        Assert.False(StrictAccepts(bytes));
        Assert.Null(Serialization.ParseJsonQuickly(bytes));
    }

    [Theory]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://x","code":" c"}]}}""")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueTime":"25:00:00"}""")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"effectiveDateTime":"2020-13-45"}""")]
    [InlineData("""{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient","birthDate":"1990-02-30"}}]}""")]
    public void A_refused_value_met_again_and_again_is_refused_each_time(string json)
    {
        // The first time from the check itself, the second from the answer waiting in its small table, then from its dictionary.
        var bytes = Encoding.UTF8.GetBytes(json);
        for (var i = 0; i < 4; i++) Assert.Null(Serialization.ParseJsonQuickly(bytes));
    }

    [Fact]
    public void Mutated_Synthea_resources_the_strict_parse_refuses_are_never_accepted_on_the_quick_pass()
    {
        var resources = ElementPathEquivalenceTests.SyntheaResources();
        var random = new Random(20261206);
        int variants = 0, refused = 0, quickAccepted = 0;
        var wrong = new List<string>();
        for (var i = 0; i < resources.Count; i += 3)
        {
            var original = Serialization.ToJsonString(resources[i]);
            for (var m = 0; m < 4; m++)
            {
                var root = JsonNode.Parse(original)!.AsObject();
                var what = Mutate(root, random);
                var bytes = Encoding.UTF8.GetBytes(root.ToJsonString());
                variants++;
                var strict = StrictAccepts(bytes);
                var quick = Serialization.ParseJsonQuickly(bytes);
                if (!strict) refused++;
                if (quick is null) continue;
                quickAccepted++;
                if (!strict)
                    wrong.Add($"{resources[i].TypeName}/{resources[i].Id} {what}: accepted quickly, refused strictly");
                else if (Serialization.ToJsonString(quick) != Serialization.ToJsonString(Serialization.ParseJsonStrictly(bytes)))
                    wrong.Add($"{resources[i].TypeName}/{resources[i].Id} {what}: the two parses differ");
            }
        }
        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong.Take(20)));
        // The mutations must reach both verdicts often, or the comparison shows nothing.
        var accepted = variants - refused;
        Assert.True(variants > 10_000, $"{variants} variants");
        Assert.True(refused > variants / 4 && accepted > variants / 5, $"{refused} of {variants} variants refused, {accepted} accepted");
        // What the strict parse accepts the quick pass should accept too, or the second parse eats the saving
        // (13,812 variants: 3,690 accepted by both, no valid one left to the strict parse).
        Assert.True(quickAccepted >= accepted * 0.95, $"{quickAccepted} of the {accepted} valid variants accepted quickly");
    }

    [Fact]
    public void Every_Synthea_bundle_is_accepted_on_the_quick_pass()
    {
        var files = Directory.GetFiles(Path.Combine(ElementPathEquivalenceTests.RepositoryRoot(), "tests", "data", "synthea-r4"), "patient-*.json");
        Assert.Equal(60, files.Length);
        foreach (var file in files)
            Assert.True(Serialization.ParseJsonQuickly(File.ReadAllBytes(file)) is Bundle, file);
    }

    private static bool StrictAccepts(byte[] json)
    {
        try
        {
            Serialization.ParseJsonStrictly(json);
            return true;
        }
        catch (FhirOperationException e)
        {
            Assert.Equal(400, e.Status);
            return false;
        }
    }

    private static readonly JsonNode?[] Replacements =
    [
        "", " x", "x  y", "bogus", "2020-13-45", "2020-02-30T10:00:00", "10:00", "-", "a b", "urn:uuid:x", "0.5.0", "1e400",
        5, -1, 1.5, 99999999999, true, false, null, new JsonObject(), new JsonArray(), new JsonArray("a"),
        new JsonObject { ["a"] = 1 }, new JsonObject { ["url"] = "http://a" }, new JsonArray(new JsonObject()),
    ];

    /// <summary>One random change somewhere in the tree; the description says what and where.</summary>
    internal static string Mutate(JsonObject root, Random random)
    {
        // Every property of every object, with its owner.
        var slots = new List<(JsonObject Owner, string Name)>();
        void Collect(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var (name, value) in o.ToList())
                    {
                        slots.Add((o, name));
                        Collect(value);
                    }
                    break;
                case JsonArray a:
                    foreach (var item in a) Collect(item);
                    break;
            }
        }
        Collect(root);
        var (owner, key) = slots[random.Next(slots.Count)];
        switch (random.Next(7))
        {
            case 0:
                owner.Remove(key);
                return $"removed {key}";
            case 1:
            case 2:
                var replacement = Replacements[random.Next(Replacements.Length)]?.DeepClone();
                owner[key] = replacement;
                return $"{key} = {replacement?.ToJsonString() ?? "null"}";
            case 3:
                owner["zz" + random.Next(3)] = 1;
                return $"unknown element beside {key}";
            case 4:
                var value = owner[key];
                owner[key] = value is JsonArray array
                    ? array.Count > 0 ? array[0]?.DeepClone() : null
                    : new JsonArray(value?.DeepClone());
                return $"{key} wrapped or unwrapped";
            case 5:
                var moved = owner[key]?.DeepClone();
                owner.Remove(key);
                var renamed = random.Next(3) switch
                {
                    0 => char.ToUpperInvariant(key[0]) + key[1..],
                    1 => key + "Quantity",
                    _ => key.Length > 5 ? key[..^2] : key + "x",
                };
                owner[renamed] = moved;
                return $"{key} renamed {renamed}";
            default:
                owner["_" + key] = random.Next(2) == 0 ? new JsonObject() : new JsonObject { ["id"] = "a b" };
                return $"_{key} added";
        }
    }
}
