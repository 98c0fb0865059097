using FhirMbb.Api.Tests.Infrastructure;

namespace FhirMbb.Api.Tests;

/// <summary>A broken published file stops start-up, naming the file, instead of failing requests later.</summary>
public sealed class ConformanceStartupTests
{
    private sealed class BrokenContentFactory(string baseDirectory) : FhirApiFactory
    {
        protected override IEnumerable<KeyValuePair<string, string>> Settings => [new("Conformance:BaseDirectory", baseDirectory)];
    }

    [Fact]
    public void A_broken_conformance_file_stops_start_up_and_names_the_file()
    {
        var copy = Path.Combine(Path.GetTempPath(), "fhirmbb-broken-" + Guid.NewGuid().ToString("N"));
        foreach (var folder in new[] { "profiles", "terminology" })
        {
            var source = Path.Combine(AppContext.BaseDirectory, "conformance", folder);
            foreach (var file in Directory.GetFiles(source, "*.json", SearchOption.AllDirectories))
            {
                var target = Path.Combine(copy, "conformance", folder, Path.GetRelativePath(source, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }
        }
        File.WriteAllText(Path.Combine(copy, "conformance", "terminology", "ValueSet-broken.json"), """{"resourceType":"ValueSet","status":""");
        try
        {
            using var factory = new BrokenContentFactory(copy);
            var failure = Assert.ThrowsAny<Exception>(() => factory.CreateClient());
            var messages = string.Join(" | ", Chain(failure).Select(e => e.Message));
            Assert.Contains("ValueSet-broken.json", messages);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? current = e; current is not null; current = current.InnerException) yield return current;
    }
}
