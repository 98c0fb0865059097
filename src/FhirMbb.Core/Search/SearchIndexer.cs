using FhirMbb.Core.Rest;
using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;

namespace FhirMbb.Core.Search;

/// <summary>
/// Turns a resource into its typed index values. Each parameter's path is built once at start-up; a
/// parameter whose expression cannot be evaluated is marked unsupported in the registry instead.
/// Derived parameters (<see cref="SearchParameterDefinition.IsDerived"/>) get a path, so an expression that cannot be
/// evaluated still makes them unsupported, but no rows: searches read their sources' rows.
/// </summary>
public sealed class SearchIndexer
{
    private readonly Dictionary<string, (SearchParameterDefinition Parameter, ElementPath Path)[]> _byType = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (SearchParameterDefinition Parameter, ElementPath Path)[]> _storedByType = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CodePairing> _pairings = new(StringComparer.Ordinal);

    public SearchIndexer(SearchParameterRegistry registry)
    {
        foreach (var type in ResourceTypes.Writable)
        {
            var paths = new List<(SearchParameterDefinition, ElementPath)>();
            foreach (var parameter in registry.ForType(type).ToList())
            {
                // _id is searched on the resource's own id (IdCondition), so it has no rows.
                if (!parameter.IsSupported || parameter.Type == SearchParamType.Composite || parameter.Code == "_id") continue;
                var path = ElementPath.Create(type, parameter.Expression, out var reason);
                if (path is null)
                {
                    registry.MarkUnsupported(parameter, reason ?? "the expression cannot be indexed");
                    continue;
                }
                paths.Add((parameter, path));
            }
            _byType[type] = paths.ToArray();
            _storedByType[type] = paths.Where(p => !p.Item1.IsDerived).ToArray();
            // A type with a stored token parameter "code" and an indexed reference parameter "patient"; and its date, if any.
            var code = paths.Select(p => p.Item1).FirstOrDefault(p => p.Code == "code" && p.Type == SearchParamType.Token && !p.IsDerived);
            var patient = paths.Select(p => p.Item1).FirstOrDefault(p => p.Code == "patient" && p.Type == SearchParamType.Reference);
            var date = paths.Select(p => p.Item1).FirstOrDefault(CodePairing.IsSortDate);
            if (code is not null && patient is not null)
                _pairings[type] = new CodePairing(type, code.Id, patient.Stored.ParamIds, date?.Id);
        }
    }

    /// <summary>The types whose resources get <see cref="SearchIndexSet.PatientTokens"/>, and how.</summary>
    public IReadOnlyCollection<CodePairing> CodePairings => _pairings.Values;

    /// <summary>The path of every indexable parameter of a type, derived ones included.</summary>
    public IReadOnlyList<(SearchParameterDefinition Parameter, ElementPath Path)> PathsFor(string type) =>
        _byType.TryGetValue(type, out var paths) ? paths : [];

    /// <summary>The rows a resource gets: those of every parameter that is not derived.</summary>
    public SearchIndexSet Index(Resource resource)
    {
        var set = new SearchIndexSet();
        if (!_storedByType.TryGetValue(resource.TypeName, out var paths)) return set;
        var found = new List<Base>();
        foreach (var (parameter, path) in paths)
        {
            found.Clear();
            path.SelectInto(resource, found);
            foreach (var element in found) Add(set, parameter, element);
        }
        if (_pairings.TryGetValue(resource.TypeName, out var pairing)) pairing.Apply(set);
        return set;
    }

    /// <summary>
    /// The rows one parameter's own path gives a resource, whether or not they are stored: what a derived
    /// parameter's sources must reproduce (the equivalence tests compare the two).
    /// </summary>
    public SearchIndexSet RowsOf(Resource resource, SearchParameterDefinition parameter)
    {
        var set = new SearchIndexSet();
        var path = PathsFor(resource.TypeName).FirstOrDefault(p => p.Parameter.Code == parameter.Code).Path;
        if (path is null) return set;
        foreach (var element in path.Select(resource)) Add(set, parameter, element);
        return set;
    }

    private static void Add(SearchIndexSet set, SearchParameterDefinition parameter, Base element)
    {
        var id = parameter.Id;
        switch (parameter.Type)
        {
            case SearchParamType.Token: AddToken(set, id, element); break;
            case SearchParamType.String: AddString(set, id, element); break;
            case SearchParamType.Date: AddDate(set, id, element); break;
            case SearchParamType.Reference: AddReference(set, id, element); break;
            case SearchParamType.Quantity: AddQuantity(set, id, element); break;
            case SearchParamType.Number: AddNumber(set, id, element); break;
            case SearchParamType.Uri: AddUri(set, id, element); break;
        }
    }

    private static void AddToken(SearchIndexSet set, int id, Base element)
    {
        switch (element)
        {
            case CodeableConcept concept:
                // Each coding carries its display (or the concept's text) for :text; the text gets a row of its own only if no coding carries it.
                var text = Norm(concept.Text);
                var textCarried = false;
                foreach (var coding in concept.Coding)
                {
                    var display = Norm(coding.Display) ?? text;
                    textCarried |= display == text;
                    set.Tokens.Add(new TokenIndex(id, Empty(coding.System), Empty(coding.Code), display));
                }
                if (text is not null && !textCarried) set.Tokens.Add(new TokenIndex(id, null, null, text));
                break;
            case Coding coding:
                set.Tokens.Add(new TokenIndex(id, Empty(coding.System), Empty(coding.Code), Norm(coding.Display)));
                break;
            case Identifier identifier:
                set.Tokens.Add(new TokenIndex(id, Empty(identifier.System), Empty(identifier.Value), Norm(identifier.Type?.Text)));
                break;
            case ContactPoint contact:
                set.Tokens.Add(new TokenIndex(id, contact.System?.GetLiteral(), Empty(contact.Value), null));
                break;
            case FhirBoolean boolean when boolean.Value is { } b:
                set.Tokens.Add(new TokenIndex(id, null, b ? "true" : "false", null));
                break;
            case PrimitiveType { JsonValue: bool flag }:
                set.Tokens.Add(new TokenIndex(id, null, flag ? "true" : "false", null));
                break;
            case PrimitiveType primitive when primitive.ToString() is { Length: > 0 } value:
                set.Tokens.Add(new TokenIndex(id, SystemOfCode(primitive), value, null));
                break;
        }
    }

