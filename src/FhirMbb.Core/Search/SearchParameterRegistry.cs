using FhirMbb.Core.Rest;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Search;

/// <summary>
/// Every search parameter the server knows, per resource type: the R4 ones from the SDK for the clinical
/// types, the common ones (_id, _lastUpdated, _profile, _tag, _security, _source), and custom
/// SearchParameter resources given at start-up. Search SQL is built only from what is in here.
/// </summary>
public sealed class SearchParameterRegistry
{
    private readonly Dictionary<string, Dictionary<string, SearchParameterDefinition>> _byType = new(StringComparer.Ordinal);

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
        }

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

    /// <summary>Adds a SearchParameter resource for each of its base types that the server stores.</summary>
    public void AddCustom(SearchParameter parameter)
    {
        if (string.IsNullOrEmpty(parameter.Code) || parameter.Type is null || string.IsNullOrEmpty(parameter.Expression))
            throw new ArgumentException($"SearchParameter '{parameter.Url}' needs a code, a type and an expression");
        foreach (var resourceType in parameter.Base.Select(b => b?.ToString()).Where(b => b is not null && _byType.ContainsKey(b)))
        {
            var reason = parameter.Type is SearchParamType.Composite or SearchParamType.Special ? "composite and special parameters are not indexed" : null;
            var targets = parameter.Target.Select(t => t?.ToString()).OfType<string>().ToList();
            Add(new SearchParameterDefinition(resourceType!, parameter.Code, parameter.Url ?? "", parameter.Type.Value, parameter.Expression, targets, reason));
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
