using Hl7.Fhir.Model;

namespace FhirMbb.Core.Search;

// The typed values one resource contributes to the search index, one record per stored row.
public sealed record TokenIndex(int ParamId, string? System, string? Code, string? Text);

public sealed record StringIndex(int ParamId, string Normalized, string Exact);

/// <summary>
/// <paramref name="CodeBits"/>: on the rows of a type's own <c>date</c>, the bits of its <c>code</c> tokens
/// (<see cref="CodePairing.CodeBit"/>); null elsewhere.
/// </summary>
public sealed record DateIndex(int ParamId, long Start, long End, long? CodeBits = null);

/// <summary>A reference by type and id when it has them, its absolute URL when it is one, and its identifier.</summary>
public sealed record ReferenceIndex(int ParamId, string? TargetType, string? TargetId, string? Url, string? IdentifierSystem, string? IdentifierValue);

public sealed record QuantityIndex(int ParamId, decimal Value, string? System, string? Code, string? Unit);

public sealed record NumberIndex(int ParamId, decimal Value);

public sealed record UriIndex(int ParamId, string Value);

/// <summary>
/// One of the resource's <c>code</c> tokens filed under a patient its <c>patient</c> parameter points to (see
/// <see cref="CodePairing"/>). A missing system or code is the empty string, which no real one is.
/// <paramref name="DateFirst"/> and <paramref name="DateLast"/>: the first and last start of the type's date rows, null
/// without any.
/// </summary>
public sealed record PatientTokenIndex(string PatientId, int ParamId, string System, string Code, long? DateFirst, long? DateLast);

/// <summary>
/// A type's code tokens paired with its patient: each token row of <paramref name="CodeParamId"/> (the type's <c>code</c>
/// parameter) is filed under every reference row of <paramref name="PatientParamIds"/> (the stored rows of its
/// <c>patient</c> parameter) that points to a Patient. So "patient=X and code=Y" (a patient's pain scores) is one range of
/// one index, instead of a probe of the code for each of the patient's resources. Each row also carries the first and last
/// start of the resource's <paramref name="DateParamId"/> rows (its <c>date</c> parameter, see <see cref="IsSortDate"/>):
/// the keys of _sort=date and _sort=-date, so a sorted page needs no probe per candidate either. And those date rows carry
/// the bits of the resource's codes (<see cref="CodeBit"/>), for searches of a code and a date without a patient.
/// </summary>
public sealed record CodePairing(string Type, int CodeParamId, IReadOnlyList<int> PatientParamIds, int? DateParamId)
{
    /// <summary>The date parameter whose bounds the rows carry: the type's own <c>date</c>, stored under its own id.</summary>
    public static bool IsSortDate(SearchParameterDefinition parameter) =>
        parameter is { Code: "date", Type: SearchParamType.Date, IsDerived: false };

    /// <summary>
    /// The bit a code sets in <see cref="DateIndex.CodeBits"/>: one of 63 (the sign bit stays clear), by an FNV-1a hash of
    /// the code's UTF-16 units, stable across processes. A date row whose bits lack every bit of a search's codes cannot
    /// belong to a match, so a code+date search skips it in the date index instead of probing its code
    /// (SqliteSearchSql.DateDriver); rows whose bits hold one are still probed, as two codes may share a bit.
    /// </summary>
    public static long CodeBit(string code)
    {
        var hash = 2166136261u;
        foreach (var unit in code)
        {
            hash ^= unit;
            hash *= 16777619u;
        }
        return 1L << (int)(hash % 63);
    }

    /// <summary>The rows the pairing gives a resource of its type, from the resource's other rows.</summary>
    public void Apply(SearchIndexSet set)
    {
        long? first = null, last = null;
        foreach (var date in set.Dates)
        {
            if (date.ParamId != DateParamId) continue;
            first = Math.Min(first ?? long.MaxValue, date.Start);
            last = Math.Max(last ?? long.MinValue, date.Start);
        }
        if (first is not null)
        {
            // Zero when the resource has no code at all: no code=... search can match it.
            var bits = 0L;
            foreach (var token in set.Tokens)
                if (token.ParamId == CodeParamId && token.Code is { } code) bits |= CodeBit(code);
            for (var i = 0; i < set.Dates.Count; i++)
                if (set.Dates[i].ParamId == DateParamId) set.Dates[i] = set.Dates[i] with { CodeBits = bits };
        }
        foreach (var token in set.Tokens)
        {
            if (token.ParamId != CodeParamId || (token.System is null && token.Code is null)) continue;
            foreach (var reference in set.References)
                if (reference.TargetType == "Patient" && reference.TargetId is { } patient && PatientParamIds.Contains(reference.ParamId))
                    set.PatientTokens.Add(new PatientTokenIndex(patient, token.ParamId, token.System ?? "", token.Code ?? "", first, last));
        }
    }
}

public sealed class SearchIndexSet
{
    public List<TokenIndex> Tokens { get; } = [];
    public List<StringIndex> Strings { get; } = [];
    public List<DateIndex> Dates { get; } = [];
    public List<ReferenceIndex> References { get; } = [];
    public List<QuantityIndex> Quantities { get; } = [];
    public List<NumberIndex> Numbers { get; } = [];
    public List<UriIndex> Uris { get; } = [];
    public List<PatientTokenIndex> PatientTokens { get; } = [];

    public int Count => Tokens.Count + Strings.Count + Dates.Count + References.Count + Quantities.Count + Numbers.Count + Uris.Count + PatientTokens.Count;
}
