using FhirMbb.Core.Conformance;
using FhirMbb.Core.Evaluation;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Tests.Evaluation;

/// <summary>The engine against the real terminology files, not the small maps of the scenario tests.</summary>
public sealed class PublishedTerminologyTests
{
    private static readonly ConformanceCatalog Catalog = ConformanceCatalog.Load(ConformanceDirectories.BesideApplication());

    [Fact]
    public void Every_reason_code_the_engine_can_give_is_defined_in_the_mbb_code_system()
    {
        var mbb = Catalog.FindByCanonical<CodeSystem>(Canonicals.CodeSystems.Mbb)!;
        var defined = Flatten(mbb.Concept).ToHashSet();
        var emitted = typeof(ReasonCodes).GetFields().Select(f => (string)f.GetValue(null)!).ToList();

        Assert.NotEmpty(emitted);
        Assert.All(emitted, code => Assert.Contains(code, defined));
        Assert.Contains(BlockOutcomeObservation.PeakReliefComponentCode, defined);
    }

    [Theory]
    [InlineData("L4-L5", new[] { "L3-MB", "L4-MB" })]
    [InlineData("L5-S1", new[] { "L4-MB", "L5-DR" })]
    [InlineData("C2-C3", new[] { "C3-TON" })]
    [InlineData("C4-C5", new[] { "C4-MB", "C5-MB" })]
    [InlineData("C7-T1", new[] { "C7-MB", "C8-MB" })]
    public void The_published_concept_map_gives_the_nerves_of_each_joint(string joint, string[] nerves)
    {
        var map = NerveMap.FromConceptMap(Catalog.FindByCanonical<ConceptMap>(Canonicals.ConceptMaps.FacetJointToMedialBranch)!);
        Assert.Equal(nerves.Order(), map.NervesOf(joint).Order());
    }

    [Theory]
    [InlineData("M54.16", true)]
    [InlineData("C79.51", true)]
    [InlineData("M47.816", false)]
    public void The_published_exclusion_value_set_decides_exclusions(string icd10, bool excluded)
    {
        var codes = ExclusionDiagnosisCodes.FromValueSet(Catalog.FindByCanonical<ValueSet>(Canonicals.ValueSets.ExclusionDiagnoses)!);
        Assert.Equal(excluded, codes.Contains(new CodedValue(Canonicals.CodeSystems.Icd10Cm, icd10)));
    }

    private static IEnumerable<string> Flatten(IEnumerable<CodeSystem.ConceptDefinitionComponent> concepts) =>
        concepts.SelectMany(c => Flatten(c.Concept).Prepend(c.Code));
}
