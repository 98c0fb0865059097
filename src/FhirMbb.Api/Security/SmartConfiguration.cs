using FhirMbb.Core;
using FhirMbb.Core.Rest;
using Hl7.Fhir.Model;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace FhirMbb.Api.Security;

/// <summary>
/// What the server tells SMART apps about its authorization: GET /fhir/.well-known/smart-configuration and the
/// CapabilityStatement's rest.security, both from the authority's own discovery document. In None mode
/// neither advertises anything, since nothing would be enforced.
/// </summary>
public static class SmartConfiguration
{
    public const string OAuthUrisExtension = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris";
    public const string SecurityServiceSystem = "http://terminology.hl7.org/CodeSystem/restful-security-service";

    public static readonly IReadOnlyList<string> Capabilities =
    [
        "launch-standalone", "launch-ehr", "client-public", "client-confidential-symmetric",
        "context-standalone-patient", "context-ehr-patient", "permission-patient", "permission-user",
        "permission-v1", "permission-v2", "sso-openid-connect",
    ];

    public static IReadOnlyList<string> ScopesSupported { get; } = BuildScopes();

    public static RouteGroupBuilder MapSmartConfiguration(this RouteGroupBuilder fhir)
    {
        fhir.MapGet(FhirRoutes.SmartConfiguration, async (HttpContext context, AuthOptions options, IServiceProvider services) =>
        {
            if (options.Mode != AuthMode.Smart)
                throw FhirOperationException.NotFound("SMART on FHIR authorization is not enabled on this server (Auth:Mode=None)");
            var authority = services.GetRequiredService<SmartAuthority>();
            OpenIdConnectConfiguration discovery;
            try
            {
                discovery = await authority.GetConfigurationAsync(context.RequestAborted);
            }
            catch (Exception e) when (e is IOException or HttpRequestException or InvalidOperationException)
            {
                throw new FhirOperationException(StatusCodes.Status503ServiceUnavailable, OperationOutcome.IssueType.Transient,
                    "The authorization server's discovery document cannot be read right now");
            }
            return Results.Json(Document(discovery), contentType: "application/json");
        });
        return fhir;
    }

    /// <summary>The smart-configuration document (SMART App Launch 2.x, section 2.0.5).</summary>
    public static Dictionary<string, object> Document(OpenIdConnectConfiguration discovery)
    {
        var document = new Dictionary<string, object>
        {
            ["issuer"] = discovery.Issuer,
            ["jwks_uri"] = discovery.JwksUri,
            ["authorization_endpoint"] = discovery.AuthorizationEndpoint,
            ["token_endpoint"] = discovery.TokenEndpoint,
            ["grant_types_supported"] = discovery.GrantTypesSupported.Count > 0
                ? discovery.GrantTypesSupported.ToList()
                : ["authorization_code", "client_credentials"],
            ["token_endpoint_auth_methods_supported"] = discovery.TokenEndpointAuthMethodsSupported.Count > 0
                ? discovery.TokenEndpointAuthMethodsSupported.ToList()
                : ["client_secret_basic"],
            ["scopes_supported"] = ScopesSupported,
            ["response_types_supported"] = new[] { "code" },
            ["code_challenge_methods_supported"] = new[] { "S256" },
            ["capabilities"] = Capabilities,
        };
        if (!string.IsNullOrEmpty(discovery.RegistrationEndpoint)) document["registration_endpoint"] = discovery.RegistrationEndpoint;
        if (!string.IsNullOrEmpty(discovery.UserInfoEndpoint)) document["userinfo_endpoint"] = discovery.UserInfoEndpoint;
        foreach (var optional in new[] { "introspection_endpoint", "revocation_endpoint" })
            if (discovery.AdditionalData.TryGetValue(optional, out var value) && value is string { Length: > 0 } uri) document[optional] = uri;
        return document;
    }

    /// <summary>rest.security of the CapabilityStatement; the oauth-uris extension once the discovery document has been read.</summary>
    public static void AddSecurity(CapabilityStatement statement, OpenIdConnectConfiguration? discovery)
    {
        foreach (var rest in statement.Rest)
        {
            var security = new CapabilityStatement.SecurityComponent
            {
                // No CORS middleware is configured yet; browser apps need a proxy or a later change.
                Cors = false,
                Description = "SMART on FHIR (App Launch 1.0 and 2.x scopes): OAuth 2.0 bearer tokens from the authorization server below. " +
                              "Tokens with patient/ scopes see only the patient of their launch context.",
            };
            security.Service.Add(new CodeableConcept(SecurityServiceSystem, "SMART-on-FHIR", "SMART-on-FHIR"));
            if (discovery is not null)
            {
                var uris = new Extension { Url = OAuthUrisExtension };
                uris.Extension.Add(new Extension("authorize", new FhirUri(discovery.AuthorizationEndpoint)));
                uris.Extension.Add(new Extension("token", new FhirUri(discovery.TokenEndpoint)));
                if (discovery.AdditionalData.TryGetValue("revocation_endpoint", out var revoke) && revoke is string { Length: > 0 } revokeUri)
                    uris.Extension.Add(new Extension("revoke", new FhirUri(revokeUri)));
                if (discovery.AdditionalData.TryGetValue("introspection_endpoint", out var introspect) && introspect is string { Length: > 0 } introspectUri)
                    uris.Extension.Add(new Extension("introspect", new FhirUri(introspectUri)));
                security.Extension.Add(uris);
            }
            rest.Security = security;
        }
    }

    private static List<string> BuildScopes()
    {
        var scopes = new List<string>
        {
            "openid", "fhirUser", "profile", "launch", "launch/patient", "offline_access", "online_access",
            "patient/*.rs", "patient/*.cruds", "user/*.rs", "user/*.cruds", "system/*.rs", "system/*.cruds",
            "patient/*.read", "patient/*.write", "patient/*.*", "user/*.read", "user/*.write", "user/*.*", "system/*.read", "system/*.*",
        };
        foreach (var type in ResourceTypes.Writable)
        {
            scopes.Add($"patient/{type}.rs");
            scopes.Add($"patient/{type}.cruds");
            scopes.Add($"user/{type}.rs");
            scopes.Add($"user/{type}.cruds");
            scopes.Add($"system/{type}.rs");
        }
        scopes.Add("patient/Observation.rs?category=survey");
        return scopes;
    }
}
