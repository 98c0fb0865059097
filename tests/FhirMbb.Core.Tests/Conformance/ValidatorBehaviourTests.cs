using FhirMbb.Testing;
using FhirMbb.Core.Conformance;
using Hl7.Fhir.Model;
using static FhirMbb.Core.Canonicals;
using static FhirMbb.Testing.MbbBuilders;

namespace FhirMbb.Core.Tests.Conformance;

[Collection(ConformanceCollection.Name)]
public sealed class ValidatorBehaviourTests(ValidatorFixture fixture)
{
    [Fact]
    public void The_shared_validator_is_warm()
    {
        Assert.True(fixture.Validator.IsWarm);
        Assert.True(fixture.Validator.WarmUpDuration > TimeSpan.Zero);
    }

    [Fact]
    public async Task Warming_again_is_free_and_keeps_the_validator_warm()
    {
        var before = fixture.Validator.WarmUpDuration;

        await Task.WhenAll(fixture.Validator.WarmUpAsync(), fixture.Validator.WarmUpAsync());

        Assert.True(fixture.Validator.IsWarm);
        Assert.Equal(before, fixture.Validator.WarmUpDuration);
    }

    [Fact]
    public void A_new_validator_is_cold_until_warmed()
    {
        Assert.False(new ProfileValidator(fixture.Catalog).IsWarm);
    }

    [Fact]
    public async Task Every_issue_has_a_fhirpath_location()
    {
        var broken = Block(p => { p.Subject = null!; RemoveExtension(p, Extensions.Laterality); p.Code = Concept(CodeSystems.Cpt, "64635"); });

        var outcome = await fixture.Validator.ValidateAsync(broken);

        Assert.True(outcome.Issue.Count(ProfileValidator.IsError) >= 3, ExampleTests.Describe(outcome));
        Assert.All(outcome.Issue, i => Assert.StartsWith("Procedure", Assert.Single(i.Expression)));
    }

    [Fact]
    public async Task Without_profiles_a_resource_is_held_to_the_profiles_it_claims()
    {
        var claimed = await fixture.Validator.ValidateAsync(PainScore(o => o.Value = new Integer(11)));
        var unclaimed = await fixture.Validator.ValidateAsync(PainScore(o => { o.Meta = null; o.Value = new Integer(11); }));

        Assert.False(ProfileValidator.IsValid(claimed));
        Assert.True(ProfileValidator.IsValid(unclaimed), ExampleTests.Describe(unclaimed));
    }

    [Fact]
    public async Task An_explicit_profile_applies_to_a_resource_that_does_not_claim_it()
    {
        var outcome = await fixture.Validator.ValidateAsync(PainScore(o => { o.Meta = null; o.Value = new Integer(11); }), [Profiles.MbbPainScore]);

        Assert.Contains(outcome.Issue, i => ProfileValidator.IsError(i) && (i.Details?.Text ?? "").Contains("mbb-ps-1"));
    }

    [Fact]
    public async Task An_unknown_profile_is_an_error_not_a_silent_pass()
    {
        var outcome = await fixture.Validator.ValidateAsync(PainScore(), [Canonicals.Base + "/StructureDefinition/no-such-profile"]);

        Assert.Contains(outcome.Issue, i => i.Code == OperationOutcome.IssueType.NotFound && ProfileValidator.IsError(i));
    }

    [Fact]
    public async Task A_foreign_claimed_profile_gives_a_warning()
    {
        var outcome = await fixture.Validator.ValidateAsync(PainScore(o => o.Meta!.Profile = ["http://example.org/StructureDefinition/other"]));

        Assert.True(ProfileValidator.IsValid(outcome), ExampleTests.Describe(outcome));
        Assert.Contains(outcome.Issue, i => i.Severity == OperationOutcome.IssueSeverity.Warning && i.Diagnostics!.Contains("example.org"));
    }

    [Fact]
    public async Task A_valid_resource_gets_one_informational_issue()
    {
        var outcome = await fixture.Validator.ValidateAsync(PainScore());

        Assert.Equal(OperationOutcome.IssueSeverity.Information, Assert.Single(outcome.Issue).Severity);
    }

    [Fact]
    public async Task Concurrent_validations_give_the_same_answers()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(() =>
            fixture.Validator.ValidateAsync(PainScore(o => o.Value = new Integer(i % 2 == 0 ? 5 : 11))))));

        for (var i = 0; i < results.Length; i++)
            Assert.Equal(i % 2 == 0, ProfileValidator.IsValid(results[i]));
    }
}
