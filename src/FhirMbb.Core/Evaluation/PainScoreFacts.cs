using System.Buffers.Binary;
using System.Text;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Evaluation;

/// <summary>
/// What an Observation version is for <c>$evaluate-block</c> (a usable pain score's facts, or "not a usable pain
/// score"), worked out once when the version is written and stored beside its JSON. A patient's first evaluation then
/// reads a few dozen bytes per diary entry instead of the entry's JSON: reading the JSON of a hundred scores was about
/// a third of such an evaluation (Evaluation/README.md).
/// </summary>
/// <remarks>
/// The facts are what <see cref="PainScoreJson.Read"/> (or, for the shapes it leaves to Firely,
/// <see cref="ClinicalFactReader.UsablePainScore"/>) gives for the stored JSON, so reading them cannot disagree with
/// reading the JSON. They are only as current as those rules: <see cref="Format"/> is stored first and must be raised
/// whenever the rules or this layout change, and facts of any other format are ignored (the JSON is read instead).
/// Versions written before facts existed have none and are read from their JSON the same way.
/// </remarks>
public static class PainScoreFacts
{
    /// <summary>The rules and layout these facts follow; raise it when either changes.</summary>
    public const byte Format = 1;

    private const byte NotAScore = 0;
    private const byte Score = 1;

    private const byte HasAt = 1;
    private const byte HasValue = 2;
    private const byte HasPartOf = 4;

    // Format, kind; for a score: flags, phase, then the parts the flags name, in this order.
    private const int HeaderLength = 4;
    private const int AtLength = sizeof(long) + sizeof(short);
    private const int ValueLength = 4 * sizeof(int);

    /// <summary>The facts to store with a version about to be written: for an Observation, always; null for other types.</summary>
    /// <param name="resource">the resource as it is stored (used only for shapes the JSON reader leaves to Firely)</param>
    /// <param name="json">exactly the JSON stored</param>
    public static byte[]? Of(Resource resource, ReadOnlySpan<byte> json)
    {
        return resource is Observation observation ? Encode(PainScoreJson.ReadUsable(json, () => observation)) : null;
    }

    /// <summary>The stored form of a reading: the score's facts (without its id, which is the version's), or "not a score".</summary>
    public static byte[] Encode(PainScore? score)
    {
        if (score is null) return [Format, NotAScore];
        var partOf = score.PartOfProcedureId is null ? null : Encoding.UTF8.GetBytes(score.PartOfProcedureId);
        var flags = (byte)((score.At is null ? 0 : HasAt) | (score.Value is null ? 0 : HasValue) | (partOf is null ? 0 : HasPartOf));
        var bytes = new byte[HeaderLength + (score.At is null ? 0 : AtLength) + (score.Value is null ? 0 : ValueLength) + (partOf?.Length ?? 0)];
        bytes[0] = Format;
        bytes[1] = Score;
        bytes[2] = flags;
        bytes[3] = (byte)score.Phase;
        var rest = bytes.AsSpan(HeaderLength);
        if (score.At is { } at)
        {
            // The clock time and the offset, so the instant comes back as it was written, offset included.
            BinaryPrimitives.WriteInt64LittleEndian(rest, at.Ticks);
            BinaryPrimitives.WriteInt16LittleEndian(rest[sizeof(long)..], (short)at.Offset.TotalMinutes);
            rest = rest[AtLength..];
        }
        if (score.Value is { } value)
        {
            // decimal's own four parts keep its scale: 7 and 7.0 stay apart, as in the JSON.
            Span<int> parts = stackalloc int[4];
            decimal.GetBits(value, parts);
            for (var i = 0; i < 4; i++) BinaryPrimitives.WriteInt32LittleEndian(rest[(i * sizeof(int))..], parts[i]);
            rest = rest[ValueLength..];
        }
        partOf?.CopyTo(rest);
        return bytes;
    }

    /// <summary>
    /// Whether <paramref name="facts"/> are of this <see cref="Format"/> (their first two bytes: cheap, for a listing
    /// deciding whether to read the JSON); <see cref="TryRead"/> can still refuse them when they are not whole.
    /// </summary>
    public static bool IsCurrent(ReadOnlySpan<byte> facts) => facts.Length >= 2 && facts[0] == Format && facts[1] is NotAScore or Score;

    /// <summary>
    /// Reads stored facts: true with the score (null: not a usable pain score) when they are of this format and whole;
    /// false when there are none, they are of another format or do not read, so the JSON must be read.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> facts, string id, out PainScore? score)
    {
        score = null;
        if (!IsCurrent(facts)) return false;
        if (facts[1] == NotAScore) return facts.Length == 2;
        if (facts.Length < HeaderLength) return false;
        var flags = facts[2];
        var phase = (AssessmentPhase)facts[3];
        if ((flags & ~(HasAt | HasValue | HasPartOf)) != 0 || !Enum.IsDefined(phase)) return false;
        var rest = facts[HeaderLength..];

        DateTimeOffset? at = null;
        if ((flags & HasAt) != 0)
        {
            if (rest.Length < AtLength) return false;
            var ticks = BinaryPrimitives.ReadInt64LittleEndian(rest);
            var minutes = BinaryPrimitives.ReadInt16LittleEndian(rest[sizeof(long)..]);
            // Out of range: not facts this code wrote (the constructor would throw).
            if (minutes is < -14 * 60 or > 14 * 60 || ticks < DateTime.MinValue.Ticks || ticks > DateTime.MaxValue.Ticks) return false;
            var offset = TimeSpan.FromMinutes(minutes);
            var utcTicks = ticks - offset.Ticks;
            if (utcTicks < DateTime.MinValue.Ticks || utcTicks > DateTime.MaxValue.Ticks) return false;
            at = new DateTimeOffset(ticks, offset);
            rest = rest[AtLength..];
        }

        decimal? value = null;
        if ((flags & HasValue) != 0)
        {
            if (rest.Length < ValueLength) return false;
            var lo = BinaryPrimitives.ReadInt32LittleEndian(rest);
            var mid = BinaryPrimitives.ReadInt32LittleEndian(rest[4..]);
            var hi = BinaryPrimitives.ReadInt32LittleEndian(rest[8..]);
            var signAndScale = BinaryPrimitives.ReadInt32LittleEndian(rest[12..]);
            // decimal's flags word: bits 16-23 the scale (at most 28), bit 31 the sign, nothing else.
            var scale = (signAndScale >> 16) & 0xFF;
            if ((signAndScale & 0x7F00FFFF) != 0 || scale > 28) return false;
            value = new decimal(lo, mid, hi, signAndScale < 0, (byte)scale);
            rest = rest[ValueLength..];
        }

        // What is left is the block's id, present exactly when the flags say so.
        if ((flags & HasPartOf) != 0 ? rest.IsEmpty : !rest.IsEmpty) return false;
        score = new PainScore(id, at, value, phase, rest.IsEmpty ? null : Encoding.UTF8.GetString(rest));
        return true;
    }
}
