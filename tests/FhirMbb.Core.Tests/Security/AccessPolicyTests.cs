using FhirMbb.Core.Rest;
using FhirMbb.Core.Security;
using FhirMbb.Core.Serialization;
using FhirMbb.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Tests.Security;

public sealed class AccessPolicyTests
{
    private static Observation Score(string patient, string? category = null)
    {
        var observation = new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "72514-3"),
            Subject = new ResourceReference($"Patient/{patient}"),
        };
        if (category is not null)
            observation.Category.Add(new CodeableConcept("http://terminology.hl7.org/CodeSystem/observation-category", category));
        return observation;
    }

    [Theory]
    [InlineData(Interaction.Read, ScopePermissions.Read)]
    [InlineData(Interaction.VRead, ScopePermissions.Read)]
    [InlineData(Interaction.History, ScopePermissions.Read)]
    [InlineData(Interaction.HistoryType, ScopePermissions.Search)]
    [InlineData(Interaction.Search, ScopePermissions.Search)]
    [InlineData(Interaction.Create, ScopePermissions.Create)]
    [InlineData(Interaction.Update, ScopePermissions.Update)]
    [InlineData(Interaction.Patch, ScopePermissions.Update)]
    [InlineData(Interaction.Delete, ScopePermissions.Delete)]
    [InlineData(Interaction.Operation, ScopePermissions.Read)]
    public void Each_interaction_needs_its_smart_v2_permission(Interaction interaction, ScopePermissions permission)
    {
        Assert.Equal(permission, InteractionPermissions.Required(interaction));
        var letter = "cruds"[System.Numerics.BitOperations.Log2((uint)permission)];
        Assert.True(AccessPolicy.ForToken([$"user/Observation.{letter}"], null).Decide("Observation", interaction).IsAllowed);
        var others = new string("cruds".Where(c => c != letter).ToArray());
        Assert.False(AccessPolicy.ForToken([$"user/Observation.{others}"], null).Decide("Observation", interaction).IsAllowed);
    }

    [Fact]
    public void Anonymous_allows_everything_unfiltered()
    {
        var decision = AccessPolicy.Anonymous.Decide("Condition", Interaction.Delete);

        Assert.True(decision.IsAllowed);
        Assert.True(decision.IsUnrestricted);
        Assert.Null(decision.CompartmentPatientId);
    }

    [Fact]
    public void Patient_scopes_hold_the_token_to_its_patient()
    {
        var decision = AccessPolicy.ForToken(["patient/*.rs"], "p1").Decide("Observation", Interaction.Search);

        Assert.Equal("p1", decision.CompartmentPatientId);
        Assert.False(decision.IsUnrestricted);
        Assert.True(decision.Permits(Score("p1")));
        Assert.False(decision.Permits(Score("p2")));
        Assert.False(decision.Permits(new Observation { Status = ObservationStatus.Final })); // no subject: nobody's, so not the patient's
    }

    [Fact]
    public void Patient_scopes_without_a_patient_claim_grant_nothing_and_say_why()
    {
        var decision = AccessPolicy.ForToken(["patient/*.rs"], null).Decide("Observation", Interaction.Read);

        Assert.False(decision.IsAllowed);
        Assert.Contains("patient", decision.DenialReason);
        var refused = Assert.Throws<FhirOperationException>(() => AccessPolicy.ForToken(["patient/*.rs"], null).Require("Observation", Interaction.Read));
        Assert.Equal(403, refused.Status);
    }

    [Fact]
    public void Patient_scopes_on_conformance_types_are_not_per_patient()
    {
        var decision = AccessPolicy.ForToken(["patient/*.rs"], "p1").Decide("ValueSet", Interaction.Read);

        Assert.True(decision.IsUnrestricted);
    }

    [Fact]
    public void Scopes_add_up_and_the_widest_grant_wins()
    {
        var decision = AccessPolicy.ForToken(["patient/Observation.rs user/Observation.r"], "p1").Decide("Observation", Interaction.Read);

        Assert.True(decision.IsUnrestricted);
        Assert.Null(decision.CompartmentPatientId);
        Assert.True(decision.Permits(Score("p2")));
    }

    [Fact]
    public void A_granular_restriction_is_checked_against_the_resource()
    {
        var decision = AccessPolicy.ForToken(["patient/Observation.rs?category=survey"], "p1").Decide("Observation", Interaction.Read);

        Assert.True(decision.Permits(Score("p1", "survey")));
        Assert.False(decision.Permits(Score("p1", "vital-signs")));
        Assert.False(decision.Permits(Score("p1")));
        Assert.False(decision.Permits(Score("p2", "survey")));
    }

    [Theory]
    [InlineData("category=http://terminology.hl7.org/CodeSystem/observation-category|survey", true)]
    [InlineData("category=http://example.org/other|survey", false)]
    [InlineData("category=http://terminology.hl7.org/CodeSystem/observation-category|", true)]
    [InlineData("category=laboratory,survey", true)]
    [InlineData("status=final", true)]
    [InlineData("status=amended", false)]
    [InlineData("code=http://loinc.org|72514-3", true)]
    [InlineData("category=survey&status=amended", false)]
    [InlineData("date=2026", false)] // not a token parameter: cannot be enforced, so it matches nothing
    [InlineData("category:not=survey", false)] // modifiers are not understood
    public void Restrictions_use_token_search_syntax(string query, bool matches)
    {
        Assert.True(SmartScopeParser.TryParse($"user/Observation.rs?{query}", out var scope));

        Assert.Equal(matches, ScopeRestrictionMatcher.Matches(Score("p1", "survey"), scope.Restrictions));
    }

    [Fact]
    public void Stored_versions_are_judged_by_their_own_content_and_deletions_by_the_stores_owner()
    {
        var decision = AccessPolicy.ForToken(["patient/*.rs"], "p1").Decide("Observation", Interaction.VRead);
        var serialization = FhirSerialization.Shared;
        var p2Era = new StoredResource("Observation", "o1", 1, DateTimeOffset.UtcNow, false, serialization.ToJsonBytes(Score("p2")), 1, PatientId: "p1");
        var p1Era = p2Era with { Version = 2, Json = serialization.ToJsonBytes(Score("p1")) };
        var deletion = p2Era with { Version = 3, Deleted = true, Json = ReadOnlyMemory<byte>.Empty };

        Assert.False(decision.Permits(p2Era, serialization));
        Assert.True(decision.Permits(p1Era, serialization));
        Assert.True(decision.Permits(deletion, serialization));
        Assert.False(decision.Permits(deletion with { PatientId = "p2" }, serialization));
        var hidden = Assert.Throws<FhirOperationException>(() => decision.RequireVisible(p2Era, serialization));
        Assert.Equal(404, hidden.Status);
        Assert.Equal("Observation/o1 is not known", hidden.Message);
    }

    [Fact]
    public void Writes_outside_the_compartment_are_403()
    {
        var decision = AccessPolicy.ForToken(["patient/Observation.cu"], "p1").Decide("Observation", Interaction.Create);

        decision.RequireWritable(Score("p1"));
        var refused = Assert.Throws<FhirOperationException>(() => decision.RequireWritable(Score("p2")));
        Assert.Equal(403, refused.Status);
        Assert.Contains("Patient/p1", refused.Message);
    }

    public static TheoryData<Resource, string?> Owners => new()
    {
        { new Patient { Id = "p9" }, "p9" },
        { Score("p9"), "p9" },
        { new Procedure { Status = EventStatus.Completed, Subject = new ResourceReference("https://x.org/fhir/Patient/p9/_history/2") }, "p9" },
        { new Condition { Subject = new ResourceReference("Group/g1") }, null },
        { new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "72514-3") }, null },
    };

    [Theory]
    [MemberData(nameof(Owners))]
    public void The_compartment_owner_read_from_json_agrees_with_the_parsed_resource(Resource resource, string? owner)
    {
        var json = FhirSerialization.Shared.ToJsonBytes(resource);

        Assert.Equal(owner, CompartmentOwner.OfJson(json));
        Assert.Equal(PatientCompartment.PatientIdOf(resource), CompartmentOwner.OfJson(json));
    }

    [Fact]
    public void Operations_declare_their_needs()
    {
        Assert.Empty(OperationAccess.Validate);
        Assert.DoesNotContain(OperationAccess.EvaluateBlock(persist: false), r => InteractionPermissions.IsWrite(r.Interaction));
        Assert.Contains(new AccessRequirement("Observation", Interaction.Create), OperationAccess.EvaluateBlock(persist: true));

        var reader = AccessPolicy.ForToken(["patient/*.rs"], "p1");
        Assert.Equal(3, reader.RequireAll(OperationAccess.EvaluateBlock(persist: false)).Count);
        Assert.Equal(403, Assert.Throws<FhirOperationException>(() => reader.RequireAll(OperationAccess.EvaluateBlock(persist: true))).Status);
    }
}
