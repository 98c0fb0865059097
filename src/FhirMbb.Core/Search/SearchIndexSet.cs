namespace FhirMbb.Core.Search;

// The typed values one resource contributes to the search index, one record per stored row.
public sealed record TokenIndex(int ParamId, string? System, string? Code, string? Text);

public sealed record StringIndex(int ParamId, string Normalized, string Exact);

public sealed record DateIndex(int ParamId, long Start, long End);

/// <summary>A reference by type and id when it has them, its absolute URL when it is one, and its identifier.</summary>
public sealed record ReferenceIndex(int ParamId, string? TargetType, string? TargetId, string? Url, string? IdentifierSystem, string? IdentifierValue);

public sealed record QuantityIndex(int ParamId, decimal Value, string? System, string? Code, string? Unit);

public sealed record NumberIndex(int ParamId, decimal Value);

public sealed record UriIndex(int ParamId, string Value);

public sealed class SearchIndexSet
{
    public List<TokenIndex> Tokens { get; } = [];
    public List<StringIndex> Strings { get; } = [];
    public List<DateIndex> Dates { get; } = [];
    public List<ReferenceIndex> References { get; } = [];
    public List<QuantityIndex> Quantities { get; } = [];
    public List<NumberIndex> Numbers { get; } = [];
    public List<UriIndex> Uris { get; } = [];

    public int Count => Tokens.Count + Strings.Count + Dates.Count + References.Count + Quantities.Count + Numbers.Count + Uris.Count;
}
