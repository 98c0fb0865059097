using System.Buffers;
using System.Text;
using System.Text.Json;
using FhirMbb.Core.Evaluation;
using FhirMbb.Core.Serialization;
using FhirMbb.Core.Tests.Evaluation;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirMbb.Core.Tests.Serialization;

/// <summary>
/// The Parameters written directly must be byte for byte what Firely's serializer writes, and every shape the direct
/// writer does not know must be left to Firely.
/// </summary>
public sealed class ParametersJsonTests
{
    private static readonly BaseFhirJsonSerializer Firely = new(ModelInfo.ModelInspector);

    private static string FirelyJson(Base resource)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            Firely.Serialize(resource, writer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void AssertWrittenAsFirelyDoes(Parameters parameters)
    {
        Assert.True(ParametersJson.CanWrite(parameters));
        Assert.Equal(FirelyJson(parameters), FhirSerialization.Shared.ToJsonString(parameters));
    }

    public static TheoryData<string> Evaluations => new()
    {
        "single eligible", "single not eligible", "dual eligible", "dual second failed", "dual with a quantity and relief hours", "no anesthetic, bilateral",
    };

    private static BlockEvaluationAnswer Evaluation(string name) => name switch
    {
        "single eligible" => BlockScenario.SingleBlock(postScore: 2).Evaluate(),
        "single not eligible" => BlockScenario.SingleBlock(postScore: 7).Evaluate(),
        "dual eligible" => BlockScenario.DualBlock().Evaluate("dual-block-80"),
        "dual second failed" => BlockScenario.DualBlock().Post("block-2", 2, 6).Evaluate("dual-block-80"),
        "dual with a quantity and relief hours" => BlockScenario.DualBlock().Post("block-1", 2.5, 1.5m, asQuantity: true).Evaluate("dual-block-80"),
        "no anesthetic, bilateral" => BlockScenario.SingleBlock(options: o => { o.Anesthetic = null; o.Laterality = LateralityCodes.Bilateral; }).Evaluate(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    [Theory]
    [MemberData(nameof(Evaluations))]
    public void Evaluate_block_answers_are_written_as_firely_writes_them(string name)
    {
        var answer = Evaluation(name);

        AssertWrittenAsFirelyDoes(answer.ToParameters());
        AssertWrittenAsFirelyDoes(answer.ToParameters(new ResourceReference("Observation/block-outcome-1")));
    }

    [Fact]
    public void Text_numbers_and_nesting_are_written_as_firely_writes_them()
    {
        var parameters = new Parameters();
        parameters.Parameter.Add(new() { Name = "text", Value = new FhirString("quote \" backslash \\ newline \n tab \t <b>&amp;</b> + é 日本 \u0001") });
        foreach (var number in new[] { 7m, 7.0m, 71.428571428571428571428571429m, -0.5m, 0.00001m, 79228162514264337593543950335m })
            parameters.Parameter.Add(new() { Name = "decimal", Value = new FhirDecimal(number) });
        foreach (var integer in new[] { 0, -1, int.MaxValue, int.MinValue })
            parameters.Parameter.Add(new() { Name = "integer", Value = new Integer(integer) });
        parameters.Parameter.Add(new() { Name = "flag", Value = new FhirBoolean(false) });
        parameters.Parameter.Add(new() { Name = "empty" });
        parameters.Parameter.Add(new()
        {
            Name = "nested",
            Part =
            [
                new() { Name = "coding", Value = new Coding(null, "only-code") },
                new() { Name = "display only", Value = new ResourceReference { Display = "someone" } },
                new() { Name = "text only", Value = new CodeableConcept { Text = "words" } },
                new() { Name = "deeper", Part = [new() { Name = "code", Value = new Code("x") }] },
            ],
        });
        parameters.Parameter.Add(new() { Name = "target", Value = EvaluationParameters.ToConcept(new RfaTarget("L3-MB", Laterality.Bilateral)) });

        AssertWrittenAsFirelyDoes(parameters);
    }

    public static TheoryData<string> OtherShapes => new()
    {
        "an id", "meta", "a resource", "an extension on a parameter", "an extension on a value", "a uri value", "a coding version",
        "an empty string", "an empty coding", "a reference type", "an extension holding a string", "a typed code",
    };

    private static Parameters Other(string name)
    {
        var parameters = new Parameters();
        var parameter = new Parameters.ParameterComponent { Name = "p", Value = new Code("x") };
        parameters.Parameter.Add(parameter);
        switch (name)
        {
            case "an id": parameters.Id = "p1"; break;
            case "meta": parameters.Meta = new Meta { VersionId = "1" }; break;
            case "a resource": parameter.Value = null; parameter.Resource = new Patient { Id = "x" }; break;
            case "an extension on a parameter": parameter.AddExtension("http://example.org/x", new FhirString("y")); break;
            case "an extension on a value": parameter.Value.AddExtension("http://example.org/x", new FhirString("y")); break;
            case "a uri value": parameter.Value = new FhirUri("http://example.org"); break;
            case "a coding version": parameter.Value = new Coding("http://example.org", "c") { Version = "1" }; break;
            case "an empty string": parameter.Value = new FhirString(""); break;
            case "an empty coding": parameter.Value = new Coding(); break;
            case "a reference type": parameter.Value = new ResourceReference("Patient/1") { Type = "Patient" }; break;
            case "an extension holding a string":
                var concept = new CodeableConcept("http://example.org", "c");
                concept.AddExtension("http://example.org/x", new FhirString("y"));
                parameter.Value = concept;
                break;
            case "a typed code": parameter.Value = new Code<ObservationStatus>(ObservationStatus.Final); break;
            default: throw new ArgumentOutOfRangeException(nameof(name), name, null);
        }
        return parameters;
    }

    [Theory]
    [MemberData(nameof(OtherShapes))]
    public void Any_other_shape_is_left_to_firely(string name)
    {
        var parameters = Other(name);

        Assert.False(ParametersJson.CanWrite(parameters));
        Assert.Equal(FirelyJson(parameters), FhirSerialization.Shared.ToJsonString(parameters));
    }
}
