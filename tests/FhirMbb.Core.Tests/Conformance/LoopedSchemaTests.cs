using Firely.Fhir.Validation;
using FhirMbb.Core.Conformance;
using Hl7.Fhir.Model;

#pragma warning disable ExperimentalApi // Firely's assertions, built here to compare with

namespace FhirMbb.Core.Tests.Conformance;

/// <summary>
/// A looped element schema runs the members Firely's ElementSchema runs, under any include and exclude filters (the
/// server only excludes dom-6, which sits on resource schemas, so these settings are exercised here), on one node,
/// on several and on none.
/// </summary>
public sealed class LoopedSchemaTests
{
    private static readonly FhirPathValidator First = new("t-1", "false");
    private static readonly FhirPathValidator Second = new("t-2", "false");
    private static readonly ElementSchema Firely = new("http://example.org/looped", First, Second, new FhirPathValidator("t-3", "true"));

    public static TheoryData<string> Settings() => ["none", "exclude t-1", "include t-2", "include t-1 exclude t-1"];

    [Theory, MemberData(nameof(Settings))]
    public void Gives_Firelys_issues_for_one_node_several_and_none(string filters)
    {
        var looped = LoopedSchema.Over(Firely, FirelyInternals.Instance!);
        Assert.IsType<LoopedSchema>(looped);
        var settings = With(filters);
        var parent = new Observation { Status = ObservationStatus.Final, Category = [new CodeableConcept("urn:x", "a"), new CodeableConcept("urn:x", "b")] }.ToPocoNode();
        var several = (PocoListNode)parent.Child("category")!;
        var none = new PocoListNode(Array.Empty<Base>(), parent, "component");

        Assert.Equal(Describe(((IValidatable)Firely).Validate(parent, settings, new ValidationState())),
            Describe(((IValidatable)looped).Validate(parent, settings, new ValidationState())));
        Assert.Equal(Describe(((IGroupValidatable)Firely).Validate(several, settings, new ValidationState())),
            Describe(((IGroupValidatable)looped).Validate(several, settings, new ValidationState())));
        Assert.Equal(Describe(((IGroupValidatable)Firely).Validate(none, settings, new ValidationState())),
            Describe(((IGroupValidatable)looped).Validate(none, settings, new ValidationState())));
        // Every filter setting but the last leaves a failing invariant in.
        Assert.Equal(filters != "include t-1 exclude t-1", ((IValidatable)looped).Validate(parent, settings, new ValidationState()).Errors.Count > 0);
    }

    private static ValidationSettings With(string filters)
    {
        var settings = new ValidationSettings();
        if (filters.Contains("exclude t-1", StringComparison.Ordinal)) settings.ExcludeFilters.Add(a => a is FhirPathValidator { Key: "t-1" });
        if (filters.Contains("include t-2", StringComparison.Ordinal)) settings.IncludeFilters.Add(a => a is FhirPathValidator { Key: "t-2" });
        if (filters.Contains("include t-1", StringComparison.Ordinal)) settings.IncludeFilters.Add(a => a is FhirPathValidator { Key: "t-1" });
        return settings;
    }

    private static List<string> Describe(ResultReport report) =>
        [report.Result.ToString(), .. report.Evidence.OfType<IssueAssertion>().Select(i => $"{i.Severity} {i.Message} @ {i.Location}")];
}
