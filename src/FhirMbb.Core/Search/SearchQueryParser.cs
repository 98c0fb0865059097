using System.Globalization;
using FhirMbb.Core.Rest;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Search;

/// <summary>The parsed query, the parameters worth repeating in page links, and what was ignored and why.</summary>
public sealed record ParsedSearch(SearchQuery Query, IReadOnlyList<KeyValuePair<string, string>> Kept, IReadOnlyList<string> Issues);

public sealed record SearchLimits(int DefaultCount = 20, int MaxCount = 1000);

/// <summary>
/// Turns the query string of a search into a <see cref="SearchQuery"/>, checking every name against the
/// registry. Unknown or malformed parameters are collected as issues: the caller fails on them under
/// handling=strict and otherwise drops them.
/// </summary>
public sealed class SearchQueryParser(SearchParameterRegistry registry)
{
    /// <summary>Parameters that are about the request rather than the search; passed through to links.</summary>
    private static readonly HashSet<string> FormatParameters = new(StringComparer.Ordinal) { "_format", "_pretty" };

    private static readonly Dictionary<string, SearchPrefix> Prefixes = new(StringComparer.Ordinal)
    {
        ["eq"] = SearchPrefix.Eq, ["ne"] = SearchPrefix.Ne, ["gt"] = SearchPrefix.Gt, ["lt"] = SearchPrefix.Lt, ["ge"] = SearchPrefix.Ge,
        ["le"] = SearchPrefix.Le, ["sa"] = SearchPrefix.Sa, ["eb"] = SearchPrefix.Eb, ["ap"] = SearchPrefix.Ap,
    };

