using Hl7.Fhir.Model;

namespace FhirMbb.Core.Conformance;

/// <summary>
/// Decides which of our profiles a resource must meet when it is created or updated. Cheap on
/// purpose (POCO checks only) because it runs on every write, including bulk Synthea loads where
/// an ordinary clinic-visit pain score (LOINC 72514-3, no MBB extension, not part of a block) must
/// pass as a plain Observation.
/// </summary>
public sealed class MbbProfileDetector
{
    private readonly ValidationMode _mode;
    private readonly HashSet<string> _ourResourceProfiles;
    private readonly HashSet<string> _ourExtensions;
    private readonly HashSet<(string System, string Code)> _blockProcedureCodes;

    /// <param name="catalog">The published content: profile urls, extension urls and the MBB procedure codes come from it.</param>
    public MbbProfileDetector(ConformanceCatalog catalog, ValidationMode mode)
    {
        _mode = mode;
        var definitions = catalog.Resources.OfType<StructureDefinition>().ToList();
        _ourResourceProfiles = definitions.Where(d => d.Kind == StructureDefinition.StructureDefinitionKind.Resource).Select(d => d.Url).OfType<string>().ToHashSet(StringComparer.Ordinal);
        _ourExtensions = definitions.Where(d => d.Type == "Extension").Select(d => d.Url).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var procedureCodes = catalog.FindByCanonical<ValueSet>(Canonicals.ValueSets.ProcedureCodes)
            ?? throw new InvalidOperationException($"The catalog has no ValueSet {Canonicals.ValueSets.ProcedureCodes}.");
        // The ValueSet lists its codes one by one, so the codes that make a Procedure an MBB stay in data.
        _blockProcedureCodes = (procedureCodes.Compose?.Include ?? [])
            .SelectMany(include => include.Concept.Select(c => (System: include.System ?? "", Code: c.Code ?? "")))
            .ToHashSet();
    }

    public ValidationMode Mode => _mode;

    /// <summary>
    /// The profiles to validate against, in a stable order; empty when none apply.
    /// </summary>
    /// <param name="isPartOfMbbProcedure">The caller (who has the store) says the Observation's partOf points to an MBB Procedure.</param>
    public IReadOnlyList<string> ProfilesFor(Resource resource, bool isPartOfMbbProcedure = false)
    {
        if (_mode == ValidationMode.Off) return [];
        var profiles = new List<string>(ClaimedProfiles(resource));
        if (_mode == ValidationMode.Mbb && EvidentProfile(resource, isPartOfMbbProcedure) is { } evident && !profiles.Contains(evident))
            profiles.Add(evident);
        return profiles;
    }

    /// <summary>Our profiles among meta.profile (a <c>url|version</c> claim counts as its url).</summary>
    public IEnumerable<string> ClaimedProfiles(Resource resource) =>
        (resource.Meta?.Profile ?? []).OfType<string>().Select(StripVersion).Where(_ourResourceProfiles.Contains).Distinct();

    /// <summary>Whether a Procedure is coded as a medial branch block (project code or CPT 64490-64495).</summary>
    public bool IsMedialBranchBlock(Procedure procedure) =>
        procedure.Code?.Coding.Any(c => c.System is not null && c.Code is not null && _blockProcedureCodes.Contains((c.System, c.Code))) == true;

    /// <summary>References to Procedures in an Observation's partOf: what the caller looks up before asking <see cref="ProfilesFor"/>.</summary>
    public static IReadOnlyList<string> PartOfProcedureReferences(Resource resource) =>
        resource is Observation observation
            ? observation.PartOf.Select(r => r.Reference).Where(r => r is not null && r.Contains("Procedure/", StringComparison.Ordinal)).Select(r => r!).ToList()
            : [];

    private string? EvidentProfile(Resource resource, bool isPartOfMbbProcedure) => resource switch
    {
        Procedure procedure when IsMedialBranchBlock(procedure) => Canonicals.Profiles.MbbProcedure,
        Observation observation when HasCoding(observation.Code, Canonicals.CodeSystems.Mbb, "block-outcome") => Canonicals.Profiles.MbbBlockOutcome,
        // partOf alone is not enough: vitals taken during a block may be partOf it too; a pain score is.
        Observation observation when CarriesOurExtension(observation)
            || (isPartOfMbbProcedure && HasCoding(observation.Code, Canonicals.CodeSystems.Loinc, Canonicals.PainScoreLoinc)) => Canonicals.Profiles.MbbPainScore,
        Condition condition when CarriesOurExtension(condition) => Canonicals.Profiles.MbbAxialPainCondition,
        _ => null,
    };

    private bool CarriesOurExtension(DomainResource resource) => resource.Extension.Any(e => e.Url is not null && _ourExtensions.Contains(e.Url));

    private static bool HasCoding(CodeableConcept? concept, string system, string code) =>
        concept?.Coding.Any(c => c.System == system && c.Code == code) == true;

    private static string StripVersion(string canonical)
    {
        var bar = canonical.IndexOf('|');
        return bar < 0 ? canonical : canonical[..bar];
    }
}
