using FhirMbb.Core.Search;
using FhirMbb.Core.Serialization;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;
using Hl7.FhirPath;
using Hl7.FhirPath.Expressions;
using FhirMbb.Testing;

namespace FhirMbb.Core.Tests.Search;

/// <summary>
/// The indexer walks most search parameter paths over the POCO instead of running FHIRPath. Over every resource
/// of the Synthea bundles, each parameter of each stored type (R4 and ours from profiles/) must select exactly
/// the elements the parameter's own FHIRPath expression selects.
/// </summary>
public sealed class ElementPathEquivalenceTests
{
    private static readonly FhirPathCompiler Compiler = new(new SymbolTable().AddStandardFP().AddFhirExtensions());

    [Fact]
    public void Every_indexed_path_selects_what_its_FHIRPath_expression_selects_on_the_Synthea_resources()
    {
        var registry = new SearchParameterRegistry(CustomParameters());
        var indexer = new SearchIndexer(registry);
        var resources = SyntheaResources();
        Assert.True(resources.Count > 10_000, $"only {resources.Count} resources read");

        var compared = 0L;
        var mismatches = new List<string>();
        var compiled = new Dictionary<string, CompiledExpression>(StringComparer.Ordinal);
        foreach (var resource in resources)
        {
            var node = resource.ToPocoNode(ModelInfo.ModelInspector, null);
            // resolve() only has to tell the reference's type: an empty resource of the type the reference names.
            var context = new FhirEvaluationContext { ElementResolver = Resolve };
            foreach (var (parameter, path) in indexer.PathsFor(resource.TypeName))
            {
                if (!compiled.TryGetValue(parameter.Expression, out var expression))
                    compiled[parameter.Expression] = expression = Compiler.Compile(parameter.Expression);
                var expected = expression([node], context).Select(n => n.Poco).ToList();
                var actual = path.Select(resource).ToList();
                compared += expected.Count;
                if (!SameElements(expected, actual) && mismatches.Count < 10)
                    mismatches.Add($"{resource.TypeName}/{resource.Id} {parameter.Code} ({parameter.Expression}): FHIRPath [{string.Join(", ", expected.Select(Key))}], indexer [{string.Join(", ", actual.Select(Key))}]");
            }
        }
        Assert.True(mismatches.Count == 0, string.Join(Environment.NewLine, mismatches));
        Assert.True(compared > 100_000, $"only {compared} selected elements compared");
    }

    private static PocoNode? Resolve(string reference)
    {
        var type = reference.Split('/') is { Length: >= 2 } parts ? parts[^2] : null;
        var clr = type is null ? null : ModelInfo.GetTypeForFhirType(type);
        return clr is null || !typeof(Resource).IsAssignableFrom(clr)
            ? null
            : ((Resource)Activator.CreateInstance(clr)!).ToPocoNode(ModelInfo.ModelInspector, null);
    }

    /// <summary>
    /// The same distinct values. FHIRPath's union (<c>|</c>) drops repeated values (a given name in both the official and
    /// the maiden name) where the walk keeps both; a search matches on any value, so only the distinct set counts.
    /// </summary>
    private static bool SameElements(List<Base?> expected, List<Base> actual) =>
        expected.Select(Key).ToHashSet(StringComparer.Ordinal).SetEquals(actual.Select(Key));

    private static string Key(Base? element) => element switch
    {
        null => "null",
        PrimitiveType primitive => $"{primitive.TypeName}:{primitive}",
        _ => $"{element.TypeName}:{FhirSerialization.Shared.ToJsonString(element)}",
    };

    internal static string RepositoryRoot() => SyntheaData.RepositoryRoot();

    internal static List<Resource> SyntheaResources() => SyntheaData.Resources();

    internal static IEnumerable<SearchParameter> CustomParameters() =>
        Directory.EnumerateFiles(Path.Combine(RepositoryRoot(), "profiles"), "*.json", SearchOption.AllDirectories)
            .Select(File.ReadAllBytes)
            .Where(bytes => System.Text.Encoding.UTF8.GetString(bytes).Contains("\"SearchParameter\"", StringComparison.Ordinal))
            .Select(bytes => FhirSerialization.Shared.ParseJson(bytes))
            .OfType<SearchParameter>()
            .ToList();
}
