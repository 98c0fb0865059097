using Firely.Fhir.Validation;
using FhirMbb.Core.Conformance;
using FhirMbb.Core.Serialization;
using Hl7.Fhir.Model;

#pragma warning disable ExperimentalApi // the validator's building blocks are marked experimental

namespace FhirMbb.Core.Tests.Conformance;

/// <summary>
/// A resource's root children remember the values they passed (<see cref="PassedValues"/>): the verdicts and issues stay
/// what they were the first time, whatever was validated before, and a check that looks beyond its child is never
/// remembered.
/// </summary>
[Collection(ConformanceCollection.Name)]
public sealed class RememberedChildrenTests(ValidatorFixture fixture)
{
    private const string PainScore = "https://fhirmbb.org/fhir/StructureDefinition/mbb-pain-score";

    [Fact]
    public async Task A_local_reference_is_judged_by_the_resource_it_is_in_each_time()
    {
        // The same subject value, first beside the contained Patient it names, then without it (ref-1 reads %rootResource).
        for (var round = 0; round < 3; round++)
        {
            var pointedAt = Observation(o =>
            {
                o.Contained.Add(new Patient { Id = "p1" });
                o.Subject = new ResourceReference("#p1");
            });
            Assert.True(ProfileValidator.IsValid(await fixture.Validator.ValidateAsync(pointedAt)));

            var missing = Observation(o => o.Subject = new ResourceReference("#p1"));
            var outcome = await fixture.Validator.ValidateAsync(missing);
            Assert.Contains(outcome.Issue, i => ProfileValidator.IsError(i) && $"{i.Details?.Text} {i.Diagnostics}".Contains("ref-1", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_pain_score_gives_the_same_issues_however_often_its_parts_were_seen_before()
    {
        var valid = Example("mbb-pain-score-valid-integer.json");
        var first = Describe(await fixture.Validator.ValidateAsync(valid, [PainScore]));
        Assert.DoesNotContain(first, i => i.StartsWith("Error", StringComparison.Ordinal));

        // Broken in a child whose other values are remembered: an out-of-range score, an unknown phase, another code, a score given as text.
        var variants = new Dictionary<string, Action<Observation>>
        {
            ["score 11"] = o => o.Value = new Integer(11),
            ["phase nobody defined"] = o => o.Extension.Single().Value = new Code("sometime"),
            ["heart rate code"] = o => o.Code = new CodeableConcept("http://loinc.org", "8867-4"),
            ["score as text"] = o => o.Value = new FhirString("six"),
        };
        var expected = new Dictionary<string, List<string>>();
        foreach (var (name, change) in variants)
        {
            var broken = Example("mbb-pain-score-valid-integer.json");
            change(broken);
            expected[name] = Describe(await fixture.Validator.ValidateAsync(broken, [PainScore]));
            Assert.True(expected[name].Any(i => i.StartsWith("Error", StringComparison.Ordinal)), $"{name}: no error");
        }

        for (var round = 0; round < 5; round++)
        {
            Assert.Equal(first, Describe(await fixture.Validator.ValidateAsync(Example("mbb-pain-score-valid-integer.json"), [PainScore])));
            foreach (var (name, change) in variants)
            {
                var broken = Example("mbb-pain-score-valid-integer.json");
                change(broken);
                Assert.Equal(expected[name], Describe(await fixture.Validator.ValidateAsync(broken, [PainScore])));
            }
        }
    }

    [Fact]
    public async Task An_element_unknown_to_the_model_inside_a_remembered_value_is_still_refused()
    {
        for (var round = 0; round < 3; round++)
        {
            Assert.True(ProfileValidator.IsValid(await fixture.Validator.ValidateAsync(Observation(_ => { }))));
            var withUnknown = Observation(o => o.Code.Coding[0].SetValue("rank", new Integer(1)));
            Assert.False(ProfileValidator.IsValid(await fixture.Validator.ValidateAsync(withUnknown)));
        }
    }

    [Fact]
    public void A_child_whose_check_reads_the_resource_is_checked_again_in_each_resource()
    {
        // The same code in a final and in a preliminary Observation: only the resource around it tells them apart.
        var readsTheResource = new ElementSchema("#Observation.code", new FhirPathValidator("test-1", "%resource.status = 'final'"));
        var children = (IValidatable)DirectChildren.Over(new ChildrenValidator(true, ("status", ResultAssertion.SUCCESS), ("code", readsTheResource)), rememberPassed: true);
        var settings = new ValidationSettings();
        ResultReport Validate(ObservationStatus status) =>
            children.Validate(new Observation { Status = status, Code = new CodeableConcept("http://loinc.org", "72514-3") }.ToPocoNode(), settings, new ValidationState());

        for (var round = 0; round < 3; round++)
        {
            Assert.True(Validate(ObservationStatus.Final).IsSuccessful);
            Assert.False(Validate(ObservationStatus.Preliminary).IsSuccessful);
        }
    }

    [Fact]
    public void Checks_reading_beyond_their_element_are_not_context_free()
    {
        Assert.True(ContextFree.Holds(Invariant("code.exists()")));
        Assert.False(ContextFree.Holds(Invariant("%resource.contained.exists()")));
        Assert.False(ContextFree.Holds(Invariant("reference.substring(1) in %rootResource.contained.id")));
        Assert.False(ContextFree.Holds(Invariant("reference.resolve().exists()")));
        Assert.False(ContextFree.Holds(Invariant("start <= now()")));
        Assert.False(ContextFree.Holds(new ReferencedInstanceValidator(ResultAssertion.SUCCESS)));
        Assert.True(ContextFree.Holds(new AllValidator([Invariant("value.exists()"), new MaxLengthValidator(4)])));
        Assert.False(ContextFree.Holds(new AllValidator([Invariant("value.exists()"), Invariant("%resource.id.exists()")])));
        // One that marks for itself when it runs counts as context-free.
        Assert.True(ContextFree.Holds(new MarksOutside(Invariant("%resource.id.exists()"))));
    }

    [Fact]
    public void Values_are_keyed_with_their_type_and_only_in_a_resource_validated_on_its_own()
    {
        var passed = new PassedValues();
        var observation = new Observation { Value = new Integer(5) };
        var root = observation.ToPocoNode();
        var asInteger = passed.KeyOf(root, Child(root, "value"));
        Assert.NotNull(asInteger);
        observation.Value = new FhirString("5");
        Assert.NotEqual(asInteger, passed.KeyOf(root, Child(root, "value")));

        var bundle = new Bundle { Entry = [new Bundle.EntryComponent { Resource = new Observation { Value = new Integer(5) } }] };
        var inner = Child(Child(bundle.ToPocoNode(), "entry").Single(), "resource").Single();
        Assert.Null(passed.KeyOf(inner, Child(inner, "value")));

        var withExtension = new Observation { Value = new Integer(5) };
        withExtension.Value.Extension.Add(new Extension("http://example.org/x", new FhirString("y")));
        var extended = withExtension.ToPocoNode();
        Assert.Null(passed.KeyOf(extended, Child(extended, "value")));
    }

    [Fact]
    public void A_child_whose_values_do_not_repeat_is_given_up_on()
    {
        var passed = new PassedValues();
        var observation = new Observation { Value = new Integer(1) };
        var root = observation.ToPocoNode();
        var key = passed.KeyOf(root, Child(root, "value"))!;
        passed.Remember(key);
        Assert.True(passed.Passed(key));

        for (var i = 0; i < 2_000; i++) passed.Passed($"never seen {i}");

        Assert.Null(passed.KeyOf(root, Child(root, "value")));
    }

    private static FhirPathValidator Invariant(string expression) =>
        new("test-1", expression);

    private static PocoNodeOrList Child(PocoNode node, string name) => node.Children().Single(c => c.Name == name);

    private Observation Example(string file) =>
        (Observation)FhirSerialization.Shared.ParseJson(File.ReadAllBytes(Path.Combine(fixture.Directories.Profiles, "examples", file)));

    private static Observation Observation(Action<Observation> change)
    {
        var observation = new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "72514-3"),
            Subject = new ResourceReference("Patient/1"),
            Value = new Integer(4),
        };
        change(observation);
        return observation;
    }

    private static List<string> Describe(OperationOutcome outcome) =>
        outcome.Issue
            .Where(i => i.Diagnostics != "Validation successful: no issues.")
            .Select(i => $"{i.Severity} {i.Code} {i.Details?.Text} {i.Diagnostics} @ {string.Join(",", i.Expression)}")
            .ToList();
}
