using System.Collections.Concurrent;
using FhirMbb.Core.Conformance;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Search;

/// <summary>
/// The codes of a ValueSet this server publishes (or the core specification holds), for token :in and
/// :not-in. Expanded once by the local terminology service and kept: the published ValueSets only change
/// with a restart.
/// </summary>
public sealed class ValueSetCodes(LocalTerminology terminology)
{
    // More codes than this would make one search condition of thousands of bound values.
    public const int MaxCodes = 1000;

    private readonly ConcurrentDictionary<string, Lazy<Task<ValueSetExpansion>>> _expanded = new(StringComparer.Ordinal);

    /// <summary>system|code of every code in the ValueSet, or why it cannot be used.</summary>
    public Task<ValueSetExpansion> CodesAsync(string valueSetUrl) =>
        _expanded.GetOrAdd(valueSetUrl, url => new Lazy<Task<ValueSetExpansion>>(() => ExpandAsync(url))).Value;

    private async Task<ValueSetExpansion> ExpandAsync(string url)
    {
        ValueSet expansion;
        try
        {
            expansion = await terminology.ExpandAsync(url);
        }
        catch (TerminologyResourceNotFoundException e)
        {
            return new ValueSetExpansion([], e.Message);
        }
        catch (Hl7.Fhir.Rest.FhirOperationException e)
        {
            return new ValueSetExpansion([], $"ValueSet {url} cannot be expanded here: {e.Message}");
        }
        var codes = new List<TokenValue>();
        void Add(IEnumerable<ValueSet.ContainsComponent> contains)
        {
            foreach (var c in contains)
            {
                if (c.Code is not null && c.Abstract != true) codes.Add(new TokenValue(c.System, true, c.Code));
                Add(c.Contains);
            }
        }
        Add(expansion.Expansion?.Contains ?? []);
        return codes.Count > MaxCodes
            ? new ValueSetExpansion([], $"ValueSet {url} has {codes.Count} codes; :in and :not-in take at most {MaxCodes}")
            : new ValueSetExpansion(codes, null);
    }
}

/// <summary>The codes of a ValueSet, or (Problem) why a search cannot use it.</summary>
public sealed record ValueSetExpansion(IReadOnlyList<TokenValue> Codes, string? Problem);
