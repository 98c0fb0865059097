using FhirMbb.Core.Evaluation;
using FhirMbb.Core.Serialization;
using FhirMbb.Testing;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Tests.Evaluation;

/// <summary>
/// Stored facts outlive the code that wrote them: a database keeps the facts of every version written. When what the
/// evaluation reads of a resource changes, facts written before would keep the old reading unless the format byte is
/// raised. These tests pin the facts of the builders' resources; when one fails because the reading changed on
/// purpose, raise that kind's Format and write the new expected value here.
/// </summary>
public sealed class FactsFormatTests
{
    private static string Facts(Resource resource) =>
        Convert.ToHexString(EvidenceFacts.Of(resource, FhirSerialization.Shared.ToJsonBytes(resource))!);

    private static string FactsText(Resource resource) =>
        System.Text.Encoding.UTF8.GetString(EvidenceFacts.Of(resource, FhirSerialization.Shared.ToJsonBytes(resource))![2..]);

    [Fact]
    public void A_pain_score_s_facts_are_those_of_format_1()
    {
        Assert.Equal(1, PainScoreFacts.Format);
        // Format 1, a score, flags time + value + block, phase baseline; 2026-03-02T09:10:00 as .NET clock ticks and
        // +60 minutes; 7 as decimal's four parts; "b1" in UTF-8. Little-endian throughout.
        Assert.Equal("01" + "01" + "07" + "01" + "0064497B3B78DE08" + "3C00" + "07000000000000000000000000000000" + "6231",
            Facts(MbbBuilders.PainScore(o => o.Id = "s1")));
    }

    [Fact]
    public void A_block_s_facts_are_those_of_format_1()
    {
        Assert.Equal(1, BlockFacts.Format);
        Assert.Equal(
            """{"Id":"b1","PatientId":"p1","Status":"completed","PerformedAt":"2026-03-02T09:30:00+01:00","TargetJoints":["L4-L5"],"Laterality":1,"Anesthetic":{"System":"http://snomed.info/sct","Code":"387480006","Display":null},"Guidance":[{"System":"http://snomed.info/sct","Code":"44491008","Display":null}],"ContrastResult":"no-intravascular-uptake","Sedation":"none","BlockNumber":1,"IndicationIds":["c1"],"NervesBlocked":["L3-MB","L4-MB"]}""",
            FactsText(MbbBuilders.Block(p => p.Id = "b1")));
    }

    [Fact]
    public void A_condition_s_facts_are_those_of_format_1()
    {
        Assert.Equal(1, ConditionFacts.Format);
        Assert.Equal(
            """{"Id":"c1","Codes":[{"System":"http://hl7.org/fhir/sid/icd-10-cm","Code":"M47.816","Display":null}],"ClinicalStatus":"active","Onset":"2025-06-15T00:00:00+00:00","PainDistribution":"axial","ConservativeCare":[{"Modality":"physical-therapy","Start":null,"End":null,"Response":"failed"}],"IsExclusionDiagnosis":false}""",
            FactsText(MbbBuilders.Indication(c => c.Id = "c1")));
    }
}
