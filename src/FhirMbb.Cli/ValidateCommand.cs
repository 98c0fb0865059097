using FhirMbb.Core.Conformance;
using Hl7.Fhir.Model;

namespace FhirMbb.Cli;

/// <summary>
/// Validates files as the server would on create: against the MBB profiles a resource claims or
/// evidently is (or the profiles given), and always the core spec; prints every issue with its location.
/// </summary>
public sealed class ValidateCommand(ConformanceCatalog catalog, ProfileValidator validator, TextWriter output)
{
    private readonly MbbProfileDetector _detector = new(catalog, ValidationMode.Mbb);

    /// <returns>0 when every file is valid, 1 otherwise.</returns>
    public async Task<int> RunAsync(IReadOnlyList<string> files, IReadOnlyList<string>? profiles = null)
    {
        var allValid = true;
        foreach (var file in files)
            allValid &= await ValidateFileAsync(file, profiles ?? []);
        return allValid ? CommandLine.Success : CommandLine.Invalid;
    }

    private async Task<bool> ValidateFileAsync(string file, IReadOnlyList<string> profiles)
    {
        if (!File.Exists(file))
        {
            await output.WriteLineAsync($"{file}: INVALID (file not found)");
            return false;
        }
        if (!FhirJson.TryParseForValidation(await File.ReadAllTextAsync(file), out var resource, out var syntaxErrors) || resource is null)
        {
            await output.WriteLineAsync($"{file}: INVALID (not a FHIR JSON resource)");
            foreach (var error in syntaxErrors) await output.WriteLineAsync($"  error  {error}");
            return false;
        }

        var applied = profiles.Count > 0 ? profiles : _detector.ProfilesFor(resource);
        var outcome = await validator.ValidateAsync(resource, applied);
        var valid = ProfileValidator.IsValid(outcome);
        var against = applied.Count > 0 ? string.Join(", ", applied) : "core " + resource.TypeName;
        await output.WriteLineAsync($"{file}: {(valid ? "valid" : "INVALID")} ({resource.TypeName}/{resource.Id}, against {against})");
        foreach (var issue in outcome.Issue.Where(i => i.Severity != OperationOutcome.IssueSeverity.Information))
            await output.WriteLineAsync($"  {Severity(issue),-7} {string.Join(",", issue.Expression)}  {issue.Details?.Text ?? issue.Diagnostics}");
        return valid;
    }

    private static string Severity(OperationOutcome.IssueComponent issue) =>
        issue.Severity is { } severity ? Hl7.Fhir.Utility.EnumUtility.GetLiteral(severity) : "issue";
}
