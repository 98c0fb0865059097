using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Evaluation;

/// <summary>
/// Reads a pain score's facts straight from the stored JSON of an Observation, without building the
/// Firely object model: an evaluation reads a hundred scores, and parsing each into a POCO cost most
/// of the request. Gives exactly what <see cref="ClinicalFactReader.ReadPainScore"/> gives for the
/// same resource; a shape it does not read itself (an effectiveInstant, a value of an unexpected JSON
/// type) is left to the POCO reading through the fallback, so the two cannot disagree.
/// </summary>
public static class PainScoreJson
{
    private static readonly byte[] LoincSystem = Encoding.UTF8.GetBytes(Canonicals.CodeSystems.Loinc);
    private static readonly byte[] PainScoreCode = Encoding.UTF8.GetBytes(Canonicals.PainScoreLoinc);
    // The code as a JSON string: an Observation whose JSON lacks it anywhere is not a pain score (most are not).
    private static readonly byte[] QuotedPainScoreCode = Encoding.UTF8.GetBytes($"\"{Canonicals.PainScoreLoinc}\"");
    private static readonly byte[] AssessmentPhaseUrl = Encoding.UTF8.GetBytes(Canonicals.Extensions.AssessmentPhase);

    /// <summary>The outcome of one read: <see cref="Score"/> is null for non-pain-scores and unusable statuses.</summary>
    public readonly record struct Reading(PainScore? Score, bool NeedsObjectModel)
    {
        public static Reading NotAPainScore => new(null, false);
        public static Reading Fallback => new(null, true);
    }

    /// <summary>
    /// The facts of a usable pain score in an Observation's stored JSON, or null. The JSON is passed over at once when the
    /// code is nowhere in it, read directly otherwise; <paramref name="objectModel"/> (the resource parsed) is asked for
    /// only for a shape the direct reading leaves to Firely.
    /// </summary>
    public static PainScore? ReadUsable(ReadOnlySpan<byte> json, Func<Observation> objectModel)
    {
        if (json.IndexOf(QuotedPainScoreCode) < 0) return null;
        var reading = Read(json);
        return reading.NeedsObjectModel ? ClinicalFactReader.UsablePainScore(objectModel()) : reading.Score;
    }

    /// <summary>The direct reading; <see cref="Reading.NeedsObjectModel"/> when the JSON has a shape this reader leaves to Firely.</summary>
    public static Reading Read(ReadOnlySpan<byte> json)
    {
        try
        {
            return ReadObservation(json);
        }
        catch (JsonException)
        {
            // Stored JSON parsed on its way in; if this reader still trips, the object model decides.
            return Reading.Fallback;
        }
        catch (InvalidOperationException)
        {
            return Reading.Fallback;
        }
    }

