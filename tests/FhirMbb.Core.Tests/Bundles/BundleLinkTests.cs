using FhirMbb.Core.Bundles;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Tests.Bundles;

/// <summary>How a transaction finds the entry a link names (the HTTP round trips are in the Api tests' BundleTests).</summary>
public sealed class BundleLinkTests
{
    [Theory]
    [InlineData("http://example.org/fhir/Patient/p1", "http://example.org/fhir")]
    [InlineData("https://example.org/Observation/o-1", "https://example.org")]
    [InlineData("urn:uuid:6b1f2a0e-0000-4000-8000-000000000001", null)]
    [InlineData("http://example.org/fhir/NotAType/p1", null)]
    [InlineData("http://example.org/fhir/Patient/", null)]
    [InlineData("http://example.org/fhir/Patient/p1/_history/2", null)]
    [InlineData("ftp://example.org/fhir/Patient/p1", null)]
    [InlineData("Patient/p1", null)]
    public void A_full_url_has_a_rest_base_only_when_it_ends_in_a_resource_type_and_an_id(string fullUrl, string? expected) =>
        Assert.Equal(expected, BundleService.RestBase(fullUrl));

    [Fact]
    public void Only_urn_full_urls_are_followed_outside_references()
    {
        var temporary = BundleLinks.Temporary(new Dictionary<string, string>
        {
            ["urn:uuid:6b1f2a0e-0000-4000-8000-000000000001"] = "Patient/a",
            ["urn:oid:1.2.3.4"] = "Patient/b",
            ["http://example.org/fhir/CodeSystem/pain"] = "CodeSystem/c",
        });

        Assert.Equal(["urn:oid:1.2.3.4", "urn:uuid:6b1f2a0e-0000-4000-8000-000000000001"], temporary.Keys.Order());
    }

    [Fact]
    public void An_extension_s_own_url_is_not_a_link_even_when_it_equals_an_entry_s_urn()
    {
        const string Urn = "urn:uuid:6b1f2a0e-0000-4000-8000-000000000001";
        var patient = new Patient { Extension = [new Extension(Urn, new FhirUri(Urn))] };
        var assigned = new Dictionary<string, string> { [Urn] = "Patient/a" };

        BundleService.RewriteReferences(patient, assigned, links: BundleLinks.Temporary(assigned));

        Assert.Equal(Urn, patient.Extension[0].Url);
        Assert.Equal("Patient/a", ((FhirUri)patient.Extension[0].Value).Value);
    }
}
