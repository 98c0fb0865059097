using System.Collections;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;
using Hl7.FhirPath;
using Hl7.FhirPath.Expressions;

namespace FhirMbb.Core.Search;

/// <summary>
/// A search parameter's expression, restricted to one resource type and made cheap to evaluate: simple
/// paths (Observation.code, (Observation.value as Quantity), Observation.subject.where(resolve() is Patient),
/// X.extension('url').value) walk the POCO directly; anything else runs through FHIRPath compiled once.
/// </summary>
public sealed class ElementPath
{
    private static readonly FhirPathCompiler Compiler = new(new SymbolTable().AddStandardFP().AddFhirExtensions());

    // Arrays, so that the indexer's loops over them allocate no enumerator.
    private readonly Step[][] _fast;
    private readonly CompiledExpression[] _compiled;

    private ElementPath(IEnumerable<Step[]> fast, IEnumerable<CompiledExpression> compiled)
    {
        _fast = fast.ToArray();
        _compiled = compiled.ToArray();
    }

    /// <summary>How many branches walk the POCO directly and how many need FHIRPath (for tests and reports).</summary>
    public (int Fast, int Compiled) Shape => (_fast.Length, _compiled.Length);

    /// <summary>Builds the path for one type; null with a reason when the expression cannot be indexed.</summary>
    public static ElementPath? Create(string resourceType, string expression, out string? unsupportedReason)
    {
        unsupportedReason = null;
        var fast = new List<Step[]>();
        var compiled = new List<CompiledExpression>();
        foreach (var branch in BranchesFor(resourceType, expression))
        {
            var steps = TryParseSimple(branch);
            if (steps is not null)
            {
                fast.Add(steps);
                continue;
            }
            if (branch.Contains("resolve()", StringComparison.Ordinal))
            {
                unsupportedReason = $"'{branch}' needs resolve() beyond a type filter";
                return null;
            }
            try
            {
                compiled.Add(Compiler.Compile(branch));
            }
            catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException or NotSupportedException)
            {
                unsupportedReason = $"'{branch}' is not a FHIRPath expression this server can evaluate: {e.Message}";
                return null;
            }
        }
        if (fast.Count == 0 && compiled.Count == 0)
        {
            unsupportedReason = $"the expression has no branch for {resourceType}";
            return null;
        }
        return new ElementPath(fast, compiled);
    }

    /// <summary>The branches of an expression (split on top-level <c>|</c>, trimmed) that apply to one resource type: what <see cref="Create"/> evaluates.</summary>
    internal static List<string> BranchesFor(string resourceType, string expression)
    {
        var branches = new List<string>();
        foreach (var raw in SplitTopLevel(expression, '|'))
        {
            var branch = raw.Trim();
            var root = RootOf(branch);
            if (root is not null && (root == resourceType || root == "Resource" || root == "DomainResource")) branches.Add(branch);
        }
        return branches;
    }

    /// <summary>
    /// True when a simple branch can only select Reference elements (by the model's element types), so a
    /// where(resolve() is T) on it keeps exactly the rows whose stored target type is T; canonicals and
    /// uris, whose rows also carry a type, are never filtered that way.
    /// </summary>
    internal static bool SelectsOnlyReferences(string resourceType, string branch)
    {
        var steps = TryParseSimple(branch);
        var type = ClrTypeOf(resourceType);
        if (steps is null || type is null) return false;
        foreach (var step in steps)
        {
            switch (step)
            {
                case MemberStep member:
                    var property = ModelInfo.ModelInspector.FindOrImportClassMapping(type)?.FindMappedElementByName(member.Name);
                    if (property is null) return false;
                    type = property.ImplementingType;
                    break;
                case TypeStep typeStep:
                    type = typeStep.ClrType;
                    break;
                case ExtensionStep:
                    type = typeof(Extension);
                    break;
                case ReferenceTypeStep:
                    break;
            }
        }
        return typeof(ResourceReference).IsAssignableFrom(type);
    }

    public IEnumerable<Base> Select(Resource resource)
    {
        var found = new List<Base>();
        SelectInto(resource, found);
        return found;
    }

    /// <summary>Adds the selected elements to <paramref name="found"/>: the indexer's path, without an iterator per step.</summary>
    public void SelectInto(Resource resource, List<Base> found)
    {
        foreach (var steps in _fast) Walk(resource, steps, 0, found);
        if (_compiled.Length == 0) return;
        var node = resource.ToPocoNode(ModelInfo.ModelInspector, null);
        var context = new FhirEvaluationContext();
        foreach (var expression in _compiled)
            foreach (var result in expression([node], context))
                if (result.Poco is { } poco) found.Add(poco);
    }

    private static void Walk(Base current, Step[] steps, int index, List<Base> found)
    {
        if (index == steps.Length)
        {
            found.Add(current);
            return;
        }
        switch (steps[index])
        {
            case MemberStep member:
                if (!current.TryGetValue(member.Name, out var child) || child is null) return;
                if (child is Base single)
                {
                    Walk(single, steps, index + 1, found);
                }
                else if (child is IEnumerable list)
                {
                    foreach (var item in list)
                        if (item is Base b) Walk(b, steps, index + 1, found);
                }
                break;
            case TypeStep type:
                if (type.ClrType.IsInstanceOfType(current)) Walk(current, steps, index + 1, found);
                break;
            case ReferenceTypeStep refType:
                if (current is ResourceReference { Reference: { } reference } && ReferenceParts.Parse(reference).Type == refType.TypeName)
                    Walk(current, steps, index + 1, found);
                break;
            case ExtensionStep ext:
                if (current is IExtendable extendable)
                    foreach (var e in extendable.Extension)
                        if (e.Url == ext.Url) Walk(e, steps, index + 1, found);
                break;
        }
    }

    private abstract record Step;
    private sealed record MemberStep(string Name) : Step;
    private sealed record TypeStep(Type ClrType) : Step;
    private sealed record ReferenceTypeStep(string TypeName) : Step;
    private sealed record ExtensionStep(string Url) : Step;

    private static string? RootOf(string branch)
    {
        var text = branch.TrimStart('(').TrimStart();
        var end = 0;
        while (end < text.Length && char.IsLetter(text[end])) end++;
        return end == 0 ? null : text[..end];
    }

    /// <summary>Parses "(A.b.c as T)", "A.b.as(T)", "A.b.where(resolve() is T)", "A.extension('u').value"; null for anything else.</summary>
    private static Step[]? TryParseSimple(string branch)
    {
        var text = branch.Trim();
        var steps = new List<Step>();
        if (text.StartsWith('('))
        {
            // "(A.b as T)" optionally followed by ".c": the group is a path with a type filter.
            var close = MatchingParen(text);
            if (close < 0) return null;
            var inner = text[1..close].Trim();
            var rest = text[(close + 1)..].Trim();
            var asAt = inner.LastIndexOf(" as ", StringComparison.Ordinal);
            if (asAt < 0 || (rest.Length > 0 && rest[0] != '.')) return null;
            var innerSteps = TryParseSimple(inner[..asAt].Trim());
            var clr = ClrTypeOf(inner[(asAt + 4)..].Trim());
            if (innerSteps is null || clr is null) return null;
            steps.AddRange(innerSteps);
            steps.Add(new TypeStep(clr));
            if (rest.Length == 0) return steps.ToArray();
            text = "X" + rest; // a placeholder root, so the loop below skips it like a type name
        }
        var parts = SplitTopLevel(text, '.');
        for (var i = 1; i < parts.Count; i++) // parts[0] is the resource type
        {
            var part = parts[i].Trim();
            if (IsIdentifier(part))
            {
                steps.Add(new MemberStep(part));
                continue;
            }
            var typeName = Call(part, "as") ?? Call(part, "ofType");
            if (typeName is not null)
            {
                var clr = ClrTypeOf(typeName);
                if (clr is null) return null;
                steps.Add(new TypeStep(clr));
                continue;
            }
            var condition = Call(part, "where")?.Replace(" ", "");
            if (condition is not null && condition.StartsWith("resolve()is", StringComparison.Ordinal) && IsIdentifier(condition["resolve()is".Length..]))
            {
                steps.Add(new ReferenceTypeStep(condition["resolve()is".Length..]));
                continue;
            }
            // extension.where(url = 'u') is how profiles/ writes extension paths: same as extension('u').
            var urlFilter = Call(part, "where")?.Replace(" ", "");
            if (urlFilter is { Length: > 6 } && urlFilter.StartsWith("url='", StringComparison.Ordinal) && urlFilter[^1] == '\''
                && steps.Count > 0 && steps[^1] is MemberStep { Name: "extension" })
            {
                steps[^1] = new ExtensionStep(urlFilter[5..^1]);
                continue;
            }
            var url = Call(part, "extension");
            if (url is { Length: > 2 } && url[0] == '\'' && url[^1] == '\'')
            {
                steps.Add(new ExtensionStep(url[1..^1]));
                continue;
            }
            return null;
        }
        return steps.ToArray();
    }

    private static int MatchingParen(string text)
    {
        var depth = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '(') depth++;
            else if (text[i] == ')' && --depth == 0) return i;
        }
        return -1;
    }

    private static string? Call(string part, string function)
    {
        if (!part.StartsWith(function + "(", StringComparison.Ordinal) || !part.EndsWith(')')) return null;
        return part[(function.Length + 1)..^1].Trim();
    }

    private static Type? ClrTypeOf(string fhirType) => ModelInfo.GetTypeForFhirType(fhirType);

    private static bool IsIdentifier(string s) => s.Length > 0 && char.IsLetter(s[0]) && s.All(char.IsLetterOrDigit);

    /// <summary>Splits on a separator outside parentheses and quotes.</summary>
    internal static List<string> SplitTopLevel(string text, char separator)
    {
        var parts = new List<string>();
        int depth = 0, start = 0;
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var ch = text[i];
            if (ch == '\'') quoted = !quoted;
            else if (quoted) continue;
            else if (ch == '(') depth++;
            else if (ch == ')') depth--;
            else if (ch == separator && depth == 0)
            {
                parts.Add(text[start..i]);
                start = i + 1;
            }
        }
        parts.Add(text[start..]);
        return parts;
    }
}
