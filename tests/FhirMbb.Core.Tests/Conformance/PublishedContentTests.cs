using FhirMbb.Core.Conformance;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Tests.Conformance;

/// <summary>Every file under profiles/ and terminology/ parses strictly and is itself valid FHIR.</summary>
[Collection(ConformanceCollection.Name)]
public sealed class PublishedContentTests(ValidatorFixture fixture)
{
    public static TheoryData<string> PublishedFiles()
    {
        var directories = ConformanceDirectories.BesideApplication();
        var root = Path.GetDirectoryName(directories.Profiles)!;
        return new TheoryData<string>(
            ConformanceCatalog.ConformanceFiles(directories.Profiles)
                .Concat(ConformanceCatalog.ConformanceFiles(directories.Terminology))
                .Select(f => Path.GetRelativePath(root, f)));
    }

    [Theory]
    [MemberData(nameof(PublishedFiles))]
    public async Task Published_file_is_valid_against_its_core_definition(string relativePath)
    {
        var path = Path.Combine(Path.GetDirectoryName(fixture.Directories.Profiles)!, relativePath);
        var entry = ConformanceCatalog.ReadFile(path);

        var outcome = await fixture.Validator.ValidateAsync(entry.Resource);

        Assert.True(ProfileValidator.IsValid(outcome), $"{relativePath}: {ExampleTests.Describe(outcome)}");
    }

    [Theory]
    [MemberData(nameof(PublishedFiles))]
    public void File_is_named_after_its_resource_type_and_id(string relativePath)
    {
        var entry = ConformanceCatalog.ReadFile(Path.Combine(Path.GetDirectoryName(fixture.Directories.Profiles)!, relativePath));

        Assert.Equal($"{entry.ResourceType}-{entry.Id}.json", Path.GetFileName(relativePath));
        Assert.Equal($"{Canonicals.Base}/{entry.ResourceType}/{entry.Id}", entry.Url);
    }

    [Fact]
    public void Every_canonical_constant_is_published()
    {
        var constants = typeof(Canonicals).GetNestedTypes()
            .Where(t => t.Name is not (nameof(Canonicals.CodeSystems) or nameof(Canonicals.Identifiers)))
            .SelectMany(t => t.GetFields())
            .Select(f => (string)f.GetValue(null)!)
            .Concat([Canonicals.CodeSystems.Mbb, Canonicals.CodeSystems.SpinalFacetJoint, Canonicals.CodeSystems.SpinalMedialBranch]);

        Assert.All(constants, url => Assert.True(fixture.Catalog.Publishes(url), $"{url} has no file"));
    }

    [Fact]
    public void Mbb_code_system_holds_every_reason_code_of_the_contract_with_a_definition()
    {
        var mbb = fixture.Catalog.FindByCanonical<CodeSystem>(Canonicals.CodeSystems.Mbb)!;
        string[] contractCodes =
        [
            "medial-branch-block", "block-outcome", "eligible", "not-eligible", "indeterminate", "ultrasound",
            "criteria-met", "relief-below-threshold", "relief-outside-window", "no-baseline-score", "no-post-block-scores",
            "baseline-pain-too-low", "pain-duration-too-short", "conservative-care-not-documented", "pain-not-axial",
            "exclusion-diagnosis-present", "indication-missing", "intravascular-uptake-unresolved", "sedation-confounds-block",
            "guidance-not-accepted", "second-block-required", "discordant-duration", "too-many-levels",
            "incomplete-nerve-coverage", "block-not-completed",
        ];

        Assert.All(contractCodes, code => Assert.False(string.IsNullOrWhiteSpace(mbb.Concept.Single(c => c.Code == code).Definition)));
    }

    [Fact]
    public void External_codes_are_listed_one_by_one_in_value_sets()
    {
        var ours = new[] { Canonicals.CodeSystems.Mbb, Canonicals.CodeSystems.SpinalFacetJoint, Canonicals.CodeSystems.SpinalMedialBranch };
        var includes = fixture.Catalog.Resources.OfType<ValueSet>().SelectMany(v => v.Compose!.Include.Select(i => (v.Id, Include: i)));

        Assert.All(includes.Where(x => !ours.Contains(x.Include.System)), x =>
        {
            Assert.NotEmpty(x.Include.Concept);
            Assert.Empty(x.Include.Filter);
        });
    }
}

[Collection(ConformanceCollection.Name)]
public sealed class SnapshotTests(ValidatorFixture fixture)
{
    [Fact]
    public async Task Every_structure_definition_gets_a_snapshot_without_errors()
    {
        var snapshots = await fixture.Validator.SnapshotsAsync();

        Assert.Equal(fixture.Catalog.Resources.OfType<StructureDefinition>().Count(), snapshots.Count);
        Assert.All(snapshots, s =>
        {
            Assert.Empty(s.Errors);
            Assert.NotEmpty(s.Profile.Snapshot!.Element);
        });
    }

    [Theory]
    [InlineData("mbb-procedure", "Procedure.extension:laterality", 1, "1")]
    [InlineData("mbb-procedure", "Procedure.extension:targetJoint", 1, "*")]
    [InlineData("mbb-procedure", "Procedure.extension:sedation", 0, "1")]
    [InlineData("mbb-procedure", "Procedure.bodySite", 1, "*")]
    [InlineData("mbb-pain-score", "Observation.extension:assessmentPhase", 1, "1")]
    [InlineData("mbb-pain-score", "Observation.partOf", 0, "1")]
    [InlineData("mbb-axial-pain-condition", "Condition.onset[x]", 1, "1")]
    [InlineData("mbb-block-outcome", "Observation.focus", 1, "*")]
    public async Task Snapshot_carries_the_contract_cardinality(string profileId, string elementId, int min, string max)
    {
        var snapshots = await fixture.Validator.SnapshotsAsync();
        var profile = snapshots.Single(s => s.Profile.Id == profileId).Profile;

        var element = profile.Snapshot!.Element.Single(e => e.ElementId == elementId);

        Assert.Equal(min, element.Min);
        Assert.Equal(max, element.Max);
    }

    [Fact]
    public void Published_files_stay_differential_only()
    {
        Assert.All(fixture.Catalog.Resources.OfType<StructureDefinition>(), sd => Assert.Null(sd.Snapshot));
    }
}
