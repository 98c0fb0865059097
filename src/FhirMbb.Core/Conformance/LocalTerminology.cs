using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Specification.Source;
using Hl7.Fhir.Specification.Terminology;

namespace FhirMbb.Core.Conformance;

/// <summary>A terminology operation named a ValueSet, CodeSystem or ConceptMap that neither our content nor the core spec has.</summary>
public sealed class TerminologyResourceNotFoundException(string message) : Exception(message);

/// <summary>
/// Seam for <c>Terminology:ServerUrl</c>: an external terminology server asked only when the local
/// content cannot decide. The implementation (timeout, cache, warning when down) belongs to the host.
/// </summary>
public interface ITerminologyFallback
{
    /// <summary>Returns null when the external server cannot answer either.</summary>
    Task<Parameters?> ValidateCodeAsync(string valueSetUrl, string? system, string code, CancellationToken cancellationToken = default);
}

/// <summary>
/// <c>$expand</c>, <c>$validate-code</c>, <c>$lookup</c> and <c>$translate</c> over our CodeSystems,
/// ValueSets and the facet-joint ConceptMap (plus the core spec's terminology), offline.
/// Answers are the FHIR Parameters / ValueSet resources the operations return.
/// </summary>
public sealed class LocalTerminology
{
    private readonly ConformanceCatalog _catalog;
    private readonly CachedResolver _resolver;
    private readonly ITerminologyService _service;
    private readonly ITerminologyFallback? _fallback;
    private readonly LocalServiceGate _gate = new();

