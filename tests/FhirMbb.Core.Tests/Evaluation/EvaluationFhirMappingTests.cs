using FhirMbb.Core;
using FhirMbb.Core.Evaluation;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirMbb.Core.Tests.Evaluation;

public sealed class EvaluationFhirMappingTests
{
    private static T Top<T>(Parameters parameters, string name) where T : DataType =>
        Assert.IsType<T>(Assert.Single(parameters.Get(name)).Value);

    private static T Part<T>(Parameters.ParameterComponent parameter, string name) where T : DataType =>
        Assert.IsType<T>(Assert.Single(parameter.Part, p => p.Name == name).Value);

    private static readonly DateTimeOffset EvaluatedAt = new(2026, 3, 3, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Eligible_result_maps_to_the_contract_parameters()
    {
        var answer = BlockScenario.SingleBlock(2, o => o.Joints = ["L5-S1"]).Evaluate();

        var parameters = answer.ToParameters(new ResourceReference("Observation/outcome-1"));

        Assert.Equal("eligible", Top<Code>(parameters, "outcome").Value);
        Assert.True(Top<FhirBoolean>(parameters, "eligible").Value);
        Assert.Equal("single-block-50", Top<Code>(parameters, "policy").Value);

        var reason = Assert.Single(parameters.Get("reason"));
        var code = Assert.IsType<Coding>(reason.Part.Single(p => p.Name == "code").Value);
        Assert.Equal((Canonicals.CodeSystems.Mbb, ReasonCodes.CriteriaMet), (code.System, code.Code));
        Assert.Equal("information", Part<Code>(reason, "severity").Value);
        Assert.False(string.IsNullOrEmpty(Part<FhirString>(reason, "message").Value));

        var block = Assert.Single(parameters.Get("block"));
        Assert.Equal("Procedure/block-1", Part<ResourceReference>(block, "procedure").Reference);
        Assert.Equal(Clinic.Lidocaine, Part<CodeableConcept>(block, "anesthetic").Coding[0].Code);
        Assert.Equal(8, Part<Integer>(block, "baselineScore").Value);
        Assert.Equal(2, Part<Integer>(block, "bestScore").Value);
        Assert.Equal(75m, Part<FhirDecimal>(block, "peakReliefPercent").Value);
        Assert.Equal(1m, Part<FhirDecimal>(block, "reliefDurationHours").Value);
        Assert.True(Part<FhirBoolean>(block, "positive").Value);

        Assert.Equal(["L4-MB", "L5-DR"], parameters.Get("rfaTarget").Select(t => Assert.IsType<CodeableConcept>(t.Value).Coding[0].Code));
        Assert.Equal("Observation/outcome-1", Top<ResourceReference>(parameters, "outcomeObservation").Reference);
    }

    [Fact]
    public void Not_eligible_result_lists_error_reasons_with_their_procedure_and_no_targets()
    {
        var parameters = BlockScenario.SingleBlock(2, o => o.Contrast = "intravascular-not-resolved")
            .WithPainDistribution("radicular").Evaluate().ToParameters();

        Assert.Equal("not-eligible", Top<Code>(parameters, "outcome").Value);
        Assert.False(Top<FhirBoolean>(parameters, "eligible").Value);
        var reasons = parameters.Get("reason").ToList();
        Assert.Equal(2, reasons.Count);
        var intravascular = reasons.Single(r => Part<Coding>(r, "code").Code == ReasonCodes.IntravascularUptakeUnresolved);
        Assert.Equal("error", Part<Code>(intravascular, "severity").Value);
        Assert.Equal("Procedure/block-1", Part<ResourceReference>(intravascular, "procedure").Reference);
        Assert.Empty(parameters.Get("rfaTarget"));
        Assert.Empty(parameters.Get("outcomeObservation"));
    }

    [Fact]
    public void Outcome_observation_has_the_mbb_block_outcome_shape()
    {
        var result = BlockScenario.SingleBlock(4).Evaluate().Result;

        var observation = BlockOutcomeObservation.Build(result, EvaluatedAt);

        Assert.Equal([Canonicals.Profiles.MbbBlockOutcome], observation.Meta?.Profile);
        Assert.Equal(ObservationStatus.Final, observation.Status);
        Assert.Equal((Canonicals.CodeSystems.Mbb, "block-outcome"), (observation.Code.Coding[0].System, observation.Code.Coding[0].Code));
        Assert.Equal("Patient/" + BlockScenario.PatientId, observation.Subject?.Reference);
        var value = Assert.IsType<CodeableConcept>(observation.Value);
        Assert.Equal((Canonicals.CodeSystems.Mbb, "eligible"), (value.Coding[0].System, value.Coding[0].Code));
        Assert.Equal(["Procedure/block-1"], observation.Focus.Select(f => f.Reference));
        Assert.Equal(["Observation/score-1", "Observation/score-2"], observation.DerivedFrom.Select(d => d.Reference));
        Assert.Equal(EvaluatedAt, observation.Issued);

        var peak = observation.Component.Single(c => c.Code.Coding[0].Code == "peak-relief-percent");
        var quantity = Assert.IsType<Quantity>(peak.Value);
        Assert.Equal((50m, Canonicals.CodeSystems.Ucum, "%"), (quantity.Value, quantity.System, quantity.Code));
        Assert.Contains(observation.Component, c => c.Code.Coding[0].Code == ReasonCodes.CriteriaMet && c.Code.Coding[0].System == Canonicals.CodeSystems.Mbb);
    }

    [Fact]
    public void Outcome_observation_has_one_component_per_reason_code()
    {
        var result = BlockScenario.SingleBlock(2).WithPainDistribution("radicular").WithOnset(Clinic.Monday.AddMonths(-1)).Evaluate().Result;

        var observation = BlockOutcomeObservation.Build(result, EvaluatedAt);

        var reasonCodes = observation.Component.Select(c => c.Code.Coding[0].Code).Where(c => c != "peak-relief-percent").ToList();
        Assert.Equal(result.ReasonCodeList.Order(), reasonCodes.Order());
        Assert.Contains(ReasonCodes.PainNotAxial, reasonCodes);
        Assert.Equal("not-eligible", Assert.IsType<CodeableConcept>(observation.Value).Coding[0].Code);
    }

    [Fact]
    public void Outcome_observation_serializes_as_fhir_json()
    {
        var observation = BlockScenario.DualBlock().Evaluate("dual-block-80").OutcomeObservation;

        var json = new FhirJsonSerializer().SerializeToString(observation);
        var back = new FhirJsonDeserializer().Deserialize<Observation>(json);

        Assert.Equal(observation.Id, back.Id);
        Assert.Equal(2, back.Focus.Count);
        Assert.Contains("\"peak-relief-percent\"", json);
    }

    [Fact]
    public void Re_evaluating_the_same_block_under_the_same_policy_gives_the_same_key()
    {
        var first = BlockScenario.SingleBlock(2).Evaluate().OutcomeObservation;
        var again = BlockScenario.SingleBlock(7).Evaluate().OutcomeObservation;
        var otherPolicy = BlockScenario.SingleBlock(2).Evaluate("dual-block-80").OutcomeObservation;

        Assert.Equal(first.Id, again.Id);
        Assert.Equal(first.Identifier.Single().Value, again.Identifier.Single().Value);
        Assert.Equal(Canonicals.Identifiers.EvaluationKey, first.Identifier.Single().System);
        Assert.NotEqual(first.Id, otherPolicy.Id);
        Assert.Matches("^[A-Za-z0-9\\-\\.]{1,64}$", first.Id);
    }
}
