namespace FhirMbb.Api.Security;

public enum AuthMode
{
    /// <summary>No authorization: anyone may do anything. For development only.</summary>
    None,

    /// <summary>An OAuth 2.0 resource server for SMART on FHIR apps and backend services.</summary>
    Smart,
}

/// <summary>Settings under the "Auth" section (names fixed by the data contract: Mode, Authority, Audience).</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    public AuthMode Mode { get; set; } = AuthMode.None;

    /// <summary>The authorization server's issuer URL; its /.well-known/openid-configuration is read from here.</summary>
    public string? Authority { get; set; }

    /// <summary>The audience (aud) every access token must carry for this server.</summary>
    public string? Audience { get; set; }

    /// <summary>Refuse an http authority; turn off only for a local identity provider or tests.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>Let Production start with Mode=None; it is refused otherwise.</summary>
    public bool AllowAnonymousInProduction { get; set; }

    /// <summary>How long the discovery document and JWKS are kept before they are fetched again.</summary>
    public TimeSpan MetadataRefreshInterval { get; set; } = TimeSpan.FromHours(12);

    /// <summary>The least time between two fetches caused by a token whose key id is unknown, so bad tokens cannot flood the authority.</summary>
    public TimeSpan KeyRefreshMinimumInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Tolerance for clock differences on exp and nbf.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The claim holding the launch patient's id.</summary>
    public string PatientClaim { get; set; } = "patient";
}
