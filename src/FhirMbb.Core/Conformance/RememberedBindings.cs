using System.Collections.Concurrent;
using Firely.Fhir.Validation;
using Hl7.Fhir.Model;
using Newtonsoft.Json.Linq;
using Canonical = Firely.Fhir.Validation.Canonical;

#pragma warning disable ExperimentalApi // schema rewriting and the validator's building blocks are marked experimental

namespace FhirMbb.Core.Conformance;

/// <summary>
/// Serves the validator's compiled schemas with every terminology binding wrapped in a <see cref="RememberedBinding"/>.
/// The Firely binding check calls the (async) terminology service through Task.Run and blocks on it: a thread-pool
/// hop per coded element, which under concurrent writes cost more CPU than the check itself (profiled: spinning
/// and context switches around ~20% of a validated create's thread-pool time). A binding that has passed for a
/// value passes again for the same value, since the terminology is fixed for the life of the process.
/// </summary>
internal sealed class RememberedBindingSchemas(IElementSchemaResolver compiled) : IElementSchemaResolver
{
    private readonly ConcurrentDictionary<Canonical, ElementSchema?> _schemas = new();

    public ElementSchema? GetSchema(Canonical schemaUri) =>
        _schemas.GetOrAdd(schemaUri, uri => compiled.GetSchema(uri) is { } schema ? (ElementSchema)Rewrite(schema) : null);

    private static IAssertion Rewrite(IAssertion assertion) => assertion switch
    {
        BindingValidator binding => new RememberedBinding(binding),
        IAssertionContainer container => container.WithChildren((_, child) => Rewrite(child)),
        _ => assertion,
    };
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
        var key = KeyOf(input.Poco);
        if (key is not null && _passed.ContainsKey(key)) return ResultReport.SUCCESS;
        var result = ((IValidatable)binding).Validate(input, vc, state);
        if (key is not null && result.IsSuccessful && result.Evidence.Count == 0 && _passed.Count < MaxRemembered)
            _passed.TryAdd(key, true);
        return result;
    }

    /// <summary>The whole value as the binding check sees it (type, and every element of a complex value); null: not remembered.</summary>
    private static string? KeyOf(Base value) => value switch
    {
        PrimitiveType primitive when !primitive.Extension.Any() => $"{primitive.TypeName}:{primitive.JsonValue}",
        DataType complex and not PrimitiveType => $"{complex.TypeName}:{FhirJson.Serialize(complex)}",
        _ => null,
    };

    public JToken ToJson() => ((IJsonSerializable)binding).ToJson();
}
