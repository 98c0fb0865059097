using FhirMbb.Core;
using FhirMbb.Core.Evaluation;
using FhirMbb.Core.Serialization;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Tests.Evaluation;

/// <summary>
/// The direct JSON reading of pain scores must give exactly what the object-model reading gives: each case is
/// built as a POCO, stored as the server stores it (Firely's JSON), and read both ways.
/// </summary>
public sealed class PainScoreJsonTests
{
    private static readonly FhirSerialization Serialization = FhirSerialization.Shared;

    private static Observation Score(Action<Observation>? change = null)
    {
        var observation = new Observation
        {
            Id = "score-1",
            Status = ObservationStatus.Final,
            Code = new CodeableConcept(Canonicals.CodeSystems.Loinc, Canonicals.PainScoreLoinc, "Pain severity 0-10"),
            Subject = new ResourceReference("Patient/pat-1"),
            Effective = new FhirDateTime("2026-10-01T09:30:00Z"),
            Value = new Integer(6),
        };
        observation.AddExtension(Canonicals.Extensions.AssessmentPhase, new Code("post-block"));
        observation.PartOf.Add(new ResourceReference("Procedure/block-1"));
        change?.Invoke(observation);
        return observation;
    }

    /// <summary>Both readings of the stored JSON of <paramref name="observation"/>; the direct one falls back as the store does.</summary>
    private static (PainScore? Poco, PainScore? Direct, bool FellBack) ReadBothWays(Observation observation)
    {
        var json = Serialization.ToJsonBytes(observation);
        var poco = ClinicalFactReader.UsablePainScore((Observation)Serialization.ParseStored(json));
        var reading = PainScoreJson.Read(json);
        var direct = reading.NeedsObjectModel ? ClinicalFactReader.UsablePainScore((Observation)Serialization.ParseStored(json)) : reading.Score;
        return (poco, direct, reading.NeedsObjectModel);
    }

    private static PainScore AssertSameAndRead(Observation observation)
    {
        var (poco, direct, fellBack) = ReadBothWays(observation);
        Assert.False(fellBack, "this shape should be read without the object model");
        Assert.NotNull(poco);
        Assert.Equal(poco, direct);
        // DateTimeOffset equality ignores the offset; the facts should not differ there either.
        Assert.Equal(poco!.At?.Offset, direct!.At?.Offset);
        return direct;
    }

    [Fact]
    public void The_profile_shape_reads_the_same_value_time_phase_and_block()
    {
        var score = AssertSameAndRead(Score());

        Assert.Equal(new PainScore("score-1", new DateTimeOffset(2026, 10, 1, 9, 30, 0, TimeSpan.Zero), 6m, AssessmentPhase.PostBlock, "block-1"), score);
    }

    [Theory]
    [InlineData("{score}", 7.0, 7.0)]
    [InlineData("{score}", 4.5, 4.5)]
    [InlineData(null, 3.0, 3.0)]
    [InlineData("%", 40, null)]
    [InlineData("{score}", 11, null)]
    [InlineData("{score}", -1, null)]
    public void A_quantity_value_is_read_as_the_object_model_reads_it(string? code, double value, double? expected)
    {
        var score = AssertSameAndRead(Score(o => o.Value = new Quantity { Value = (decimal)value, System = Canonicals.CodeSystems.Ucum, Code = code, Unit = "score" }));

        Assert.Equal(expected is null ? null : (decimal)expected, score.Value);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(10, 10)]
    [InlineData(11, null)]
    [InlineData(-1, null)]
    public void An_integer_value_outside_0_to_10_is_no_value(int value, int? expected)
    {
        var score = AssertSameAndRead(Score(o => o.Value = new Integer(value)));

        Assert.Equal(expected, (int?)score.Value);
    }

    [Fact]
    public void A_value_of_another_type_or_none_is_no_value()
    {
        Assert.Null(AssertSameAndRead(Score(o => o.Value = new FhirString("7"))).Value);
        Assert.Null(AssertSameAndRead(Score(o => o.Value = new CodeableConcept("http://example.org", "severe"))).Value);
        Assert.Null(AssertSameAndRead(Score(o => o.Value = null)).Value);
    }