    private static void AddString(SearchIndexSet set, int id, Base element)
    {
        switch (element)
        {
            case HumanName name:
                AddText(set, id, name.Text);
                AddText(set, id, name.Family);
                foreach (var given in name.Given) AddText(set, id, given);
                foreach (var prefix in name.Prefix) AddText(set, id, prefix);
                foreach (var suffix in name.Suffix) AddText(set, id, suffix);
                break;
            case Address address:
                AddText(set, id, address.Text);
                foreach (var line in address.Line) AddText(set, id, line);
                AddText(set, id, address.City);
                AddText(set, id, address.District);
                AddText(set, id, address.State);
                AddText(set, id, address.PostalCode);
                AddText(set, id, address.Country);
                break;
            case PrimitiveType primitive:
                AddText(set, id, primitive.ToString());
                break;
        }
    }

    private static void AddText(SearchIndexSet set, int id, string? value)
    {
        if (string.IsNullOrEmpty(value)) return;
        set.Strings.Add(new StringIndex(id, TextNormalizer.Normalize(value), value));
    }

    private static void AddDate(SearchIndexSet set, int id, Base element)
    {
        switch (element)
        {
            case Instant { Value: { } at }:
                set.Dates.Add(new DateIndex(id, DateRange.Instant(at).Start, DateRange.Instant(at).End));
                break;
            case Period period:
                var start = DateRange.TryParse(period.Start, out var s) ? s.Start : DateRange.UnboundedStart;
                var end = DateRange.TryParse(period.End, out var e) ? e.End : DateRange.Unbounded;
                if (period.Start is not null || period.End is not null) set.Dates.Add(new DateIndex(id, start, end));
                break;
            case Timing timing:
                foreach (var at in timing.EventElement)
                    if (DateRange.TryParse(at.Value, out var t)) set.Dates.Add(new DateIndex(id, t.Start, t.End));
                break;
            case PrimitiveType primitive when DateRange.TryParse(primitive.ToString(), out var range):
                set.Dates.Add(new DateIndex(id, range.Start, range.End));
                break;
        }
    }

    private static void AddReference(SearchIndexSet set, int id, Base element)
    {
        switch (element)
        {
            case ResourceReference reference:
                var parts = reference.Reference is { Length: > 0 } r ? ReferenceParts.Parse(r) : default;
                if (parts.Type is null && parts.AbsoluteUrl is null && reference.Identifier is null) return;
                set.References.Add(new ReferenceIndex(id, parts.Type, parts.Id, parts.AbsoluteUrl,
                    Empty(reference.Identifier?.System), Empty(reference.Identifier?.Value)));
                break;
            case PrimitiveType primitive when primitive.ToString() is { Length: > 0 } url: // canonical or uri
                var canonical = url.Split('|')[0];
                var p = ReferenceParts.Parse(canonical);
                set.References.Add(new ReferenceIndex(id, p.Type, p.Id, canonical, null, null));
                break;
        }
    }

    private static void AddQuantity(SearchIndexSet set, int id, Base element)
    {
        if (element is Quantity { Value: { } value } quantity)
            set.Quantities.Add(new QuantityIndex(id, value, Empty(quantity.System), Empty(quantity.Code), Empty(quantity.Unit)));
    }

    private static void AddNumber(SearchIndexSet set, int id, Base element)
    {
        switch (element)
        {
            case FhirDecimal { Value: { } d }: set.Numbers.Add(new NumberIndex(id, d)); break;
            case Integer { Value: { } i }: set.Numbers.Add(new NumberIndex(id, i)); break;
            case PositiveInt { Value: { } p }: set.Numbers.Add(new NumberIndex(id, p)); break;
            case UnsignedInt { Value: { } u }: set.Numbers.Add(new NumberIndex(id, u)); break;
        }
    }

    private static void AddUri(SearchIndexSet set, int id, Base element)
    {
        if (element is PrimitiveType primitive && primitive.ToString() is { Length: > 0 } value)
            set.Uris.Add(new UriIndex(id, value));
    }

    // Systems of bound enumeration codes, found once per (enum type, code): reflection is too slow per resource.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(Type, string), string?> CodeSystems = new();

    /// <summary>The code system of a bound enumeration (Patient.gender's is administrative-gender).</summary>
    private static string? SystemOfCode(PrimitiveType primitive)
    {
        var type = primitive.GetType();
        if (!type.IsGenericType || type.GetGenericTypeDefinition() != typeof(Code<>)) return null;
        var literal = primitive.ToString() ?? "";
        return CodeSystems.GetOrAdd((type, literal), static key =>
        {
            var enumType = key.Item1.GetGenericArguments()[0];
            var value = EnumUtility.ParseLiteral(key.Item2, enumType);
            return value is null ? null : EnumUtility.GetSystem(value);
        });
    }

    private static string? Empty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static string? Norm(string? value) => string.IsNullOrEmpty(value) ? null : TextNormalizer.Normalize(value);
}
