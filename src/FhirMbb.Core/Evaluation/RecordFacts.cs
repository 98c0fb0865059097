using System.Text.Json;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Evaluation;

/// <summary>
/// What a version is for <c>$evaluate-block</c>, worked out when it is written and stored beside its JSON
/// (<see cref="Storage.ResourceWrite.Facts"/>): a pain score's facts for an Observation (<see cref="PainScoreFacts"/>), a
/// block's for a Procedure (<see cref="BlockFacts"/>), a diagnosis's for a Condition (<see cref="ConditionFacts"/>).
/// A patient's evaluation then reads these instead of parsing each resource's JSON.
/// </summary>
public static class EvidenceFacts
{
    /// <summary>The facts to store with a version about to be written; null for types the evaluation does not read.</summary>
    /// <param name="resource">the resource as stored</param>
    /// <param name="json">exactly the JSON stored</param>
    public static byte[]? Of(Resource resource, ReadOnlySpan<byte> json) => resource switch
    {
        Observation => PainScoreFacts.Of(resource, json),
        Procedure procedure => BlockFacts.Of(procedure),
        Condition condition => ConditionFacts.Of(condition),
        _ => null,
    };
}

/// <summary>
/// A Procedure's facts: the <see cref="MedialBranchBlock"/> <see cref="ClinicalFactReader.ReadBlock"/> gives, or "not a
/// medial branch block". Raise <see cref="Format"/> whenever that reading or <see cref="MedialBranchBlock"/> changes:
/// facts of another format are ignored and the JSON is read.
/// </summary>
public static class BlockFacts
{
    public const byte Format = 1;

    public static byte[] Of(Procedure procedure) =>
        RecordFacts.Encode(Format, ClinicalFactReader.IsMedialBranchBlock(procedure) ? ClinicalFactReader.ReadBlock(procedure) : null);

    /// <summary>True with the block (null: not a medial branch block) when the facts are of this format and readable.</summary>
    public static bool TryRead(ReadOnlySpan<byte> facts, out MedialBranchBlock? block) => RecordFacts.TryRead(facts, Format, out block);

    /// <summary>Whether the facts are of this format (cheap; <see cref="TryRead"/> can still refuse them).</summary>
    public static bool IsCurrent(ReadOnlySpan<byte> facts) => RecordFacts.IsCurrent(facts, Format);
}

/// <summary>
/// A Condition's facts: the <see cref="PainCondition"/> <see cref="ClinicalFactReader.ReadConditionRecord"/> gives, with
/// <see cref="PainCondition.IsExclusionDiagnosis"/> false: which codes exclude is configuration, decided when the
/// facts are used (<see cref="ClinicalFactReader.WithExclusion"/>). Raise <see cref="Format"/> as for blocks.
/// </summary>
public static class ConditionFacts
{
    public const byte Format = 1;

    public static byte[] Of(Condition condition) => RecordFacts.Encode(Format, ClinicalFactReader.ReadConditionRecord(condition));

    public static bool TryRead(ReadOnlySpan<byte> facts, out PainCondition? condition) => RecordFacts.TryRead(facts, Format, out condition);

    public static bool IsCurrent(ReadOnlySpan<byte> facts) => RecordFacts.IsCurrent(facts, Format);
}

/// <summary>Facts that are a record: the format, whether there is one, then the record as JSON.</summary>
internal static class RecordFacts
{
    private const byte None = 0;
    private const byte Some = 1;

    // Computed properties (IsCompleted, JointKey, Token, ...) are get-only: derived again on reading, not stored.
    private static readonly JsonSerializerOptions Options = new() { IgnoreReadOnlyProperties = true };

    public static byte[] Encode<T>(byte format, T? value) where T : class
    {
        if (value is null) return [format, None];
        return [format, Some, .. JsonSerializer.SerializeToUtf8Bytes(value, Options)];
    }

    public static bool IsCurrent(ReadOnlySpan<byte> facts, byte format) =>
        facts.Length >= 2 && facts[0] == format && (facts[1] == None ? facts.Length == 2 : facts[1] == Some);

    public static bool TryRead<T>(ReadOnlySpan<byte> facts, byte format, out T? value) where T : class
    {
        value = null;
        if (!IsCurrent(facts, format)) return false;
        if (facts[1] == None) return true;
        try
        {
            value = JsonSerializer.Deserialize<T>(facts[2..], Options);
        }
        catch (JsonException)
        {
            return false;
        }
        catch (NotSupportedException)
        {
            return false;
        }
        return value is not null && Whole(value);
    }

    // The records' lists are never null when this code wrote them; JSON that leaves one out was not written here.
    private static bool Whole(object value) => value switch
    {
        MedialBranchBlock b => b.Id is not null && b.TargetJoints is not null && b.Guidance is not null && b.Sedation is not null
            && b.IndicationIds is not null && b.NervesBlocked is not null,
        PainCondition c => c.Id is not null && c.Codes is not null && c.ConservativeCare is not null,
        _ => true,
    };
}
