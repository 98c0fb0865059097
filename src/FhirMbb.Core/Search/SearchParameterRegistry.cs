using FhirMbb.Core.Rest;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Search;

/// <summary>
/// Every search parameter the server knows, per resource type: the R4 ones from the SDK for the clinical
/// types, the common ones (_id, _lastUpdated, _profile, _tag, _security, _source), and custom
/// SearchParameter resources given at start-up. Search SQL is built only from what is in here.
/// Some R4 parameters are <em>derived</em>: their rows are exactly other parameters' rows (see <see cref="DeriveStoredRows"/>),
/// so the indexer stores none for them and searches read the others' rows.
/// </summary>
public sealed class SearchParameterRegistry
{
    private readonly Dictionary<string, Dictionary<string, SearchParameterDefinition>> _byType = new(StringComparer.Ordinal);
    private readonly HashSet<(string Type, string Code)> _fromModel = [];

    public SearchParameterRegistry(IEnumerable<SearchParameter>? custom = null)
    {
        foreach (var type in ResourceTypes.Writable) _byType[type] = new Dictionary<string, SearchParameterDefinition>(StringComparer.Ordinal);

        foreach (var type in ResourceTypes.Writable)
        {
            Add(Define(type, "_id", "http://hl7.org/fhir/SearchParameter/Resource-id", SearchParamType.Token, "Resource.id", []));
            Add(Define(type, "_lastUpdated", "http://hl7.org/fhir/SearchParameter/Resource-lastUpdated", SearchParamType.Date, "Resource.meta.lastUpdated", []));
            Add(Define(type, "_profile", "http://hl7.org/fhir/SearchParameter/Resource-profile", SearchParamType.Uri, "Resource.meta.profile", []));
            Add(Define(type, "_tag", "http://hl7.org/fhir/SearchParameter/Resource-tag", SearchParamType.Token, "Resource.meta.tag", []));
            Add(Define(type, "_security", "http://hl7.org/fhir/SearchParameter/Resource-security", SearchParamType.Token, "Resource.meta.security", []));
            Add(Define(type, "_source", "http://hl7.org/fhir/SearchParameter/Resource-source", SearchParamType.Uri, "Resource.meta.source", []));
        }

        foreach (var sp in ModelInfo.SearchParameters)
        {
            if (sp.Resource is null || !_byType.ContainsKey(sp.Resource)) continue;
            if (sp.Code is null || _byType[sp.Resource].ContainsKey(sp.Code)) continue;
            var targets = sp.Target?.Select(t => t.ToString()).ToList() ?? [];
            var reason = sp.Type switch
            {
                SearchParamType.Composite => "composite parameters are not indexed",
                SearchParamType.Special => "special parameters are not indexed",
                _ => null,
            };
            Add(new SearchParameterDefinition(sp.Resource, sp.Code, sp.Url ?? "", sp.Type, sp.Expression ?? "", targets, reason));
            _fromModel.Add((sp.Resource, sp.Code));
        }

        // Before the composites, so that a composite's parts carry the rows they are read from.
        DeriveStoredRows();

        // Composites over the resource itself (Observation code-value-quantity: the code and the value of one
        // Observation) are searched as their parts together. Those over a repeating element (component-*,
        // combo-*) need both parts from the same element, which the index does not record: they stay unsupported.
        foreach (var sp in ModelInfo.SearchParameters)
        {
            if (sp.Type != SearchParamType.Composite || sp.Resource is null || sp.Code is null) continue;
            if (!_byType.TryGetValue(sp.Resource, out var byCode)) continue;
            if (sp.Expression != sp.Resource)
            {
                byCode[sp.Code] = byCode[sp.Code] with { UnsupportedReason = "composite parameters over a repeating element need both parts from one element, which the index does not keep" };
                continue;
            }
            var parts = (sp.Component ?? []).Select(c => byCode.Values.FirstOrDefault(p => p.Url == c.Definition && p.IsSupported)).ToList();
            if (parts.Count >= 2 && parts.All(p => p is not null && p.Type != SearchParamType.Composite))
                byCode[sp.Code] = byCode[sp.Code] with { UnsupportedReason = null, Components = parts! };
        }

        foreach (var parameter in custom ?? []) AddCustom(parameter);
    }

    /// <summary>
    /// Finds the R4 parameters whose index rows would be exactly those of other R4 parameters of the same type:
    /// <list type="bullet">
    /// <item>a reference parameter whose branches are those of one other followed by <c>.where(resolve() is T)</c>
    /// (Observation <c>patient</c> = <c>subject</c> rows whose target type is Patient), as long as those branches
    /// can only select Reference elements: the indexer stores a reference's type exactly as the filter reads it;</item>
    /// <item>a token, quantity, string, uri or number parameter whose branches are the branches of others, each
    /// taken once (Observation <c>combo-code</c> = <c>code</c> + <c>component-code</c>).</item>
    /// </list>
    /// Only R4 parameters take part, so what is stored does not depend on the custom parameters configured.
    /// Dates (the date driver and idx_date_multi read one param_id), composites and _id are never derived.
    /// A parameter is derived only from parameters that are not derived themselves: candidates are taken with
    /// fewer branches first, then by code, so of two parameters with the same branches the first code is stored.
    /// Databases written before a parameter became derived keep its old rows; they are never read, so nothing
    /// needs migrating.
    /// </summary>
    private void DeriveStoredRows()
    {
        foreach (var (type, byCode) in _byType)
        {
            var candidates = byCode.Values
                .Where(p => _fromModel.Contains((type, p.Code)) && p.IsSupported && p.Code != "_id"
                    && p.Type is not (SearchParamType.Date or SearchParamType.Composite or SearchParamType.Special))
                .Select(p => (Parameter: p, Branches: ElementPath.BranchesFor(type, p.Expression)))
                .Where(c => c.Branches.Count > 0 && c.Branches.Distinct(StringComparer.Ordinal).Count() == c.Branches.Count)
                .OrderBy(c => TargetFilter(c.Branches).Target is null ? 0 : 1)
                .ThenBy(c => c.Branches.Count)
                .ThenBy(c => c.Parameter.Code, StringComparer.Ordinal)
                .ToList();
            var stored = new List<(SearchParameterDefinition Parameter, List<string> Branches)>();
            foreach (var (parameter, branches) in candidates)
            {
                var rows = DerivedRows(type, parameter, branches, stored);
                if (rows is null) stored.Add((parameter, branches));
                else byCode[parameter.Code] = parameter with { Stored = rows };
            }
        }
    }

