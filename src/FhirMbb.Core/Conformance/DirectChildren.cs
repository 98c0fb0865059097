using Expression = System.Linq.Expressions.Expression;
using System.Reflection;
using Firely.Fhir.Validation;
using Hl7.Fhir.Model;
using Canonical = Firely.Fhir.Validation.Canonical;

#pragma warning disable ExperimentalApi // the children validator and the validation state are marked experimental

namespace FhirMbb.Core.Conformance;

/// <summary>
/// The children check of an element, as Firely's <see cref="ChildrenValidator"/> does it, with two costs of its matcher
/// gone: each instance child is found by name in one pass (Firely filters the child list once per defined child), and a
/// defined child that is absent and whose assertion cannot fail on nothing (a plain element schema without slicing,
/// or a check of each value) is skipped instead of being validated against an empty list under a new validation state.
/// An unknown child goes to Firely's check, which words the issue. Issues of the children keep their order and their
/// location: the state for a child is made by Firely's own UpdateLocation/ToChild (internal to the validator, so
/// reached once, here, through compiled expressions). A child whose check may look beyond the child marks
/// <see cref="OutsideLooks"/> when it is validated, so the children check as a whole counts as context-free.
/// </summary>
internal sealed class DirectChildren : ChildrenValidator, IValidatable
{
    private readonly ChildrenValidator _firely;
    private readonly DefinedChild[] _defined;
    private readonly Dictionary<string, int> _byName;
    private readonly bool _remembering;

    private DirectChildren(ChildrenValidator firely, DefinedChild[] defined)
        : base(firely.ChildList, firely.AllowAdditionalChildren)
    {
        _firely = firely;
        _defined = defined;
        _remembering = defined.Any(d => d.Passed is not null);
        _byName = defined.Select((child, index) => (child.Name, index)).ToDictionary(c => c.Name, c => c.index, StringComparer.Ordinal);
    }

    /// <summary>The faster equivalent, or Firely's own validator where its internals are not as expected.</summary>
    /// <param name="rememberPassed">
    /// a resource's root children: each child whose check is <see cref="ContextFree"/> remembers the values it has passed
    /// (<see cref="PassedValues"/>).
    /// </param>
    public static ChildrenValidator Over(ChildrenValidator firely, bool rememberPassed = false)
    {
        if (FirelyInternals.Instance is not { } internals) return firely;
        var defined = new List<DefinedChild>();
        foreach (var (name, assertion) in firely.ChildList)
        {
            // Firely takes the single BaseType of the child's schema for the location (and throws on several: keep its check then).
            var baseTypes = assertion is ElementSchema schema ? internals.Members(schema).OfType<BaseType>().ToList() : [];
            if (baseTypes.Count > 1) return firely;
            var contextFree = ContextFree.Holds(assertion);
            defined.Add(new DefinedChild(name, assertion, PassesWhenAbsent(assertion, internals), internals.ChildLocation(name, baseTypes.SingleOrDefault()?.Type),
                !contextFree, rememberPassed && contextFree ? new PassedValues() : null));
        }
        return new DirectChildren(firely, [.. defined]);
    }

    ResultReport IValidatable.Validate(PocoNode input, ValidationSettings vc, ValidationState state)
    {
        var found = new PocoNodeOrList?[_defined.Length];
        foreach (var child in input.Children())
        {
            if (!_byName.TryGetValue(child.Name, out var index) || found[index] is not null)
            {
                OutsideLooks.Mark();
                return ((IValidatable)_firely).Validate(input, vc, state);
            }
            found[index] = child;
        }

        var reports = new List<ResultReport>(_defined.Length);
        for (var i = 0; i < _defined.Length; i++)
        {
            var defined = _defined[i];
            if (found[i] is { } present)
            {
                if (defined.LooksOutside) OutsideLooks.Mark();
                var key = _remembering ? defined.Passed?.KeyOf(input, present) : null;
                if (key is not null && defined.Passed!.Passed(key)) continue;
                var looks = OutsideLooks.Count;
                var report = ValidateMany(defined.Assertion, present, vc, defined.Located(state));
                if (key is not null && report.IsSuccessful && report.Evidence.Count == 0 && OutsideLooks.Count == looks) defined.Passed!.Remember(key);
                reports.Add(report);
            }
            else if (!defined.PassesWhenAbsent)
            {
                if (defined.LooksOutside) OutsideLooks.Mark();
                reports.Add(ValidateMany(defined.Assertion, new PocoListNode(Array.Empty<Base>(), input, defined.Name), vc, defined.Located(state)));
            }
        }
        // A skipped child would have added a bare success, which combining leaves out.
        return ResultReport.Combine(reports);
    }

