using FhirMbb.Core.Security;

namespace FhirMbb.Core.Tests.Security;

public sealed class SmartScopeParserTests
{
    [Theory]
    [InlineData("patient/Observation.read", ScopeContext.Patient, "Observation", ScopePermissions.Read | ScopePermissions.Search, false)]
    [InlineData("user/*.write", ScopeContext.User, "*", ScopePermissions.Create | ScopePermissions.Update | ScopePermissions.Delete, false)]
    [InlineData("patient/*.*", ScopeContext.Patient, "*", ScopePermissions.All, false)]
    [InlineData("patient/Observation.rs", ScopeContext.Patient, "Observation", ScopePermissions.Read | ScopePermissions.Search, true)]
    [InlineData("user/Procedure.cruds", ScopeContext.User, "Procedure", ScopePermissions.All, true)]
    [InlineData("system/Condition.r", ScopeContext.System, "Condition", ScopePermissions.Read, true)]
    [InlineData("system/*.cud", ScopeContext.System, "*", ScopePermissions.Create | ScopePermissions.Update | ScopePermissions.Delete, true)]
    [InlineData("patient.Observation.read", ScopeContext.Patient, "Observation", ScopePermissions.Read | ScopePermissions.Search, false)] // Entra ID form
    [InlineData("user.all.read", ScopeContext.User, "*", ScopePermissions.Read | ScopePermissions.Search, false)]
    public void Parses_v1_and_v2_scopes(string text, ScopeContext context, string type, ScopePermissions permissions, bool v2)
    {
        Assert.True(SmartScopeParser.TryParse(text, out var scope));
        Assert.Equal(context, scope.Context);
        Assert.Equal(type, scope.ResourceType);
        Assert.Equal(permissions, scope.Permissions);
        Assert.Equal(v2, scope.IsV2);
        Assert.Empty(scope.Restrictions);
    }

    [Fact]
    public void Parses_the_query_of_a_granular_scope()
    {
        Assert.True(SmartScopeParser.TryParse(
            "patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|survey,vital-signs&status=final", out var scope));

        Assert.Equal(2, scope.Restrictions.Count);
        Assert.Equal("category", scope.Restrictions[0].Parameter);
        Assert.Equal(["http://terminology.hl7.org/CodeSystem/observation-category|survey", "vital-signs"], scope.Restrictions[0].Values);
        Assert.Equal(new ScopeRestriction("status", ["final"]).ToString(), scope.Restrictions[1].ToString());
    }

    [Theory]
    [InlineData("openid")]
    [InlineData("fhirUser")]
    [InlineData("launch/patient")]
    [InlineData("offline_access")]
    [InlineData("admin/Observation.read")]
    [InlineData("patient/observation.read")]
    [InlineData("patient/Observation")]
    [InlineData("patient/Observation.")]
    [InlineData("patient/Observation.sr")]
    [InlineData("patient/Observation.rr")]
    [InlineData("patient/Observation.x")]
    [InlineData("patient/Observation.readwrite")]
    [InlineData("patient/Observation.read?category=survey")]
    [InlineData("patient/Observation.rs?category=")]
    [InlineData("patient/Obs-ervation.rs")]
    [InlineData("patient/all.rs")]
    public void Anything_else_grants_nothing(string text)
    {
        Assert.False(SmartScopeParser.TryParse(text, out _));
    }

    [Fact]
    public void A_scope_claim_holds_several_scopes_separated_by_spaces()
    {
        var scopes = SmartScopeParser.ParseAll(["openid fhirUser  patient/Observation.rs launch/patient", "user/Procedure.cruds", null]);

        Assert.Equal(["patient/Observation.rs", "user/Procedure.cruds"], scopes.Select(s => s.Text));
    }
}
