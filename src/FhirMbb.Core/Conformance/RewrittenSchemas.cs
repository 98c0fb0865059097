using System.Collections.Concurrent;
using Firely.Fhir.Validation;
using Hl7.Fhir.Model;
using Hl7.Fhir.ElementModel;
using Hl7.FhirPath;
using Newtonsoft.Json.Linq;
using Canonical = Firely.Fhir.Validation.Canonical;

#pragma warning disable ExperimentalApi // schema rewriting and the validator's building blocks are marked experimental

namespace FhirMbb.Core.Conformance;

/// <summary>
/// Serves the validator's compiled schemas rewritten for repeated validation under load; what they accept and refuse
/// does not change. Three things the Firely validator redoes per validation are done once instead (profiled on a
/// validated create under concurrent load):
/// <list type="bullet">
/// <item>a binding check calls the (async) terminology service through Task.Run and blocks on it: a thread-pool hop
/// per coded element, whose spinning and context switches cost ~20% of the create's thread-pool time. Each binding is
/// wrapped in a <see cref="RememberedBinding"/>;</item>
/// <item>each validation parses the FHIRPath of every slice discriminator again (~6%, in a cache that lives for one
/// validation). Discriminators get a <see cref="SharedPathSelector"/>, compiled once per process.</item>
/// <item>each write validates again the values every write brings (the profile, the codes, an extension): a resource's
/// root children remember the values they passed (<see cref="PassedValues"/>, for checks that are
/// <see cref="ContextFree"/>). Schemas and slices that may look beyond their element mark <see cref="OutsideLooks"/>
/// when they are used, so a value whose check looked outside is not remembered.</item>
/// </list>
/// </summary>
internal sealed class RewrittenSchemas(IElementSchemaResolver compiled, FhirPathCompiler compiler) : IElementSchemaResolver
{
    private readonly ConcurrentDictionary<Canonical, (ElementSchema? Schema, bool ContextFree)> _schemas = new();
    private readonly SharedPaths _discriminators = new(compiler);

    /// <summary>
    /// The rewritten schema. The validator fetches a datatype's or an extension's schema here each time it validates
    /// against one, so a schema that may look beyond its element marks <see cref="OutsideLooks"/> as it is handed out.
    /// </summary>
    public ElementSchema? GetSchema(Canonical schemaUri)
    {
        var (schema, contextFree) = _schemas.GetOrAdd(schemaUri, uri =>
            compiled.GetSchema(uri) is { } found && Rewrite(found) is ElementSchema rewritten ? (rewritten, ContextFree.Holds(rewritten)) : (null, true));
        if (!contextFree) OutsideLooks.Mark();
        return schema;
    }

    private IAssertion Rewrite(IAssertion assertion) => assertion switch
    {
        // A resource's own children, as the root of a validation, remember the values they have passed.
        ResourceSchema resource => ((IAssertionContainer)resource).WithChildren((_, child) =>
            child is ChildrenValidator children && children.GetType() == typeof(ChildrenValidator) ? RewriteChildren(children, rememberPassed: true) : Rewrite(child)),
        BindingValidator binding => new RememberedBinding(binding),
        FhirPathValidator invariant when invariant is not NativeInvariant => (IAssertion?)NativeInvariant.For(invariant) ?? invariant,
        CardinalityValidator cardinality when cardinality.GetType() == typeof(CardinalityValidator) => new CountedCardinality(cardinality),
        ChildrenValidator children when children.GetType() == typeof(ChildrenValidator) => RewriteChildren(children, rememberPassed: false),
        SliceValidator slicing => WithSharedDiscriminators((SliceValidator)((IAssertionContainer)slicing).WithChildren((_, child) => Rewrite(child))),
        ElementSchema schema when schema.GetType() == typeof(ElementSchema) && FirelyInternals.Instance is { } internals =>
            LoopedSchema.Over((ElementSchema)((IAssertionContainer)schema).WithChildren((_, child) => Rewrite(child)), internals),
        IAssertionContainer container => container.WithChildren((_, child) => Rewrite(child)),
        _ => assertion,
    };

    private ChildrenValidator RewriteChildren(ChildrenValidator children, bool rememberPassed) =>
        DirectChildren.Over((ChildrenValidator)((IAssertionContainer)children).WithChildren((_, child) => Rewrite(child)), rememberPassed);

