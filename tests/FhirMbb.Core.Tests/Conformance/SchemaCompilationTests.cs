using FhirMbb.Core.Conformance;
using Firely.Fhir.Validation;
using Hl7.Fhir.Model;

#pragma warning disable ExperimentalApi // the schema resolver is marked experimental in Firely.Fhir.Validation

namespace FhirMbb.Core.Tests.Conformance;

/// <summary>
/// Schemas compiled from many threads at once over the process's shared core definitions, as a cold server compiles
/// them while its first requests and its warm-up validate together.
/// </summary>
public class SchemaCompilationTests
{
    private static readonly string[] Primitives =
    [
        "id", "code", "string", "markdown", "uri", "url", "canonical", "oid", "uuid", "dateTime", "date", "instant",
        "time", "integer", "positiveInt", "unsignedInt", "decimal", "boolean", "base64Binary",
    ];

    /// <summary>
    /// Firely's compiler corrects each definition it resolves in place; over one shared instance, 16 threads compiling
    /// the primitive types had 8 compilations fail over 200 rounds ("Failed to convert ElementDefinition at id ... Index
    /// was out of range", or a null reference) before the compiler was given its own copies.
    /// </summary>
    [Fact]
    public void Schemas_compiled_concurrently_over_shared_definitions_all_compile()
    {
        const int Rounds = 80, Threads = 16;
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        for (var round = 0; round < Rounds; round++)
        {
            var schemas = ProfileValidator.CompiledSchemas(CoreSpecification.Resolver);
            using var start = new Barrier(Threads);
            var threads = Enumerable.Range(0, Threads).Select(_ => new Thread(() =>
            {
                start.SignalAndWait();
                foreach (var type in Primitives)
                {
                    try
                    {
                        if (schemas.GetSchema(new Firely.Fhir.Validation.Canonical($"http://hl7.org/fhir/StructureDefinition/{type}")) is null) failures.Add($"{type}: no schema");
                    }
                    catch (Exception e)
                    {
                        failures.Add($"{type}: {e.Message}");
                    }
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
        }
        Assert.Empty(failures);
    }

    [Fact]
    public async Task Each_resolution_is_a_copy_equal_to_the_shared_definition()
    {
        const string Id = "http://hl7.org/fhir/StructureDefinition/id";
        var copies = new PrivateCopies(CoreSpecification.Resolver);
#pragma warning disable CS0618 // Firely marks the plain lookups obsolete
        var first = await copies.ResolveByCanonicalUriAsync(Id);
        var second = await copies.ResolveByCanonicalUriAsync(Id);
        var shared = await CoreSpecification.Resolver.ResolveByCanonicalUriAsync(Id);
        Assert.Null(await copies.ResolveByCanonicalUriAsync("http://example.org/StructureDefinition/none"));
#pragma warning restore CS0618
        Assert.NotNull(first);
        Assert.NotSame(first, second);
        Assert.NotSame(shared, first);
        Assert.True(first.IsExactly(shared));
    }
}
