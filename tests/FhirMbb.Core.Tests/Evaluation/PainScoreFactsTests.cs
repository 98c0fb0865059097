using FhirMbb.Core;
using FhirMbb.Core.Evaluation;
using FhirMbb.Core.Serialization;
using FhirMbb.Testing;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Tests.Evaluation;

/// <summary>
/// The facts stored with an Observation version must read back as exactly the score the version's JSON gives, and
/// anything that is not facts of this format must be refused, so that the JSON is read instead.
/// </summary>
public sealed class PainScoreFactsTests
{
    private static readonly FhirSerialization Serialization = FhirSerialization.Shared;

    /// <summary>The builder's pain score with an offset time, a decimal quantity and a non-ASCII block id.</summary>
    private static Observation Score(Action<Observation>? change = null) => MbbBuilders.PainScore(o =>
    {
        o.Id = "score-1";
        o.Effective = new FhirDateTime("2026-10-01T09:30:00+05:30");
        o.Value = new Quantity { Value = 7.0m, System = Canonicals.CodeSystems.Ucum, Code = "{score}" };
        o.PartOf = [new ResourceReference("Procedure/block-é1")];
        change?.Invoke(o);
    });

    private static void AssertSame(PainScore? expected, PainScore? actual)
    {
        Assert.Equal(expected, actual);
        // Record equality compares instants and decimal values; the offset and the scale must survive as well.
        Assert.Equal(expected?.At?.Offset, actual?.At?.Offset);
        Assert.Equal(expected?.Value?.ToString(System.Globalization.CultureInfo.InvariantCulture), actual?.Value?.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The facts stored for the version, read back, beside the object model's reading of the same stored JSON.</summary>
    private static (PainScore? FromFacts, PainScore? FromJson) StoreAndRead(Observation observation)
    {
        var json = Serialization.ToJsonBytes(observation);
        var facts = PainScoreFacts.Of(observation, json);
        Assert.NotNull(facts);
        Assert.True(PainScoreFacts.TryRead(facts, observation.Id, out var fromFacts));
        return (fromFacts, ClinicalFactReader.UsablePainScore((Observation)Serialization.ParseStored(json)));
    }

    public static TheoryData<string> Shapes => new()
    {
        "profile shape", "integer value", "no value", "value out of range", "string value", "no time", "period", "instant",
        "no phase", "no block", "preliminary", "entered in error", "another code",
    };

    private static Observation Shape(string name) => name switch
    {
        "profile shape" => Score(),
        "integer value" => Score(o => o.Value = new Integer(0)),
        "no value" => Score(o => o.Value = null),
        "value out of range" => Score(o => o.Value = new Integer(11)),
        "string value" => Score(o => o.Value = new FhirString("7")),
        "no time" => Score(o => o.Effective = null),
        "period" => Score(o => o.Effective = new Period { Start = "2026-10-01T07:00:00-03:00", End = "2026-10-01T08:00:00Z" }),
        // effectiveInstant is a shape the JSON reader leaves to the object model.
        "instant" => Score(o => o.Effective = new Instant(new DateTimeOffset(2026, 10, 1, 9, 0, 0, TimeSpan.FromHours(-4)))),
        "no phase" => Score(o => o.Extension.Clear()),
        "no block" => Score(o => o.PartOf.Clear()),
        "preliminary" => Score(o => o.Status = ObservationStatus.Preliminary),
        "entered in error" => Score(o => o.Status = ObservationStatus.EnteredInError),
        "another code" => Score(o => o.Code = new CodeableConcept(Canonicals.CodeSystems.Loinc, "8867-4")),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void The_stored_facts_read_back_as_the_object_model_reads_the_stored_json(string shape)
    {
        var (fromFacts, fromJson) = StoreAndRead(Shape(shape));

        AssertSame(fromJson, fromFacts);
    }

    [Fact]
    public void The_profile_shape_keeps_its_offset_scale_phase_and_block()
    {
        var (fromFacts, _) = StoreAndRead(Score());

        Assert.Equal(new PainScore("score-1", new DateTimeOffset(2026, 10, 1, 9, 30, 0, TimeSpan.FromMinutes(330)), 7.0m, AssessmentPhase.Baseline, "block-é1"), fromFacts);
        Assert.Equal(TimeSpan.FromMinutes(330), fromFacts!.At!.Value.Offset);
        Assert.Equal("7.0", fromFacts.Value!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Only_observations_get_facts()
    {
        var procedure = new Procedure { Id = "block-1", Status = EventStatus.Completed };

        Assert.Null(PainScoreFacts.Of(procedure, Serialization.ToJsonBytes(procedure)));
    }

    [Fact]
    public void An_observation_that_is_not_a_usable_score_is_stored_as_such()
    {
        var facts = PainScoreFacts.Of(Shape("another code"), Serialization.ToJsonBytes(Shape("another code")));

        Assert.True(PainScoreFacts.TryRead(facts, "x", out var score));
        Assert.Null(score);
        Assert.Equal(2, facts!.Length);
    }

    public static TheoryData<string> NotFacts => new()
    {
        "", "01", "0100ff", "02000000", "0101", "0101000000", "01010800", "01010100", "0101000300",
    };

    [Theory]
    [MemberData(nameof(NotFacts))]
    public void Anything_but_whole_facts_of_this_format_is_refused(string hex)
    {
        var bytes = Convert.FromHexString(hex);

        Assert.False(PainScoreFacts.TryRead(bytes, "x", out _));
    }

    [Fact]
    public void Cut_or_lengthened_facts_of_a_score_are_refused()
    {
        var whole = PainScoreFacts.Encode(new PainScore("x", DateTimeOffset.UnixEpoch, 5m, AssessmentPhase.PostBlock, null));
        Assert.True(PainScoreFacts.TryRead(whole, "x", out _));

        for (var length = 0; length < whole.Length; length++)
            Assert.False(PainScoreFacts.TryRead(whole.AsSpan(0, length), "x", out _), $"cut to {length} bytes");
        Assert.False(PainScoreFacts.TryRead([.. whole, 0], "x", out _));
    }

    [Fact]
    public void Facts_of_another_format_are_refused()
    {
        var facts = PainScoreFacts.Encode(new PainScore("x", null, 5m, AssessmentPhase.PostBlock, "b"));
        Assert.True(PainScoreFacts.IsCurrent(facts));
        facts[0] = PainScoreFacts.Format + 1;

        Assert.False(PainScoreFacts.IsCurrent(facts));
        Assert.False(PainScoreFacts.TryRead(facts, "x", out _));
    }
}
