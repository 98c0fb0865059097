using System.Text.Json;
using FhirMbb.Core.Evaluation;
using FhirMbb.Core.Serialization;
using FhirMbb.Testing;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Tests.Evaluation;

/// <summary>
/// The facts stored with a Procedure or a Condition must read back as exactly what the object model gives for the
/// stored resource; anything that is not whole facts of the current format must be refused, so the JSON is read.
/// </summary>
public sealed class RecordFactsTests
{
    // Records holding lists compare those by reference; their JSON (computed properties included) compares every value.
    private static string Json(object? value) => JsonSerializer.Serialize(value);

    /// <summary>The resource as stored (serialized and parsed back), so both readings start from what the store holds.</summary>
    private static T Stored<T>(T resource) where T : Resource =>
        (T)FhirSerialization.Shared.ParseStored(FhirSerialization.Shared.ToJsonBytes(resource));

    public static TheoryData<string> Blocks => new()
    {
        "builder", "bilateral cervical, period", "CPT coded, no time", "two joints and no guidance", "not a block",
    };

    private static Procedure Block(string name) => name switch
    {
        "builder" => MbbBuilders.Block(p => p.Id = "b1"),
        "bilateral cervical, period" => MbbBuilders.Block(p =>
        {
            p.Id = "b2";
            p.Performed = new Period { Start = "2026-03-02T09:00:00-05:00", End = "2026-03-02T09:40:00-05:00" };
            MbbBuilders.ReplaceExtension(p, Canonicals.Extensions.Laterality, MbbBuilders.Concept(Canonicals.CodeSystems.Snomed, "51440002"));
            MbbBuilders.ReplaceExtension(p, Canonicals.Extensions.TargetJoint, MbbBuilders.Concept(Canonicals.CodeSystems.SpinalFacetJoint, "C2-C3"));
        }),
        "CPT coded, no time" => MbbBuilders.Block(p =>
        {
            p.Id = "b3";
            p.Code = MbbBuilders.Concept(Canonicals.CodeSystems.Cpt, "64493");
            p.Performed = null;
            p.Status = EventStatus.InProgress;
        }),
        "two joints and no guidance" => MbbBuilders.Block(p =>
        {
            p.Id = "b4";
            p.Extension.Add(MbbBuilders.Ext(Canonicals.Extensions.TargetJoint, MbbBuilders.Concept(Canonicals.CodeSystems.SpinalFacetJoint, "L5-S1")));
            MbbBuilders.RemoveExtension(p, Canonicals.Extensions.ImagingGuidance);
            p.ReasonReference.Add(new ResourceReference("Condition/c2"));
        }),
        "not a block" => MbbBuilders.Block(p =>
        {
            p.Id = "b5";
            p.Code = MbbBuilders.Concept(Canonicals.CodeSystems.Cpt, "64633");
        }),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    [Theory]
    [MemberData(nameof(Blocks))]
    public void A_procedure_s_facts_read_back_as_the_object_model_reads_it(string name)
    {
        var procedure = Stored(Block(name));
        var expected = ClinicalFactReader.IsMedialBranchBlock(procedure) ? ClinicalFactReader.ReadBlock(procedure) : null;

        Assert.True(BlockFacts.TryRead(BlockFacts.Of(procedure), out var block));

        Assert.Equal(Json(expected), Json(block));
        Assert.Equal(name == "not a block", block is null);
        Assert.Equal(expected?.PerformedAt?.Offset, block?.PerformedAt?.Offset);
    }

    public static TheoryData<string> Conditions => new()
    {
        "builder", "two codes, care with a period", "no onset, inactive", "an exclusion code",
    };

    private static Condition Condition(string name) => name switch
    {
        "builder" => MbbBuilders.Indication(c => c.Id = "c1"),
        "two codes, care with a period" => MbbBuilders.Indication(c =>
        {
            c.Id = "c2";
            c.Code.Coding.Add(new Coding(Canonicals.CodeSystems.Snomed, "279039007", "Low back pain"));
            var care = MbbBuilders.ConservativeCare("nsaid", "partial");
            care.Extension.Add(new Extension("period", new Period { Start = "2025-07-01", End = "2025-09-30T12:00:00+02:00" }));
            c.Extension.Add(care);
        }),
        "no onset, inactive" => MbbBuilders.Indication(c =>
        {
            c.Id = "c3";
            c.Onset = null;
            c.ClinicalStatus = MbbBuilders.Concept("http://terminology.hl7.org/CodeSystem/condition-clinical", "inactive");
        }),
        "an exclusion code" => MbbBuilders.Indication(c =>
        {
            c.Id = "c4";
            c.Code = MbbBuilders.Concept(Canonicals.CodeSystems.Icd10Cm, "M54.16");
        }),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    [Theory]
    [MemberData(nameof(Conditions))]
    public void A_condition_s_facts_read_back_as_the_object_model_reads_it_and_exclusion_is_decided_when_used(string name)
    {
        var condition = Stored(Condition(name));
        var reader = new ClinicalFactReader(c => c.Code == "M54.16");

        Assert.True(ConditionFacts.TryRead(ConditionFacts.Of(condition), out var facts));

        Assert.Equal(Json(ClinicalFactReader.ReadConditionRecord(condition)), Json(facts));
        Assert.False(facts!.IsExclusionDiagnosis);
        Assert.Equal(Json(reader.ReadCondition(condition)), Json(reader.WithExclusion(facts)));
        Assert.Equal(name == "an exclusion code", reader.WithExclusion(facts).IsExclusionDiagnosis);
    }

    [Fact]
    public void Only_observations_procedures_and_conditions_get_facts()
    {
        var patient = new Patient { Id = "p1" };

        Assert.Null(EvidenceFacts.Of(patient, FhirSerialization.Shared.ToJsonBytes(patient)));
        Assert.NotNull(EvidenceFacts.Of(Block("not a block"), "{}"u8));
        Assert.NotNull(EvidenceFacts.Of(Condition("builder"), "{}"u8));
    }

    [Fact]
    public void Anything_but_whole_facts_of_the_current_format_is_refused()
    {
        var block = BlockFacts.Of(Block("builder"));
        var condition = ConditionFacts.Of(Condition("builder"));
        byte[] otherFormat = [(byte)(BlockFacts.Format + 1), .. block[1..]];
        byte[] cut = block[..^3];
        byte[] listLeftOut = [BlockFacts.Format, 1, .. "{\"Id\":\"b1\"}"u8];
        byte[] noneAndMore = [BlockFacts.Format, 0, 1];

        foreach (var facts in new[] { [], [BlockFacts.Format], otherFormat, cut, listLeftOut, noneAndMore })
            Assert.False(BlockFacts.TryRead(facts, out _), Convert.ToHexString(facts));
        Assert.False(ConditionFacts.TryRead(condition[..^1], out _));
        Assert.False(BlockFacts.IsCurrent(otherFormat));
        Assert.True(BlockFacts.IsCurrent(block));
    }
}