    /// <summary>
    /// The same slicing with every discriminator's path selector shared (rewriting skips discriminators, so they are
    /// rebuilt here), and each slice whose check may look beyond its element marking <see cref="OutsideLooks"/> when it
    /// runs: a type slice for Reference then marks only when a reference is validated.
    /// </summary>
    private SliceValidator WithSharedDiscriminators(SliceValidator slicing) =>
        new(slicing.Ordered, slicing.DefaultAtEnd, slicing.Default,
            slicing.Slices.Select(s => new SliceValidator.SliceCase(s.Name, RewriteDiscriminator(s.Condition),
                ContextFree.Holds(s.Assertion) ? s.Assertion : new MarksOutside(s.Assertion), s.Required)),
            slicing.MultiCase);

    private IAssertion RewriteDiscriminator(IAssertion condition) => condition switch
    {
        PathSelectorValidator selector => new SharedPathSelector(selector.Path, selector.Other, _discriminators),
        IAssertionContainer container => container.WithChildren((_, child) => RewriteDiscriminator(child)),
        _ => condition,
    };
}

/// <summary>
/// A slice discriminator: the nodes its FHIRPath selects, held to its assertion, as Firely's PathSelectorValidator
/// does, with the compiled path shared by every validation.
/// </summary>
internal sealed class SharedPathSelector(string path, IAssertion other, SharedPaths paths) : IValidatable
{
    public string Path => path;

    public IAssertion Other => other;

    public ResultReport Validate(PocoNode input, ValidationSettings vc, ValidationState state)
    {
        var selected = paths.Compiled(path)(input, new EvaluationContext()).ToList();
        if (other is IGroupValidatable group) return group.Validate(selected, vc, state);
        return selected.Count switch
        {
            0 => new ResultReport(ValidationResult.Failure, new TraceAssertion(input.GetLocation(), $"The FhirPath selector {path} did not return any results.")),
            1 => other is IValidatable one ? one.Validate(selected[0], vc, state) : ResultReport.SUCCESS,
            _ => new ResultReport(ValidationResult.Failure, new TraceAssertion(input.GetLocation(), $"The FhirPath selector {path} returned too many ({selected.Count}) results.")),
        };
    }

    public JToken ToJson() => new PathSelectorValidator(path, other).ToJson();
}

/// <summary>An assertion run as it is, after marking <see cref="OutsideLooks"/>: it may look beyond its element.</summary>
internal sealed class MarksOutside(IAssertion inner) : IValidatable, IGroupValidatable
{
    public ResultReport Validate(PocoNode input, ValidationSettings vc, ValidationState state)
    {
        OutsideLooks.Mark();
        return inner is IValidatable one ? one.Validate(input, vc, state) : DirectChildren.ValidateMany(inner, [input], vc, state);
    }

    public ResultReport Validate(IEnumerable<PocoNode> input, ValidationSettings vc, ValidationState state)
    {
        OutsideLooks.Mark();
        return DirectChildren.ValidateMany(inner, input, vc, state);
    }

    public JToken ToJson() => inner.ToJson();
}

/// <summary>Discriminator paths compiled once; a compiled FHIRPath expression is safe to evaluate from many threads.</summary>
internal sealed class SharedPaths(FhirPathCompiler compiler)
{
    private readonly ConcurrentDictionary<string, CompiledExpression> _compiled = new(StringComparer.Ordinal);

    public CompiledExpression Compiled(string path) => _compiled.GetOrAdd(path, compiler.Compile);
}

/// <summary>
/// A binding check that remembers the values it has passed without any issue; anything else (a failure, a warning,
/// a value not seen before) goes to the Firely check exactly as before, so what is rejected does not change.
/// </summary>
internal sealed class RememberedBinding(BindingValidator binding) : IValidatable
{
    // Bounded: values come from requests, so a flood of distinct codes must not grow memory without end.
    private const int MaxRemembered = 10_000;
    private readonly ConcurrentDictionary<string, bool> _passed = new(StringComparer.Ordinal);

    public ResultReport Validate(PocoNode input, ValidationSettings vc, ValidationState state)
    {
        var key = ValueKey.Of(input.Poco);
        if (key is not null && _passed.ContainsKey(key)) return ResultReport.SUCCESS;
        var result = ((IValidatable)binding).Validate(input, vc, state);
        if (key is not null && result.IsSuccessful && result.Evidence.Count == 0 && _passed.Count < MaxRemembered)
            _passed.TryAdd(key, true);
        return result;
    }

    public JToken ToJson() => ((IJsonSerializable)binding).ToJson();
}
