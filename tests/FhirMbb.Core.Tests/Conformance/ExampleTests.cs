using FhirMbb.Core.Conformance;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Tests.Conformance;

[Collection(ConformanceCollection.Name)]
public sealed class ExampleTests(ValidatorFixture fixture)
{
    public static TheoryData<string> ExampleFiles() => new(ExampleNames());

    private static IEnumerable<string> ExampleNames() =>
        Directory.EnumerateFiles(ConformanceDirectories.BesideApplication().Examples, "*.json").Select(f => Path.GetFileName(f)).Order();

    [Theory]
    [MemberData(nameof(ExampleFiles))]
    public async System.Threading.Tasks.Task Every_example_validates_as_its_file_name_says(string fileName)
    {
        var parsed = FhirJson.TryParseForValidation(File.ReadAllText(Path.Combine(fixture.Directories.Examples, fileName)), out var resource, out var syntaxErrors);
        Assert.True(parsed, string.Join("; ", syntaxErrors));

        var outcome = await fixture.Validator.ValidateAsync(resource!, ProfileOf(fileName));

        var expectValid = fileName.Contains("-valid", StringComparison.Ordinal);
        Assert.True(expectValid == ProfileValidator.IsValid(outcome), $"{fileName}: {Describe(outcome)}");
    }

    [Fact]
    public void Each_profile_has_a_valid_and_an_invalid_example()
    {
        var names = ExampleNames().ToList();
        foreach (var profile in new[] { "mbb-procedure", "mbb-pain-score", "mbb-axial-pain-condition", "mbb-block-outcome" })
        {
            Assert.Contains(names, n => n.StartsWith(profile + "-valid", StringComparison.Ordinal));
            Assert.Contains(names, n => n.StartsWith(profile + "-invalid", StringComparison.Ordinal));
        }
    }

    /// <summary>The example's profile is the file name up to "-valid" / "-invalid".</summary>
    private static string[] ProfileOf(string fileName)
    {
        var cut = fileName.IndexOf("-valid", StringComparison.Ordinal) is var v and >= 0 ? v : fileName.IndexOf("-invalid", StringComparison.Ordinal);
        return [$"{Canonicals.Base}/StructureDefinition/{fileName[..cut]}"];
    }

    internal static string Describe(OperationOutcome outcome) =>
        string.Join(" | ", outcome.Issue.Select(i => $"{i.Severity} {string.Join(",", i.Expression)}: {i.Details?.Text ?? i.Diagnostics}"));
}