    /// <summary>
    /// One call into the local service, through the gate. A request the service refuses as malformed (a 4xx but 404,
    /// e.g. a code without a system) is the client's: a 400-class outcome, not a server error.
    /// </summary>
    private async Task<T> AskAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await _gate.RunAsync(call).ConfigureAwait(false);
        }
        catch (Hl7.Fhir.Rest.FhirOperationException e) when ((int)e.Status is >= 400 and < 500 and not 404)
        {
            throw new FhirOperationException((int)e.Status, OperationOutcome.IssueType.Invalid, e.Message);
        }
    }

    public LocalTerminology(ConformanceCatalog catalog, ITerminologyFallback? fallback = null)
    {
        _catalog = catalog;
        _resolver = new CachedResolver(CoreSpecification.With(new InMemoryResourceResolver(catalog.Resources)));
        _service = new LocalTerminologyService(_resolver, ValueSetExpanderSettings.CreateDefault());
        _fallback = fallback;
    }

    /// <summary><c>ValueSet/$expand?url=...</c>. Our value sets list every external code, so they expand offline.</summary>
    public async Task<ValueSet> ExpandAsync(string valueSetUrl)
    {
        try
        {
            var parameters = new Parameters().Add("url", new FhirUri(valueSetUrl));
            return (ValueSet)await AskAsync(() => _service.Expand(parameters)).ConfigureAwait(false);
        }
        catch (Hl7.Fhir.Rest.FhirOperationException e) when (e.Status == System.Net.HttpStatusCode.NotFound)
        {
            throw new TerminologyResourceNotFoundException($"ValueSet {valueSetUrl} is not known to this server.");
        }
    }

    /// <summary><c>ValueSet/$validate-code</c> with url, system and code. Out: result, message, display.</summary>
    public async Task<Parameters> ValidateCodeAsync(string valueSetUrl, string? system, string code, string? display = null, CancellationToken cancellationToken = default)
    {
        var known = await _resolver.ResolveByCanonicalUriAsync(valueSetUrl).ConfigureAwait(false) is ValueSet;
        if (!known)
        {
            if (_fallback is not null && await _fallback.ValidateCodeAsync(valueSetUrl, system, code, cancellationToken).ConfigureAwait(false) is { } external)
                return external;
            throw new TerminologyResourceNotFoundException($"ValueSet {valueSetUrl} is not known to this server.");
        }
        var parameters = new Parameters().Add("url", new FhirUri(valueSetUrl)).Add("code", new Code(code));
        if (system is not null) parameters.Add("system", new FhirUri(system));
        if (display is not null) parameters.Add("display", new FhirString(display));
        return await AskAsync(() => _service.ValueSetValidateCode(parameters)).ConfigureAwait(false);
    }

    /// <summary><c>CodeSystem/$validate-code</c>: is the code defined by the code system?</summary>
    public async Task<Parameters> ValidateCodeInCodeSystemAsync(string system, string code)
    {
        var concept = await FindConceptAsync(system, code).ConfigureAwait(false);
        var result = new Parameters().Add("result", new FhirBoolean(concept is not null));
        return concept is not null
            ? result.Add("display", new FhirString(concept.Display))
            : result.Add("message", new FhirString($"Code '{code}' is not defined in {system}."));
    }

    /// <summary><c>CodeSystem/$lookup</c>: name, version, display, and the definition and properties as <c>property</c> parts.</summary>
    public async Task<Parameters> LookupAsync(string system, string code)
    {
        var codeSystem = await FindCodeSystemAsync(system).ConfigureAwait(false);
        var concept = Flatten(codeSystem.Concept).FirstOrDefault(c => c.Code == code)
            ?? throw new TerminologyResourceNotFoundException($"Code '{code}' is not defined in {system}.");
        var result = new Parameters().Add("name", new FhirString(codeSystem.Name ?? system));
        if (codeSystem.Version is not null) result.Add("version", new FhirString(codeSystem.Version));
        result.Add("display", new FhirString(concept.Display ?? code));
        if (concept.Definition is not null)
            result.Parameter.Add(Group("property", ("code", new Code("definition")), ("value", new FhirString(concept.Definition))));
        foreach (var property in concept.Property)
            result.Parameter.Add(Group("property", ("code", new Code(property.Code)), ("value", property.Value)));
        return result;
    }

    /// <summary>
    /// <c>ConceptMap/$translate</c> over one of our ConceptMaps: e.g. facet joint L4-L5 gives the
    /// nerves L3-MB and L4-MB. Out: result, message, and one <c>match</c> (equivalence, concept, source) per target.
    /// </summary>
    public Parameters Translate(string conceptMapUrl, string system, string code, string? targetSystem = null)
    {
        var map = _catalog.FindByCanonical<ConceptMap>(conceptMapUrl)
            ?? throw new TerminologyResourceNotFoundException($"ConceptMap {conceptMapUrl} is not known to this server.");
        var matches = map.Group
            .Where(g => g.Source == system && (targetSystem is null || g.Target == targetSystem))
            .SelectMany(g => g.Element.Where(e => e.Code == code).SelectMany(e => e.Target.Select(t => (Group: g, Target: t))))
            .ToList();
        var result = new Parameters()
            .Add("result", new FhirBoolean(matches.Count > 0))
            .Add("message", new FhirString(matches.Count > 0
                ? $"{code} maps to {string.Join(", ", matches.Select(m => m.Target.Code))}."
                : $"No mapping for {system}|{code} in {conceptMapUrl}."));
        foreach (var (group, target) in matches)
        {
            var match = Group("match",
                ("equivalence", new Code(target.Equivalence is { } equivalence ? Hl7.Fhir.Utility.EnumUtility.GetLiteral(equivalence) : "relatedto")),
                ("concept", new Coding(group.Target, target.Code, target.Display)),
                ("source", new FhirUri(conceptMapUrl)));
            // "verify" facts of the clinical reference travel with the answer.
            if (target.Comment is not null) match.Part.Add(new Parameters.ParameterComponent { Name = "comment", Value = new FhirString(target.Comment) });
            result.Parameter.Add(match);
        }
        return result;
    }

    /// <summary>The target codes of a translation, for callers that only need the nerves.</summary>
    public IReadOnlyList<Coding> TranslateToCodings(string conceptMapUrl, string system, string code) =>
        Translate(conceptMapUrl, system, code).Parameter
            .Where(p => p.Name == "match")
            .SelectMany(p => p.Part.Where(part => part.Name == "concept").Select(part => part.Value).OfType<Coding>())
            .ToList();

    private static Parameters.ParameterComponent Group(string name, params (string Name, DataType? Value)[] parts) => new()
    {
        Name = name,
        Part = parts.Select(p => new Parameters.ParameterComponent { Name = p.Name, Value = p.Value }).ToList(),
    };

    private async Task<CodeSystem> FindCodeSystemAsync(string system) =>
        await _resolver.ResolveByCanonicalUriAsync(system).ConfigureAwait(false) as CodeSystem
            ?? throw new TerminologyResourceNotFoundException($"CodeSystem {system} is not known to this server.");

    private async Task<CodeSystem.ConceptDefinitionComponent?> FindConceptAsync(string system, string code) =>
        Flatten((await FindCodeSystemAsync(system).ConfigureAwait(false)).Concept).FirstOrDefault(c => c.Code == code);

    private static IEnumerable<CodeSystem.ConceptDefinitionComponent> Flatten(IEnumerable<CodeSystem.ConceptDefinitionComponent> concepts) =>
        concepts.SelectMany(c => Flatten(c.Concept).Prepend(c));
}
