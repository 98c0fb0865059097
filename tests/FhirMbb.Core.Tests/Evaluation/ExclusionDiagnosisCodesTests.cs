using FhirMbb.Core;
using FhirMbb.Core.Evaluation;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Tests.Evaluation;

public sealed class ExclusionDiagnosisCodesTests
{
    private static ExclusionDiagnosisCodes Codes()
    {
        var valueSet = new ValueSet
        {
            Url = Canonicals.ValueSets.ExclusionDiagnoses,
            Compose = new ValueSet.ComposeComponent
            {
                Include =
                [
                    new ValueSet.ConceptSetComponent
                    {
                        System = Canonicals.CodeSystems.Icd10Cm,
                        Concept = [new ValueSet.ConceptReferenceComponent { Code = "M48.062" }],
                        Filter = [new ValueSet.FilterComponent { Property = "concept", Op = FilterOperator.IsA, Value = "M54.1" }],
                    },
                ],
            },
        };
        return ExclusionDiagnosisCodes.FromValueSet(valueSet);
    }

    [Theory]
    [InlineData("M48.062", true)]
    [InlineData("M54.1", true)]
    [InlineData("M54.16", true)]
    [InlineData("M54.5", false)]
    [InlineData("M48.06", false)]
    public void Matches_enumerated_codes_and_icd10_descendants(string code, bool expected)
    {
        Assert.Equal(expected, Codes().Contains(new CodedValue(Canonicals.CodeSystems.Icd10Cm, code)));
    }

    [Fact]
    public void A_code_of_another_system_does_not_match_by_prefix()
    {
        Assert.False(Codes().Contains(new CodedValue(Canonicals.CodeSystems.Snomed, "M54.16")));
    }

    [Fact]
    public async System.Threading.Tasks.Task Drives_the_reader_and_the_engine()
    {
        var scenario = BlockScenario.SingleBlock(2)
            .WithActiveCondition("radic-1", Canonicals.CodeSystems.Icd10Cm, "M54.17", "Radiculopathy, lumbosacral region");
        var service = new EvaluateBlockService(scenario.Source(), new BlockPolicyCatalog(), new BlockEvaluator(Clinic.Nerves),
            new ClinicalFactReader(Codes().Contains));

        var result = (await service.EvaluateProcedureAsync("block-1", null)).Result;

        Assert.Contains(ReasonCodes.ExclusionDiagnosisPresent, result.ReasonCodeList);
        Assert.Equal(EvaluationOutcome.NotEligible, result.Outcome);
    }
}