    /// <summary>Firely's dispatch of an assertion over a group of nodes (AssertionValidators.ValidateMany).</summary>
    internal static ResultReport ValidateMany(IAssertion assertion, IEnumerable<PocoNode> input, ValidationSettings vc, ValidationState state)
    {
        switch (assertion)
        {
            case IGroupValidatable group:
                return group.Validate(input, vc, state);
            case IValidatable each:
                var nodes = input.ToList();
                return nodes.Count switch
                {
                    0 => ResultReport.SUCCESS,
                    1 => each.Validate(nodes[0], vc, state),
                    _ => ResultReport.Combine(nodes.Select(node => each.Validate(node, vc, state)).ToList()),
                };
            default:
                return ResultReport.SUCCESS;
        }
    }

    /// <summary>
    /// On no nodes: a plain element schema runs only its slicing (none here: success), a check of each value runs on
    /// none (success), and a non-validating assertion is a success.
    /// </summary>
    private static bool PassesWhenAbsent(IAssertion assertion, FirelyInternals internals) => assertion switch
    {
        LoopedSchema looped => !looped.HasSlicing,
        ElementSchema schema => schema.GetType() == typeof(ElementSchema) && !internals.Members(schema).OfType<SliceValidator>().Any(),
        IGroupValidatable => false,
        _ => true,
    };

    private sealed record DefinedChild(string Name, IAssertion Assertion, bool PassesWhenAbsent, Func<ValidationState, ValidationState> Located, bool LooksOutside, PassedValues? Passed);
}

/// <summary>The members of Firely.Fhir.Validation 3.x that its children check uses and does not expose.</summary>
internal sealed class FirelyInternals(PropertyInfo members, PropertyInfo id, MethodInfo updateLocation, MethodInfo toChild, Type definitionPath)
{
    private static readonly Lazy<FirelyInternals?> Found = new(Find);

    /// <summary>Null when this version of the validator does not have the expected members (then nothing is rewritten with them).</summary>
    public static FirelyInternals? Instance => Found.Value;

    private static FirelyInternals? Find()
    {
        const BindingFlags Any = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance;
        var definitionPath = typeof(ValidationState).Assembly.GetType("Firely.Fhir.Validation.DefinitionPath");
        var members = typeof(ElementSchema).GetProperty("Members", Any);
        var id = typeof(ElementSchema).GetProperty("Id", Any);
        var updateLocation = typeof(ValidationState).GetMethod("UpdateLocation", Any);
        var toChild = definitionPath?.GetMethod("ToChild", Any, [typeof(string), typeof(string)]);
        return definitionPath is null || members is null || id is null || updateLocation is null || toChild is null ? null
            : new FirelyInternals(members, id, updateLocation, toChild, definitionPath);
    }

    public IEnumerable<IAssertion> Members(ElementSchema schema) => (IEnumerable<IAssertion>)members.GetValue(schema)!;

    public Canonical? Id(ElementSchema schema) => (Canonical?)id.GetValue(schema);

