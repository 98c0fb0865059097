using Firely.Fhir.Validation;
using FhirMbb.Core.Conformance;
using Hl7.Fhir.Model;
using Hl7.Fhir.Specification.Terminology;

namespace FhirMbb.Core.Tests.Conformance;

/// <summary>
/// The validator's rewritten assertions (core invariants decided natively, cardinality counted without node
/// annotations, children matched in one pass) give, issue for issue, what Firely's own compiled schemas give: each core invariant with a shortcut is
/// met and broken, and each instance is validated by both.
/// </summary>
[Collection(ConformanceCollection.Name)]
public sealed class RewrittenAssertionTests(ValidatorFixture fixture)
{
    private static readonly Lazy<Validator> Firely = new(() => new Validator(
        CoreSpecification.Resolver,
        new LocalTerminologyService(CoreSpecification.Resolver, ValueSetExpanderSettings.CreateDefault()),
        null,
        new ValidationSettings { HandleValidateCodeServiceFailure = (_, _) => TerminologyServiceExceptionResult.Error }));

    public static TheoryData<string> Instances() => [.. Cases.Keys];

    [Theory, MemberData(nameof(Instances))]
    public async Task Gives_the_issues_of_Firelys_own_schemas(string name)
    {
        var instance = Cases[name]();

        var ours = Describe(await fixture.Validator.ValidateAsync(instance), instance.TypeName);
        var firely = Describe(Firely.Value.Validate(instance), instance.TypeName);

        Assert.Equal(firely, ours);
        Assert.Equal(Expectations[name], ours.Any(i => i.StartsWith("Error", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("dataAbsentReason with a value", "obs-6")]
    [InlineData("contained resource nobody points at", "dom-3")]
    [InlineData("contained resource with its own contained", "dom-2")]
    [InlineData("contained resource with a version", "dom-4")]
    [InlineData("contained resource with a security label", "dom-5")]
    [InlineData("local reference to nothing contained", "ref-1")]
    [InlineData("component repeating the code while a value is given", "obs-7")]
    [InlineData("reference range with only a type", "obs-3")]
    [InlineData("quantity with a code but no system", "qty-3")]
    [InlineData("period ending before it starts", "per-1")]
    public async Task A_broken_core_invariant_is_still_named(string name, string key)
    {
        var outcome = await fixture.Validator.ValidateAsync(Cases[name]());

        Assert.Contains(outcome.Issue, i => ProfileValidator.IsError(i) && $"{i.Details?.Text} {i.Diagnostics}".Contains(key, StringComparison.Ordinal));
    }

    private static readonly Dictionary<string, Func<Resource>> Cases = new()
    {
        ["plain observation"] = () => Observation(),
        ["dataAbsentReason with a value"] = () => Observation(o => o.DataAbsentReason = Concept("http://terminology.hl7.org/CodeSystem/data-absent-reason", "unknown")),
        ["dataAbsentReason without a value"] = () => Observation(o =>
        {
            o.Value = null;
            o.DataAbsentReason = Concept("http://terminology.hl7.org/CodeSystem/data-absent-reason", "unknown");
        }),
        ["contained resource pointed at"] = () => Observation(o =>
        {
            o.Contained.Add(new Patient { Id = "p1" });
            o.Subject = new ResourceReference("#p1");
        }),
        ["contained resource nobody points at"] = () => Observation(o => o.Contained.Add(new Patient { Id = "p1", Active = true })),
        ["contained resource with its own contained"] = () => Observation(o =>
        {
            o.Contained.Add(new Patient { Id = "p1", Contained = [new Organization { Id = "o1", Name = "x" }] });
            o.Subject = new ResourceReference("#p1");
        }),
        ["contained resource with a version"] = () => Observation(o =>
        {
            o.Contained.Add(new Patient { Id = "p1", Meta = new Meta { VersionId = "2" } });
            o.Subject = new ResourceReference("#p1");
        }),
        ["contained resource with a security label"] = () => Observation(o =>
        {
            o.Contained.Add(new Patient { Id = "p1", Meta = new Meta { Security = [new Coding("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "R")] } });
            o.Subject = new ResourceReference("#p1");
        }),
        ["local reference to nothing contained"] = () => Observation(o => o.Subject = new ResourceReference("#nowhere")),
        ["reference given only as an extension"] = () => Observation(o =>
        {
            var reference = new FhirString();
            reference.Extension.Add(new Extension("http://hl7.org/fhir/StructureDefinition/data-absent-reason", new Code("unknown")));
            o.Subject = new ResourceReference { ReferenceElement = reference };
        }),
        ["reference by identifier only"] = () => Observation(o => o.Subject = new ResourceReference { Identifier = new Identifier("urn:x", "1") }),
        ["component repeating the code while a value is given"] = () => Observation(o =>
            o.Component.Add(new Observation.ComponentComponent { Code = PainCode(), Value = new Integer(3) })),
        ["component with another code"] = () => Observation(o =>
            o.Component.Add(new Observation.ComponentComponent { Code = Concept("http://loinc.org", "8867-4"), Value = new Integer(3) })),
        ["reference range with only a type"] = () => Observation(o =>
            o.ReferenceRange.Add(new Observation.ReferenceRangeComponent { Type = Concept("http://terminology.hl7.org/CodeSystem/referencerange-meaning", "normal") })),
        ["reference range with a low end"] = () => Observation(o =>
            o.ReferenceRange.Add(new Observation.ReferenceRangeComponent { Low = new Quantity { Value = 1, System = "http://unitsofmeasure.org", Code = "1" } })),
        ["quantity with a code but no system"] = () => Observation(o => o.Value = new Quantity { Value = 3, Code = "mg" }),
        ["quantity with a code and a system"] = () => Observation(o => o.Value = new Quantity { Value = 3, Code = "mg", System = "http://unitsofmeasure.org" }),
        ["observation without a status"] = () => Observation(o => o.Status = null),
        ["observation without a code"] = () => Observation(o => o.Code = null),
        ["several categories"] = () => Observation(o =>
        {
            o.Category.Add(Concept("http://terminology.hl7.org/CodeSystem/observation-category", "survey"));
            o.Category.Add(Concept("http://terminology.hl7.org/CodeSystem/observation-category", "exam"));
        }),
        ["unknown element"] = () => Observation(o => o.SetValue("painLevel", new FhirString("high"))),
        ["unknown element inside a coding"] = () => Observation(o => o.Code.Coding[0].SetValue("rank", new Integer(1))),
        ["component without a code"] = () => Observation(o => o.Component.Add(new Observation.ComponentComponent { Value = new Integer(3) })),
        ["period ending before it starts"] = () => Observation(o => o.Effective = new Period { Start = "2025-03-02", End = "2025-03-01" }),
    };

    private static readonly Dictionary<string, bool> Expectations = new()
    {
        ["plain observation"] = false,
        ["dataAbsentReason with a value"] = true,
        ["dataAbsentReason without a value"] = false,
        ["contained resource pointed at"] = false,
        ["contained resource nobody points at"] = true,
        ["contained resource with its own contained"] = true,
        ["contained resource with a version"] = true,
        ["contained resource with a security label"] = true,
        ["local reference to nothing contained"] = true,
        ["reference given only as an extension"] = true,
        ["reference by identifier only"] = false,
        ["component repeating the code while a value is given"] = true,
        ["component with another code"] = false,
        ["reference range with only a type"] = true,
        ["reference range with a low end"] = false,
        ["quantity with a code but no system"] = true,
        ["quantity with a code and a system"] = false,
        ["observation without a status"] = true,
        ["observation without a code"] = true,
        ["several categories"] = false,
        ["unknown element"] = true,
        ["unknown element inside a coding"] = true,
        ["component without a code"] = true,
        ["period ending before it starts"] = true,
    };

    private static Observation Observation(Action<Observation>? change = null)
    {
        var observation = new Observation
        {
            Status = ObservationStatus.Final,
            Code = PainCode(),
            Subject = new ResourceReference("Patient/1"),
            Value = new Integer(4),
        };
        change?.Invoke(observation);
        return observation;
    }

    private static CodeableConcept PainCode() => Concept("http://loinc.org", "72514-3");

    private static CodeableConcept Concept(string system, string code) => new() { Coding = [new Coding(system, code)] };

    /// <summary>Each issue as severity, code, text and place; our own "no issues" line left out.</summary>
    private static List<string> Describe(OperationOutcome outcome, string typeName) =>
        outcome.Issue
            .Where(i => i.Diagnostics != "Validation successful: no issues.")
#pragma warning disable CS0618 // location is deprecated in R4 but some validator issues only carry it
            .Select(i => $"{i.Severity} {i.Code} {i.Details?.Text} {i.Diagnostics} @ {i.Expression.FirstOrDefault() ?? i.Location.FirstOrDefault() ?? typeName}")
#pragma warning restore CS0618
            .ToList();
}
