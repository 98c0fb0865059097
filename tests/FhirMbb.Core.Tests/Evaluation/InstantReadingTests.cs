using FhirMbb.Core.Evaluation;
using FhirMbb.Core.Serialization;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Tests.Evaluation;

/// <summary>
/// A diary entry's time, read directly for full zoned date-times, must be exactly what Firely's FhirDateTime reading gives
/// (instant and offset), and every other shape must still be read by Firely.
/// </summary>
public sealed class InstantReadingTests
{
    public static TheoryData<string> Values() =>
    [
        "2026-10-01T09:30:00Z",
        "2026-10-01T09:30:00.5Z",
        "2026-10-01T09:30:00.1234567Z",
        "2026-10-01T09:30:00+02:00",
        "2026-10-01T09:30:00-05:30",
        "2026-10-01T23:59:59.999+14:00",
        "2026-02-28T00:00:00-12:00",
        "2026-10-01T09:30:00.12345678Z", // more decimals than .NET keeps: left to Firely
        "2026-10-01T09:30:00",            // no zone: read as UTC by Firely
        "2026-10-01T09:30Z",             // no seconds: not FHIR, left to Firely
        "2026-10-01",
        "2026-10",
        "2026",
    ];

    [Theory]
    [MemberData(nameof(Values))]
    public void A_pain_scores_time_is_what_firely_reads(string value)
    {
        var observation = new Observation
        {
            Id = "score-1",
            Status = ObservationStatus.Final,
            Code = new CodeableConcept(Canonicals.CodeSystems.Loinc, Canonicals.PainScoreLoinc),
            Subject = new ResourceReference("Patient/pat-1"),
            Effective = new FhirDateTime(value),
            Value = new Integer(6),
        };
        observation.AddExtension(Canonicals.Extensions.AssessmentPhase, new Code("post-block"));
        DateTimeOffset? expected = value.Length >= 10 && new FhirDateTime(value).TryToDateTimeOffset(TimeSpan.Zero, out var firely) ? firely : null;

        var poco = ClinicalFactReader.UsablePainScore(observation)?.At;
        var json = PainScoreJson.Read(FhirSerialization.Shared.ToJsonBytes(observation));
        var direct = json.NeedsObjectModel ? poco : json.Score?.At;

        Assert.Equal(expected, poco);
        Assert.Equal(expected?.Offset, poco?.Offset);
        Assert.Equal(expected, direct);
        Assert.Equal(expected?.Offset, direct?.Offset);
    }
}