    [Theory]
    [InlineData("2026-10-01T09:30:00Z")]
    [InlineData("2026-10-01T11:30:00+02:00")]
    [InlineData("2026-10-01T09:30:00.250-05:00")]
    [InlineData("2026-10-01")]
    [InlineData("2026-10")]
    [InlineData("2026")]
    public void An_effective_date_time_of_any_precision_is_read_the_same(string effective)
    {
        var score = AssertSameAndRead(Score(o => o.Effective = new FhirDateTime(effective)));

        if (effective.Length < 10) Assert.Null(score.At);
        else Assert.NotNull(score.At);
    }

    [Fact]
    public void An_effective_period_gives_its_start_and_no_start_gives_no_time()
    {
        var withStart = AssertSameAndRead(Score(o => o.Effective = new Period(new FhirDateTime("2026-10-01T08:00:00Z"), new FhirDateTime("2026-10-01T10:00:00Z"))));
        var endOnly = AssertSameAndRead(Score(o => o.Effective = new Period { End = "2026-10-01T10:00:00Z" }));
        var none = AssertSameAndRead(Score(o => o.Effective = null));

        Assert.Equal(new DateTimeOffset(2026, 10, 1, 8, 0, 0, TimeSpan.Zero), withStart.At);
        Assert.Null(endOnly.At);
        Assert.Null(none.At);
    }

    [Fact]
    public void An_effective_instant_is_left_to_the_object_model_and_still_agrees()
    {
        var (poco, direct, fellBack) = ReadBothWays(Score(o => o.Effective = new Instant(new DateTimeOffset(2026, 10, 1, 9, 30, 0, TimeSpan.Zero))));

        Assert.True(fellBack);
        Assert.Equal(poco, direct);
        Assert.Equal(new DateTimeOffset(2026, 10, 1, 9, 30, 0, TimeSpan.Zero), direct!.At);
    }

    [Theory]
    [InlineData("Procedure/block-1", "block-1")]
    [InlineData("Procedure/block-1/_history/2", "block-1")]
    [InlineData("https://ehr.example.org/fhir/Procedure/block-1", "block-1")]
    [InlineData("block-1", "block-1")]
    [InlineData("Condition/c-1", null)]
    [InlineData("urn:uuid:0f4b1a52-3d2c-4e8e-9a1f-2f3c6d7e8a9b", null)]
    public void A_part_of_link_is_read_as_a_procedure_id_like_the_object_model(string reference, string? expected)
    {
        var score = AssertSameAndRead(Score(o => o.PartOf = [new ResourceReference(reference)]));

        Assert.Equal(expected, score.PartOfProcedureId);
    }

    [Fact]
    public void The_first_part_of_link_that_names_a_procedure_wins_and_focus_is_not_a_link()
    {
        var score = AssertSameAndRead(Score(o =>
        {
            o.PartOf = [new ResourceReference("MedicationAdministration/m-1"), new ResourceReference("Procedure/block-2"), new ResourceReference("Procedure/block-3")];
            o.Focus = [new ResourceReference("Procedure/block-9")];
        }));
        var focusOnly = AssertSameAndRead(Score(o =>
        {
            o.PartOf = [];
            o.Focus = [new ResourceReference("Procedure/block-9")];
        }));

        Assert.Equal("block-2", score.PartOfProcedureId);
        Assert.Null(focusOnly.PartOfProcedureId);
    }