    private static Reading ReadObservation(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return Reading.Fallback;

        string? id = null, status = null, effectiveDateTime = null, periodStart = null, phase = null, partOf = null;
        bool isPainScore = false, phaseSeen = false;
        decimal? value = null;
        var effectiveKind = Effective.None;
        var valueKind = ValueKind.None;

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8)) { reader.Read(); id = StringOrNull(ref reader); }
            else if (reader.ValueTextEquals("status"u8)) { reader.Read(); status = StringOrNull(ref reader); }
            else if (reader.ValueTextEquals("code"u8)) { reader.Read(); isPainScore = HasPainScoreCoding(ref reader); }
            else if (reader.ValueTextEquals("effectiveDateTime"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String) return Reading.Fallback;
                effectiveDateTime = reader.GetString();
                effectiveKind = Effective.DateTime;
            }
            else if (reader.ValueTextEquals("effectivePeriod"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject) return Reading.Fallback;
                periodStart = PeriodStart(ref reader);
                effectiveKind = Effective.Period;
            }
            else if (reader.ValueTextEquals("effectiveInstant"u8)) return Reading.Fallback;
            else if (reader.ValueTextEquals("effectiveTiming"u8)) { reader.Read(); reader.Skip(); effectiveKind = Effective.Other; }
            else if (reader.ValueTextEquals("valueInteger"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var integer)) return Reading.Fallback;
                value = integer;
                valueKind = ValueKind.Integer;
            }
            else if (reader.ValueTextEquals("valueQuantity"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject) return Reading.Fallback;
                if (!TryReadQuantity(ref reader, out var quantityValue, out var quantityCode)) return Reading.Fallback;
                // Many EHRs send {score} Quantities; anything else (e.g. a percentage) is not a 0-10 rating.
                value = quantityCode is null or "{score}" ? quantityValue : null;
                valueKind = ValueKind.Quantity;
            }
            else if (IsOtherValue(ref reader)) { reader.Read(); reader.Skip(); valueKind = ValueKind.Other; }
            else if (reader.ValueTextEquals("partOf"u8)) { reader.Read(); partOf = FirstProcedureId(ref reader); }
            else if (reader.ValueTextEquals("extension"u8))
            {
                reader.Read();
                if (!phaseSeen) (phaseSeen, phase) = AssessmentPhaseCode(ref reader);
                else reader.Skip();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (!isPainScore || status is not ("final" or "amended" or "corrected")) return Reading.NotAPainScore;
        if (valueKind is ValueKind.Other) value = null;
        if (value is < 0 or > 10) value = null;

        var at = effectiveKind switch
        {
            Effective.DateTime => ClinicalFactReader.ToInstant(effectiveDateTime),
            Effective.Period => ClinicalFactReader.ToInstant(periodStart),
            _ => null,
        };
        var assessment = phase switch
        {
            "baseline" => AssessmentPhase.Baseline,
            "post-block" => AssessmentPhase.PostBlock,
            _ => AssessmentPhase.Unknown,
        };
        return new Reading(new PainScore(id ?? "", at, value, assessment, partOf), false);
    }

    private enum Effective { None, DateTime, Period, Other }

    private enum ValueKind { None, Integer, Quantity, Other }

    private static bool IsOtherValue(ref Utf8JsonReader reader)
    {
        // value[x] of another type (valueString, valueCodeableConcept, ...): the fact reader gives no value for it.
        // FHIR element names carry no escapes, so the raw name is the name.
        var name = reader.ValueSpan;
        return name.Length > 5 && name.StartsWith("value"u8) && name[5] is >= (byte)'A' and <= (byte)'Z';
    }

    private static string? StringOrNull(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String) return reader.GetString();
        reader.Skip();
        return null;
    }

    // code.coding[]: any coding with the LOINC system and the pain score code.
    private static bool HasPainScoreCoding(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject) { reader.Skip(); return false; }
        var found = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isCoding = reader.ValueTextEquals("coding"u8);
            reader.Read();
            if (isCoding && reader.TokenType == JsonTokenType.StartArray)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                {
                    bool systemMatches = false, codeMatches = false;
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        if (reader.ValueTextEquals("system"u8)) { reader.Read(); systemMatches = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals(LoincSystem); }
                        else if (reader.ValueTextEquals("code"u8)) { reader.Read(); codeMatches = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals(PainScoreCode); }
                        else { reader.Read(); }
                        if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) reader.Skip();
                    }
                    found |= systemMatches && codeMatches;
                }
            }
            else
            {
                reader.Skip();
            }
        }
        return found;
    }

    private static string? PeriodStart(ref Utf8JsonReader reader)
    {
        string? start = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isStart = reader.ValueTextEquals("start"u8);
            reader.Read();
            if (isStart && reader.TokenType == JsonTokenType.String) start = reader.GetString();
            else reader.Skip();
        }
        return start;
    }

    private static bool TryReadQuantity(ref Utf8JsonReader reader, out decimal? value, out string? code)
    {
        value = null;
        code = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("value"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDecimal(out var number)) return false;
                value = number;
            }
            else if (reader.ValueTextEquals("code"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String) return false;
                code = reader.GetString();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        return true;
    }

    // partOf[]: the first reference that names a Procedure, as ClinicalFactReader.IdOf reads it.
    private static string? FirstProcedureId(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray) { reader.Skip(); return null; }
        string? first = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isReference = reader.ValueTextEquals("reference"u8);
                reader.Read();
                if (isReference && reader.TokenType == JsonTokenType.String)
                    first ??= ClinicalFactReader.IdOf(reader.GetString(), "Procedure");
                else
                    reader.Skip();
            }
        }
        return first;
    }

    // extension[]: the value of the first mbb-assessment-phase extension, when it is a JSON string (a code, or any string primitive).
    private static (bool Seen, string? Code) AssessmentPhaseCode(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray) { reader.Skip(); return (false, null); }
        var seen = false;
        string? code = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            var isPhase = false;
            string? stringValue = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("url"u8))
                {
                    reader.Read();
                    isPhase = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals(AssessmentPhaseUrl);
                }
                else if (IsOtherValue(ref reader))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String) stringValue = reader.GetString();
                    else reader.Skip();
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            if (isPhase && !seen)
            {
                seen = true;
                code = stringValue;
            }
        }
        return (seen, code);
    }
}