    /// <param name="valueSets">The expansions of the ValueSets named by :in and :not-in (see <see cref="ValueSetUrls"/>).</param>
    public ParsedSearch Parse(string type, IEnumerable<KeyValuePair<string, string>> parameters, SearchLimits limits, string? compartmentPatient = null, string? baseUrl = null,
        IReadOnlyDictionary<string, ValueSetExpansion>? valueSets = null)
    {
        var issues = new List<string>();
        var kept = new List<KeyValuePair<string, string>>();
        var conditions = new List<SearchCondition>();
        var sort = new List<SearchSort>();
        var includes = new List<IncludeSpec>();
        var count = limits.DefaultCount;
        var total = TotalMode.None;
        var summary = SummaryMode.None;
        List<string>? elements = null;
        PageCursor? cursor = null;

        foreach (var (key, value) in parameters)
        {
            try
            {
                switch (key)
                {
                    case "_cursor":
                        cursor = PageCursor.TryDecode(value) ?? throw new SearchParameterException($"_cursor '{value}' is not a paging cursor of this server");
                        continue; // links carry their own cursor
                    case "_count":
                        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var c))
                            throw new SearchParameterException($"_count '{value}' is not a non-negative integer");
                        if (c == 0) summary = SummaryMode.Count;
                        count = Math.Clamp(c, 1, limits.MaxCount);
                        break;
                    case "_sort":
                        sort.AddRange(ParseSort(type, value));
                        break;
                    case "_total":
                        total = value switch
                        {
                            "none" => TotalMode.None,
                            "accurate" or "estimate" => TotalMode.Accurate,
                            _ => throw new SearchParameterException($"_total '{value}' is not none, estimate or accurate"),
                        };
                        break;
                    case "_summary":
                        summary = value switch
                        {
                            "true" => SummaryMode.True,
                            "false" => SummaryMode.None,
                            "count" => SummaryMode.Count,
                            "data" => SummaryMode.Data,
                            "text" => SummaryMode.Text,
                            _ => throw new SearchParameterException($"_summary '{value}' is not true, false, count, data or text"),
                        };
                        break;
                    case "_elements":
                        elements = SplitValues(value).Where(e => e.Length > 0).ToList();
                        break;
                    case "_include" or "_include:iterate" or "_revinclude" or "_revinclude:iterate":
                        includes.Add(ParseInclude(type, key, value));
                        break;
                    default:
                        if (FormatParameters.Contains(key)) break;
                        conditions.Add(ParseCondition(type, key, value, allowNesting: true, valueSets));
                        break;
                }
                kept.Add(new KeyValuePair<string, string>(key, value));
            }
            catch (SearchParameterException e)
            {
                issues.Add(e.Message);
            }
        }

        var query = new SearchQuery(type, conditions, compartmentPatient, sort, count, total, summary, elements, includes, cursor, baseUrl);
        return new ParsedSearch(query, kept, issues);
    }

    private SearchCondition ParseCondition(string type, string key, string value, bool allowNesting, IReadOnlyDictionary<string, ValueSetExpansion>? valueSets)
    {
        if (key.StartsWith("_has:", StringComparison.Ordinal))
        {
            if (!allowNesting) throw new SearchParameterException($"'{key}': chains and _has are supported one level deep only");
            var parts = key.Split(':', 4);
            if (parts.Length < 4) throw new SearchParameterException($"'{key}' is not _has:Type:reference:parameter");
            var source = parts[1];
            if (!ResourceTypes.IsWritable(source)) throw new SearchParameterException($"'{key}': {source} is not a type this server searches");
            var reference = Require(source, parts[2]);
            if (reference.Type != SearchParamType.Reference) throw new SearchParameterException($"'{key}': {source}.{parts[2]} is not a reference parameter");
            return new HasCondition(source, reference, ParseCondition(source, parts[3], value, allowNesting: false, valueSets));
        }

        var dot = key.IndexOf('.');
        if (dot > 0)
        {
            if (!allowNesting) throw new SearchParameterException($"'{key}': chains and _has are supported one level deep only");
            var head = key[..dot];
            var rest = key[(dot + 1)..];
            var colon = head.IndexOf(':');
            var name = colon < 0 ? head : head[..colon];
            var targetType = colon < 0 ? null : head[(colon + 1)..];
            var reference = Require(type, name);
            if (reference.Type != SearchParamType.Reference) throw new SearchParameterException($"'{key}': {name} is not a reference parameter, so it cannot be chained");
            var innerName = rest.Split(':')[0];
            var candidates = (targetType is null ? reference.Targets : [targetType])
                .Where(t => ResourceTypes.IsWritable(t) && (reference.Targets.Count == 0 || reference.Targets.Contains(t)))
                .Where(t => registry.TryGet(t, innerName, out var p) && p.IsSupported)
                .ToList();
            if (candidates.Count == 0) throw new SearchParameterException($"'{key}': no target type of {name} has a search parameter '{innerName}'");
            var types = candidates.Select(t => { registry.TryGet(t, innerName, out var p); return p.Type; }).Distinct().Count();
            if (types > 1) throw new SearchParameterException($"'{key}': '{innerName}' has different types on the possible targets; name the target type ({name}:Type.{innerName})");
            return new ChainCondition(reference, candidates, ParseCondition(candidates[0], rest, value, allowNesting: false, valueSets));
        }

        var separator = key.IndexOf(':');
        var code = separator < 0 ? key : key[..separator];
        var modifier = separator < 0 ? null : key[(separator + 1)..];
        if (code == "_id" && modifier is null) return new IdCondition(SplitValues(value));
        var parameter = Require(type, code);

        if (modifier == "missing" && parameter.Type == SearchParamType.Composite)
            throw new SearchParameterException($"'{key}': :missing is not supported for composite parameters; use it on one of the parts");
        if (modifier == "missing")
        {
            return value switch
            {
                "true" => new MissingCondition(parameter, true),
                "false" => new MissingCondition(parameter, false),
                _ => throw new SearchParameterException($"'{key}' takes true or false, not '{value}'"),
            };
        }

        var values = SplitValues(value);
        if (values.Count == 0 || values.Any(v => v.Length == 0)) throw new SearchParameterException($"'{key}' has an empty value");
        switch (parameter.Type)
        {
            case SearchParamType.Token:
                if (code == "_id" && modifier is "not" or "in" or "not-in" or "text") return IdWith(key, modifier, values, valueSets);
                if (modifier is null) return new ParameterCondition(parameter, values.Select(ParseToken).ToList());
                if (modifier == "not") return new NotCondition(new ParameterCondition(parameter, values.Select(ParseToken).ToList()));
                if (modifier == "text") return new ParameterCondition(parameter, values.Select(v => (SearchValue)new TokenTextValue(TextNormalizer.Normalize(v))).ToList());
                if (modifier is "in" or "not-in")
                {
                    var codes = CodesIn(key, values, valueSets);
                    // A ValueSet without codes: nothing is in it (no id matches), everything is not in it (_id is never missing).
                    if (codes.Count == 0)
                        return modifier == "in" ? new IdCondition([]) : new MissingCondition(Require(type, "_id"), Missing: false);
                    var inner = new ParameterCondition(parameter, codes);
                    return modifier == "in" ? inner : new NotCondition(inner);
                }
                break;
            case SearchParamType.String:
                var match = modifier switch { null => StringMatch.StartsWith, "exact" => StringMatch.Exact, "contains" => StringMatch.Contains, _ => (StringMatch?)null };
                if (match is { } m)
                    return new ParameterCondition(parameter, values.Select(v => (SearchValue)new StringValue(m == StringMatch.Exact ? Unescape(v) : TextNormalizer.Normalize(Unescape(v)), m)).ToList());
                break;
            case SearchParamType.Date:
                if (modifier is null) return new ParameterCondition(parameter, values.Select(v => ParseDate(key, v)).ToList());
                break;
            case SearchParamType.Number:
                if (modifier is null) return new ParameterCondition(parameter, values.Select(v => ParseNumber(key, v)).ToList());
                break;
            case SearchParamType.Quantity:
                if (modifier is null) return new ParameterCondition(parameter, values.Select(v => ParseQuantity(key, v)).ToList());
                break;
            case SearchParamType.Uri:
                if (modifier is null or "below") return new ParameterCondition(parameter, values.Select(v => (SearchValue)new UriValue(v, modifier == "below")).ToList());
                if (modifier == "above") return new ParameterCondition(parameter, values.SelectMany(UriAbove).Distinct().ToList());
                break;
            case SearchParamType.Reference:
                if (modifier == "identifier")
                    return new ParameterCondition(parameter, values.Select(v => { var t = ParseToken(v); return (SearchValue)new ReferenceIdentifierValue(t.System, t.Code); }).ToList());
                if (modifier is null || ResourceTypes.IsWritable(modifier) || parameter.Targets.Contains(modifier))
                    return new ParameterCondition(parameter, values.Select(v => ParseReference(key, v, modifier)).ToList());
                break;
            case SearchParamType.Composite:
                if (modifier is null) return new AnyOfCondition(values.Select(v => ParseComposite(key, parameter, v)).ToList());
                break;
        }
        throw new SearchParameterException($"'{key}': modifier ':{modifier}' is not supported for {parameter.Type.ToString().ToLowerInvariant()} parameters");
    }

    /// <summary>
    /// _id with a token modifier, answered from the resource's own id (no index rows are kept for it): a token value
    /// names an id only without a system (<c>x</c> or <c>|x</c>), so a ValueSet's codes, which have one, name none; an
    /// id has no text, so :text matches nothing.
    /// </summary>
    private static IdCondition IdWith(string key, string modifier, IReadOnlyList<string> values, IReadOnlyDictionary<string, ValueSetExpansion>? valueSets)
    {
        if (modifier == "text") return new IdCondition([]);
        IEnumerable<SearchValue> tokens = modifier is "in" or "not-in" ? CodesIn(key, values, valueSets) : values.Select(ParseToken);
        var ids = tokens.OfType<TokenValue>().Where(t => t.System is null && t.Code is not null).Select(t => t.Code!).Distinct(StringComparer.Ordinal).ToList();
        return new IdCondition(ids, Not: modifier is "not" or "not-in");
    }

    /// <summary>One value of a composite: its parts separated by '$', each searched as its component parameter.</summary>
    private static IReadOnlyList<SearchCondition> ParseComposite(string key, SearchParameterDefinition parameter, string value)
    {
        var components = parameter.Components!;
        var parts = SplitUnescaped(value, '$');
        if (parts.Count != components.Count || parts.Any(p => p.Length == 0))
            throw new SearchParameterException($"'{key}' takes {components.Count} parts separated by '$' ({string.Join("$", components.Select(c => c.Code))}), not '{value}'");
        return components.Select((component, i) => (SearchCondition)new ParameterCondition(component, [ParseComponent(key, component, parts[i])])).ToList();
    }

    private static SearchValue ParseComponent(string key, SearchParameterDefinition component, string part) => component.Type switch
    {
        SearchParamType.Token => ParseToken(part),
        SearchParamType.Quantity => ParseQuantity(key, part),
        SearchParamType.Date => ParseDate(key, part),
        SearchParamType.Number => ParseNumber(key, part),
        SearchParamType.String => new StringValue(TextNormalizer.Normalize(Unescape(part)), StringMatch.StartsWith),
        SearchParamType.Uri => new UriValue(Unescape(part), false),
        _ => throw new SearchParameterException($"'{key}': a {component.Type.ToString().ToLowerInvariant()} part is not supported in composites"),
    };

    /// <summary>The ValueSet URLs that token :in and :not-in parameters name, to be expanded before parsing.</summary>
    public static IEnumerable<string> ValueSetUrls(IEnumerable<KeyValuePair<string, string>> parameters) =>
        parameters.Where(p => p.Key.EndsWith(":in", StringComparison.Ordinal) || p.Key.EndsWith(":not-in", StringComparison.Ordinal))
            .SelectMany(p => SplitValues(p.Value)).Where(v => v.Length > 0).Distinct(StringComparer.Ordinal);

    /// <summary>The codes of every ValueSet named; an empty list (no code can match) stands for a ValueSet without codes.</summary>
    private static List<SearchValue> CodesIn(string key, IEnumerable<string> urls, IReadOnlyDictionary<string, ValueSetExpansion>? valueSets)
    {
        var codes = new List<SearchValue>();
        foreach (var url in urls)
        {
            if (valueSets is null || !valueSets.TryGetValue(url, out var expansion))
                throw new SearchParameterException($"'{key}': ValueSet {url} is not known to this server");
            if (expansion.Problem is not null) throw new SearchParameterException($"'{key}': {expansion.Problem}");
            codes.AddRange(expansion.Codes);
        }
        return codes;
    }

    /// <summary>
    /// uri:above: the value itself and every uri above it, cut at a path separator
    /// (http://a.org/fhir/ValueSet/1 is below http://a.org/fhir/ValueSet, http://a.org/fhir and http://a.org).
    /// Each is matched exactly, with and without a trailing slash.
    /// </summary>
    private static IEnumerable<SearchValue> UriAbove(string value)
    {
        var uri = value.TrimEnd('/');
        var authority = uri.IndexOf("://", StringComparison.Ordinal) is var scheme and >= 0 ? scheme + 3 : 0;
        for (var end = uri.Length; end > authority; end = uri.LastIndexOf('/', end - 1))
        {
            var above = uri[..end];
            yield return new UriValue(above, false);
            yield return new UriValue(above + "/", false);
        }
    }

    private SearchParameterDefinition Require(string type, string code)
    {
        if (!registry.TryGet(type, code, out var parameter))
            throw new SearchParameterException($"'{code}' is not a search parameter of {type}");
        if (!parameter.IsSupported)
            throw new SearchParameterException($"'{code}' of {type} is not supported: {parameter.UnsupportedReason}");
        return parameter;
    }

    private static TokenValue ParseToken(string value)
    {
        var bar = IndexOfUnescaped(value, '|');
        if (bar < 0) return new TokenValue(null, false, Unescape(value));
        var system = Unescape(value[..bar]);
        var code = Unescape(value[(bar + 1)..]);
        return new TokenValue(system.Length == 0 ? null : system, true, code.Length == 0 ? null : code);
    }

    private static SearchValue ParseDate(string key, string value)
    {
        var (prefix, rest) = SplitPrefix(value);
        if (!DateRange.TryParse(rest, out var range)) throw new SearchParameterException($"'{key}': '{value}' is not a FHIR date (e.g. ge2015-06-01)");
        return new DateValue(prefix, range);
    }

    private static SearchValue ParseNumber(string key, string value)
    {
        var (prefix, rest) = SplitPrefix(value);
        var (number, low, high) = ParseDecimal(key, rest);
        return new NumberValue(prefix, number, low, high);
    }

    private static SearchValue ParseQuantity(string key, string value)
    {
        var (prefix, rest) = SplitPrefix(value);
        var parts = SplitUnescaped(rest, '|');
        if (parts.Count is not (1 or 3)) throw new SearchParameterException($"'{key}': '{value}' is not number or number|system|code");
        var (number, low, high) = ParseDecimal(key, parts[0]);
        string? system = parts.Count == 3 && parts[1].Length > 0 ? parts[1] : null;
        string? code = parts.Count == 3 && parts[2].Length > 0 ? parts[2] : null;
        return new QuantityValue(prefix, number, low, high, system, code);
    }

    private static SearchValue ParseReference(string key, string value, string? typeModifier)
    {
        var v = Unescape(value);
        if (v.Contains("://", StringComparison.Ordinal) || v.StartsWith("urn:", StringComparison.Ordinal))
        {
            var parts = ReferenceParts.Parse(v);
            return new ReferenceValue(parts.Type, parts.Id, v);
        }
        var slash = v.IndexOf('/');
        if (slash < 0)
        {
            if (!FhirId.IsValid(v)) throw new SearchParameterException($"'{key}': '{value}' is not a resource id");
            return new ReferenceValue(typeModifier, v, null);
        }
        var p = ReferenceParts.Parse(v);
        if (p.Type is null || (typeModifier is not null && typeModifier != p.Type)) throw new SearchParameterException($"'{key}': '{value}' is not Type/id");
        return new ReferenceValue(p.Type, p.Id, null);
    }

    private IEnumerable<SearchSort> ParseSort(string type, string value)
    {
        foreach (var raw in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var descending = raw.StartsWith('-');
            var code = descending ? raw[1..] : raw;
            if (code == "_id")
            {
                yield return new SearchSort(null, descending);
                continue;
            }
            var parameter = Require(type, code);
            if (parameter.Type == SearchParamType.Composite) throw new SearchParameterException($"_sort: '{code}' is a composite parameter and cannot be sorted on");
            yield return new SearchSort(parameter, descending);
        }
    }

    private IncludeSpec ParseInclude(string type, string key, string value)
    {
        var reverse = key.StartsWith("_revinclude", StringComparison.Ordinal);
        var iterate = key.EndsWith(":iterate", StringComparison.Ordinal);
        var parts = value.Split(':');
        if (parts.Length is < 2 or > 3) throw new SearchParameterException($"{key} '{value}' is not Type:parameter[:TargetType]");
        var source = parts[0];
        if (!ResourceTypes.IsWritable(source)) throw new SearchParameterException($"{key}: {source} is not a type this server searches");
        if (!reverse && !iterate && source != type) throw new SearchParameterException($"{key} '{value}' must start with {type}");
        var parameter = Require(source, parts[1]);
        if (parameter.Type != SearchParamType.Reference) throw new SearchParameterException($"{key}: {source}.{parts[1]} is not a reference parameter");
        var target = parts.Length == 3 ? parts[2] : null;
        if (target is not null && !ResourceTypes.IsWritable(target)) throw new SearchParameterException($"{key}: {target} is not a type this server searches");
        return new IncludeSpec(source, parameter, target, iterate, reverse);
    }

    private static (SearchPrefix, string) SplitPrefix(string value) =>
        value.Length > 2 && Prefixes.TryGetValue(value[..2], out var prefix) && !char.IsLetter(value[2]) ? (prefix, value[2..]) : (SearchPrefix.Eq, value);

    private static (decimal Value, decimal Low, decimal High) ParseDecimal(string key, string text)
    {
        if (!decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            throw new SearchParameterException($"'{key}': '{text}' is not a number");
        // The precision written is the precision meant: 100 covers [99.5, 100.5), 100.0 covers [99.95, 100.05).
        var half = 0.5m / (decimal)Math.Pow(10, number.Scale);
        return (number, number - half, number + half);
    }

    /// <summary>Splits a parameter value on commas that are not escaped with a backslash.</summary>
    public static List<string> SplitValues(string value) => SplitUnescaped(value, ',').Select(v => v.Trim()).ToList();

    private static List<string> SplitUnescaped(string value, char separator)
    {
        var parts = new List<string>();
        var start = 0;
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\') { i++; continue; }
            if (value[i] == separator)
            {
                parts.Add(value[start..i]);
                start = i + 1;
            }
        }
        parts.Add(value[start..]);
        return separator == ',' ? parts : parts.Select(Unescape).ToList();
    }

    private static int IndexOfUnescaped(string value, char ch)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\') { i++; continue; }
            if (value[i] == ch) return i;
        }
        return -1;
    }

    private static string Unescape(string value) =>
        value.Contains('\\') ? value.Replace("\\,", ",").Replace("\\|", "|").Replace("\\$", "$").Replace("\\\\", "\\") : value;
}

/// <summary>A search parameter the server cannot use as given; fatal only under handling=strict.</summary>
public sealed class SearchParameterException(string message) : Exception(message);