    private static StoredRows? DerivedRows(string type, SearchParameterDefinition parameter, List<string> branches, List<(SearchParameterDefinition Parameter, List<string> Branches)> stored)
    {
        string? target = null;
        var wanted = branches;
        if (parameter.Type == SearchParamType.Reference)
        {
            (wanted, target) = TargetFilter(branches);
            if (target is null || !wanted.All(b => ElementPath.SelectsOnlyReferences(type, b))) return null;
        }
        else if (parameter.Type is not (SearchParamType.Token or SearchParamType.Quantity or SearchParamType.String or SearchParamType.Uri or SearchParamType.Number))
        {
            return null;
        }

        // Each wanted branch must come from exactly one source, so the sources' rows are the parameter's rows once each.
        var remaining = new HashSet<string>(wanted, StringComparer.Ordinal);
        var sources = new List<int>();
        foreach (var (source, sourceBranches) in stored.Where(s => s.Parameter.Type == parameter.Type).OrderByDescending(s => s.Branches.Count))
        {
            if (!sourceBranches.All(remaining.Contains)) continue;
            remaining.ExceptWith(sourceBranches);
            sources.Add(source.Id);
        }
        // A reference parameter is derived from one other only: _include and _revinclude read one param_id.
        if (target is not null && sources.Count != 1) return null;
        return remaining.Count == 0 && sources.Count > 0 ? new StoredRows(sources, target) : null;
    }

    /// <summary>Branches all ending in the same <c>.where(resolve() is T)</c>: the branches without it and T; otherwise the branches and null.</summary>
    private static (List<string> Branches, string? Target) TargetFilter(List<string> branches)
    {
        const string Prefix = ".where(resolve() is ";
        string? target = null;
        var stripped = new List<string>();
        foreach (var branch in branches)
        {
            var at = branch.LastIndexOf(Prefix, StringComparison.Ordinal);
            if (at <= 0 || branch[^1] != ')') return (branches, null);
            var type = branch[(at + Prefix.Length)..^1];
            if (type.Length == 0 || !type.All(char.IsLetter) || (target is not null && target != type)) return (branches, null);
            target = type;
            stripped.Add(branch[..at]);
        }
        return (stripped, target);
    }

    /// <summary>Adds a SearchParameter resource for each of its base types that the server stores.</summary>
    public void AddCustom(SearchParameter parameter)
    {
        if (string.IsNullOrEmpty(parameter.Code) || parameter.Type is null || string.IsNullOrEmpty(parameter.Expression))
            throw new ArgumentException($"SearchParameter '{parameter.Url}' needs a code, a type and an expression");
        foreach (var resourceType in parameter.Base.Select(b => b?.ToString()).Where(b => b is not null && _byType.ContainsKey(b)))
        {
            var reason = parameter.Type is SearchParamType.Composite or SearchParamType.Special ? "composite and special parameters are not indexed" : null;
            var targets = parameter.Target.Select(t => t?.ToString()).OfType<string>().ToList();
            var definition = new SearchParameterDefinition(resourceType!, parameter.Code, parameter.Url ?? "", parameter.Type.Value, parameter.Expression, targets, reason);
            // A custom parameter that replaces an R4 one stores other rows under its id: nothing is derived from it.
            var byCode = _byType[resourceType!];
            foreach (var derived in byCode.Values.Where(p => p.IsDerived && p.Stored.ParamIds.Contains(definition.Id)).ToList())
                byCode[derived.Code] = derived with { Stored = new StoredRows([derived.Id], null) };
            Add(definition);
        }
    }

    public bool TryGet(string resourceType, string code, out SearchParameterDefinition definition)
    {
        definition = null!;
        return _byType.TryGetValue(resourceType, out var byCode) && byCode.TryGetValue(code, out definition!);
    }

    public IReadOnlyCollection<SearchParameterDefinition> ForType(string resourceType) =>
        _byType.TryGetValue(resourceType, out var byCode) ? byCode.Values : [];

    /// <summary>Marks a parameter as not supported, e.g. when its expression cannot be indexed.</summary>
    internal void MarkUnsupported(SearchParameterDefinition definition, string reason) =>
        _byType[definition.ResourceType][definition.Code] = definition with { UnsupportedReason = reason };

    private void Add(SearchParameterDefinition definition)
    {
        var byCode = _byType[definition.ResourceType];
        // Ids are stored in the index, so two different codes must never share one.
        foreach (var other in _byType.Values.SelectMany(d => d.Values))
            if (other.Id == definition.Id && other.Code != definition.Code)
                throw new InvalidOperationException($"Search parameters '{other.Code}' and '{definition.Code}' hash to the same index id");
        byCode[definition.Code] = definition;
    }

    private static SearchParameterDefinition Define(string type, string code, string url, SearchParamType paramType, string expression, IReadOnlyList<string> targets) =>
        new(type, code, url, paramType, expression, targets, null);
}
