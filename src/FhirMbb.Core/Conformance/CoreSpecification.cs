using Hl7.Fhir.Specification.Source;

namespace FhirMbb.Core.Conformance;

/// <summary>
/// The offline FHIR R4 core specification (Hl7.Fhir.Specification.Data.R4), opened once per
/// process: reading the zip is the expensive part of a cold start, and its content never changes.
/// </summary>
public static class CoreSpecification
{
    private static readonly Lazy<CachedResolver> Shared = new(() => new CachedResolver(ZipSource.CreateValidationSource()));

    public static CachedResolver Resolver => Shared.Value;

    /// <summary>Our resources first, then the core spec.</summary>
    public static MultiResolver With(InMemoryResourceResolver ours) => new(ours, Resolver);
}
