using Hl7.Fhir.Model;

namespace FhirMbb.Core.Tests.Conformance;

/// <summary>Reads operation answers in tests without null noise.</summary>
internal static class ParametersReading
{
    public static bool Result(this Parameters answer) =>
        answer.Parameter.Single(p => p.Name == "result").Value is FhirBoolean { Value: true };

    public static string Text(this Parameters answer, string name) =>
        answer.Parameter.Single(p => p.Name == name).Value?.ToString() ?? "";

    public static string PartText(this Parameters.ParameterComponent parameter, string name) =>
        parameter.Part.Single(p => p.Name == name).Value?.ToString() ?? "";
}
