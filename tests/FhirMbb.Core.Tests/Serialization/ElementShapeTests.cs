using FhirMbb.Core.Serialization;
using FhirMbb.Testing;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Tests.Serialization;

/// <summary><see cref="ElementShape"/> must give what <see cref="Base.EnumerateElements"/> gives: the same names and values, in order.</summary>
public sealed class ElementShapeTests
{
    [Fact]
    public void Every_object_of_every_Synthea_resource_and_project_file_is_walked_as_EnumerateElements_walks_it()
    {
        var resources = SyntheaData.Resources().Cast<Base>()
            .Concat(SyntheaData.ProjectJsonFiles()
                .Select(f => { try { return (Base)FhirSerialization.Shared.ParseJson(File.ReadAllBytes(f)); } catch (FhirOperationException) { return null; } })
                .OfType<Base>())
            .ToList();
        var wrong = new List<string>();
        var objects = 0;
        var types = new HashSet<Type>();
        void Walk(Base node)
        {
            var expected = node.EnumerateElements().Select(e => (e.Key, e.Value)).ToList();
            foreach (var (_, value) in expected)
            {
                if (value is Base child) Walk(child);
                else if (value is System.Collections.IEnumerable list) foreach (var item in list) if (item is Base b) Walk(b);
            }
            if (node is PrimitiveType) return;
            objects++;
            types.Add(node.GetType());
            var shape = ElementShape.Of(node.GetType());
            if (shape is null)
            {
                wrong.Add($"{node.TypeName}: no shape");
                return;
            }
            var actual = shape.Elements.Select(e => (e.Name, Value: ElementShape.Present(e, node))).Where(e => e.Value is not null).ToList();
            if (actual.Count != expected.Count || actual.Zip(expected).Any(p => p.First.Name != p.Second.Key || !ReferenceEquals(p.First.Value, p.Second.Value)))
                wrong.Add($"{node.TypeName}: [{string.Join(",", actual.Select(a => a.Name))}] against [{string.Join(",", expected.Select(e => e.Key))}]");
        }
        foreach (var resource in resources) Walk(resource);
        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong.Distinct().Take(10)));
        Assert.True(objects > 90_000 && types.Count > 40, $"{objects} objects of {types.Count} types");
    }
}