    /// <summary>state => state.UpdateLocation(path => path.ToChild(name, type)), compiled once per defined child.</summary>
    public Func<ValidationState, ValidationState> ChildLocation(string name, string? type)
    {
        var path = Expression.Parameter(definitionPath, "path");
        var step = Expression.Lambda(typeof(Func<,>).MakeGenericType(definitionPath, definitionPath),
            Expression.Call(path, toChild, Expression.Constant(name), Expression.Constant(type, typeof(string))), path).Compile();
        var state = Expression.Parameter(typeof(ValidationState), "state");
        return Expression.Lambda<Func<ValidationState, ValidationState>>(
            Expression.Call(state, updateLocation, Expression.Constant(step, step.GetType())), state).Compile();
    }
}

/// <summary>
/// A plain element schema whose members run in a loop, as Firely's ElementSchema runs them (type-label shortcut members
/// first; on no nodes only the slicing), without its per-call LINQ and the filter closures of ValidationSettings.Filter:
/// the include and exclude filters are the settings' own, applied the same way.
/// </summary>
internal sealed class LoopedSchema : ElementSchema, IGroupValidatable, IValidatable
{
    private readonly IAssertion[] _members;
    private readonly IAssertion[] _shortcuts;
    private readonly IAssertion[] _slicings;

    private LoopedSchema(Canonical id, IAssertion[] members) : base(id, members)
    {
        _members = members;
        _shortcuts = members.Where(m => m is FhirTypeLabelValidator).ToArray();
        _slicings = members.Where(m => m is SliceValidator).ToArray();
    }

    public bool HasSlicing => _slicings.Length != 0;

    /// <summary>The same schema with its members looped, or the schema itself when it is not a plain ElementSchema.</summary>
    public static ElementSchema Over(ElementSchema schema, FirelyInternals internals) =>
        schema.GetType() == typeof(ElementSchema) && internals.Id(schema) is { } id
            ? new LoopedSchema(id, internals.Members(schema).ToArray())
            : schema;

    ResultReport IGroupValidatable.Validate(IEnumerable<PocoNode> input, ValidationSettings vc, ValidationState state)
    {
        var empty = input is PocoListNode list ? list.Pocos.Count == 0 : !input.Any();
        var reports = new List<ResultReport>();
        foreach (var member in empty ? _slicings : _members)
            if (Included(member, vc)) reports.Add(DirectChildren.ValidateMany(member, input, vc, state));
        return ResultReport.Combine(reports);
    }

    ResultReport IValidatable.Validate(PocoNode input, ValidationSettings vc, ValidationState state)
    {
        if (_shortcuts.Length != 0)
        {
            var shortcut = ValidateEach(_shortcuts, input, vc, state);
            if (!shortcut.IsSuccessful) return shortcut;
        }
        return ValidateEach(_members, input, vc, state);
    }

    private static ResultReport ValidateEach(IAssertion[] members, PocoNode input, ValidationSettings vc, ValidationState state)
    {
        var reports = new List<ResultReport>(members.Length);
        foreach (var member in members)
            if (Included(member, vc)) reports.Add(member is IValidatable validatable ? validatable.Validate(input, vc, state) : ResultReport.SUCCESS);
        return ResultReport.Combine(reports);
    }

    /// <summary>ValidationSettings.Filter: no include filter or one that takes it, and no exclude filter that drops it.</summary>
    private static bool Included(IAssertion member, ValidationSettings vc)
    {
        if (vc.IncludeFilters.Count != 0)
        {
            var included = false;
            foreach (var include in vc.IncludeFilters)
                if (include(member)) { included = true; break; }
            if (!included) return false;
        }
        // The settings hold a List: indexing it spares an enumerator per member and validation step.
        if (vc.ExcludeFilters is List<Predicate<IAssertion>> excludes)
        {
            for (var i = 0; i < excludes.Count; i++)
                if (excludes[i](member)) return false;
            return true;
        }
        foreach (var exclude in vc.ExcludeFilters)
            if (exclude(member)) return false;
        return true;
    }
}
