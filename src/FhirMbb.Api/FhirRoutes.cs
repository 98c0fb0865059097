namespace FhirMbb.Api;

/// <summary>Route templates and names, typed once.</summary>
public static class FhirRoutes
{
    public const string Base = "/fhir";
    public const string Metadata = "/metadata";
    public const string Type = "/{type}";
    public const string Instance = "/{type}/{id}";
    public const string InstanceHistory = "/{type}/{id}/_history";
    public const string Version = "/{type}/{id}/_history/{versionId}";
    public const string TypeHistory = "/{type}/_history";
    public const string SystemHistory = "/_history";
    public const string SmartConfiguration = "/.well-known/smart-configuration";
    public const string TypeSearch = "/{type}/_search";
    public const string Compartment = "/{compartment}/{id}/{type}";

    public const string Healthz = "/healthz";
    public const string Readyz = "/readyz";

    public const string CorrelationHeader = "X-Correlation-Id";
}