    [Fact]
    public void The_assessment_phase_is_the_first_phase_extension_of_any_string_type()
    {
        Assert.Equal(AssessmentPhase.Baseline, AssertSameAndRead(Score(o =>
        {
            o.Extension.Clear();
            o.AddExtension("http://example.org/other", new Code("post-block"));
            o.Extension.Add(new Extension(Canonicals.Extensions.AssessmentPhase, new Code("baseline")));
            o.Extension.Add(new Extension(Canonicals.Extensions.AssessmentPhase, new Code("post-block")));
        })).Phase);
        Assert.Equal(AssessmentPhase.Baseline, AssertSameAndRead(Score(o =>
        {
            o.Extension.Clear();
            o.AddExtension(Canonicals.Extensions.AssessmentPhase, new FhirString("baseline"));
        })).Phase);
        Assert.Equal(AssessmentPhase.Unknown, AssertSameAndRead(Score(o =>
        {
            o.Extension.Clear();
            o.AddExtension(Canonicals.Extensions.AssessmentPhase, new Code("during-block"));
        })).Phase);
        Assert.Equal(AssessmentPhase.Unknown, AssertSameAndRead(Score(o => o.Extension.Clear())).Phase);
    }

    [Theory]
    [InlineData(ObservationStatus.Final, true)]
    [InlineData(ObservationStatus.Amended, true)]
    [InlineData(ObservationStatus.Corrected, true)]
    [InlineData(ObservationStatus.Preliminary, false)]
    [InlineData(ObservationStatus.EnteredInError, false)]
    [InlineData(ObservationStatus.Cancelled, false)]
    public void Only_final_amended_and_corrected_scores_count(ObservationStatus status, bool counts)
    {
        var (poco, direct, fellBack) = ReadBothWays(Score(o => o.Status = status));

        Assert.False(fellBack);
        Assert.Equal(poco, direct);
        Assert.Equal(counts, direct is not null);
    }

    [Fact]
    public void Only_the_loinc_pain_score_code_makes_a_pain_score_wherever_it_is_among_the_codings()
    {
        var second = Score(o => o.Code = new CodeableConcept
        {
            Coding = [new Coding("http://snomed.info/sct", "225908003"), new Coding(Canonicals.CodeSystems.Loinc, Canonicals.PainScoreLoinc)],
        });
        var (poco, direct, _) = ReadBothWays(second);
        Assert.NotNull(direct);
        Assert.Equal(poco, direct);

        foreach (var code in new[]
        {
            new CodeableConcept(Canonicals.CodeSystems.Loinc, "8867-4"),
            new CodeableConcept("http://example.org/not-loinc", Canonicals.PainScoreLoinc),
            new CodeableConcept { Text = "pain score" },
        })
        {
            var (p, d, fellBack) = ReadBothWays(Score(o => o.Code = code));
            Assert.False(fellBack);
            Assert.Null(p);
            Assert.Null(d);
        }
    }

    [Fact]
    public void Every_score_of_the_evaluation_scenarios_reads_the_same_both_ways()
    {
        var scenario = BlockScenario.DualBlock()
            .Baseline("block-1", 8)
            .Post("block-1", 1, 2)
            .Post("block-1", 2, 3.5m)
            .Post("block-1", 4, 6, asQuantity: true)
            .Baseline("block-2", 7, hoursBefore: 2)
            .Post("block-2", 6, 1, asQuantity: true)
            .Post("block-2", 30, 5);

        Assert.NotEmpty(scenario.Observations);
        foreach (var observation in scenario.Observations)
            AssertSameAndRead(observation);
    }

    [Fact]
    public void Elements_the_facts_do_not_use_are_skipped_whatever_their_shape()
    {
        var score = AssertSameAndRead(Score(o =>
        {
            o.Meta = new Meta { VersionId = "3", Profile = [Canonicals.Profiles.MbbPainScore] };
            o.Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = "<div xmlns=\"http://www.w3.org/1999/xhtml\">7/10</div>" };
            o.Note = [new Annotation { Text = "value 3, effectiveDateTime 2020" }];
            o.Component = [new Observation.ComponentComponent { Code = new CodeableConcept(Canonicals.CodeSystems.Loinc, Canonicals.PainScoreLoinc), Value = new Integer(9) }];
            o.Category = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/observation-category", "survey")];
        }));

        Assert.Equal(6m, score.Value);
        Assert.Equal("block-1", score.PartOfProcedureId);
    }
}
