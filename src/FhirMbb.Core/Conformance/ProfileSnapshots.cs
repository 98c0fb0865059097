using Hl7.Fhir.Model;
using Hl7.Fhir.Specification.Snapshot;
using Hl7.Fhir.Specification.Source;

namespace FhirMbb.Core.Conformance;

/// <summary>A StructureDefinition with its generated snapshot and what the generator said about it.</summary>
public sealed record GeneratedSnapshot(StructureDefinition Profile, OperationOutcome Outcome)
{
    public IEnumerable<OperationOutcome.IssueComponent> Errors => Outcome.Issue.Where(i =>
        i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal);
}

/// <summary>
/// Generates snapshots for our differential StructureDefinitions with the Firely SDK, on copies,
/// so the catalog keeps publishing the files exactly as written.
/// </summary>
public static class ProfileSnapshots
{
    /// <param name="ours">Our StructureDefinitions (differential only).</param>
    /// <param name="resolver">Resolves our resources and the core spec (base types, extensions, value sets).</param>
    public static async Task<IReadOnlyList<GeneratedSnapshot>> GenerateAsync(IEnumerable<StructureDefinition> ours, IAsyncResourceResolver resolver)
    {
        var results = new List<GeneratedSnapshot>();
        foreach (var original in ours)
        {
            var copy = (StructureDefinition)original.DeepCopy();
            // A generator per profile: its Outcome describes only the last update.
            var generator = new SnapshotGenerator(resolver, SnapshotGeneratorSettings.CreateDefault());
            await generator.UpdateAsync(copy).ConfigureAwait(false);
            results.Add(new GeneratedSnapshot(copy, generator.Outcome ?? new OperationOutcome()));
        }
        return results;
    }
}
