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
    public async Task Settling_validates_the_published_examples_until_the_jit_is_quiet_or_time_is_up()
    {
        var examples = Directory.EnumerateFiles(fixture.Directories.Examples, "*.json")
            .Select(f => FhirJson.TryParseForValidation(File.ReadAllText(f), out var r, out _) ? r : null).OfType<Resource>().ToList();
        var validator = new ProfileValidator(fixture.Catalog, examples);

        await validator.SettleAsync();

        Assert.True(validator.IsWarm);
        Assert.True(validator.IsSettled);
        Assert.NotEmpty(examples);
        Assert.True(validator.JitSettling.Rounds >= 1);
        // Either the JIT went quiet after enough rounds, or the time limit ended it.
        Assert.True(validator.JitSettling.Settled ? validator.JitSettling.Rounds >= 100 : validator.JitSettling.Duration >= TimeSpan.FromSeconds(10),
            $"{validator.JitSettling}");
    }

    [Fact]
    public async Task Without_examples_settling_is_only_warming()
    {
        await fixture.Validator.SettleAsync();

        Assert.True(fixture.Validator.IsSettled);
        Assert.Equal(0, fixture.Validator.JitSettling.Rounds);
    }

    [Fact]
    public async Task A_binding_that_passed_for_one_value_still_refuses_other_values_every_time()
    {
        // The validator remembers values a binding has passed; what it refuses must be refused on every write.
        var valid = PainScore();
        var badPhase = PainScore(o => o.Extension = [Ext(Extensions.AssessmentPhase, new Code("sometime"))]);
        var badStatus = PainScore(o => o.Status = ObservationStatus.Preliminary);
        var badLaterality = Block(p => p.Extension.Single(e => e.Url == Extensions.Laterality).Value = Concept(CodeSystems.Snomed, "255549009"));

        var outcomes = new List<(string Case, OperationOutcome Outcome)>();
        for (var round = 0; round < 3; round++)
        {
            outcomes.Add(("valid", await fixture.Validator.ValidateAsync(valid)));
            outcomes.Add(("phase", await fixture.Validator.ValidateAsync(badPhase)));
            outcomes.Add(("status", await fixture.Validator.ValidateAsync(badStatus)));
            outcomes.Add(("laterality", await fixture.Validator.ValidateAsync(badLaterality)));
            outcomes.Add(("valid block", await fixture.Validator.ValidateAsync(Block())));
        }

        Assert.All(outcomes, o => Assert.True(ProfileValidator.IsValid(o.Outcome) == o.Case.StartsWith("valid", StringComparison.Ordinal),
            $"{o.Case}: {ExampleTests.Describe(o.Outcome)}"));
        // Refusals are the same each round, issue for issue.
        foreach (var name in new[] { "phase", "status", "laterality" })
        {
            var described = outcomes.Where(o => o.Case == name).Select(o => ExampleTests.Describe(o.Outcome)).Distinct().ToList();
            Assert.Single(described);
        }
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
