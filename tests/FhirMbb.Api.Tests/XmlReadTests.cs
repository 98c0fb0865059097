using System.Net;
using FhirMbb.Api.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Tests;

/// <summary>
/// XML reads of stored versions are converted once and then served from a cache keyed by version:
/// an update must never be answered with the old version's XML, and a vread of the old version still must.
/// </summary>
public sealed class XmlReadTests(FhirApiFactory factory) : IClassFixture<FhirApiFactory>
{
    private static HttpRequestMessage XmlGet(string url) => FhirTest.Request(HttpMethod.Get, url, null, ("Accept", FhirTest.XmlType));

    [Fact]
    public async System.Threading.Tasks.Task Reads_in_xml_follow_updates_while_each_version_keeps_its_own_xml()
    {
        var client = factory.CreateClient();
        var created = (Observation)await client.CreateAsync(FhirTest.PainScore(score: 6));
        var url = $"/fhir/Observation/{created.Id}";

        var first = await (await client.SendAsync(XmlGet(url))).ReadAs<Observation>();
        var again = await (await client.SendAsync(XmlGet(url))).ReadAs<Observation>();
        created.Value = new Integer(2);
        var update = await client.PutAsync(url, FhirTest.Json(created));
        Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        var afterUpdate = await client.SendAsync(XmlGet(url));
        var version1 = await (await client.SendAsync(XmlGet($"{url}/_history/1"))).ReadAs<Observation>();
        var version2 = await (await client.SendAsync(XmlGet($"{url}/_history/2"))).ReadAs<Observation>();

        Assert.Equal(6, ((Integer)first.Value).Value);
        Assert.Equal(6, ((Integer)again.Value).Value);
        Assert.Equal(FhirTest.XmlType, afterUpdate.Content.Headers.ContentType?.MediaType);
        Assert.Equal("W/\"2\"", afterUpdate.Headers.ETag?.ToString());
        var current = await afterUpdate.ReadAs<Observation>();
        Assert.Equal(2, ((Integer)current.Value).Value);
        Assert.Equal("2", current.Meta.VersionId);
        Assert.Equal(6, ((Integer)version1.Value).Value);
        Assert.Equal(2, ((Integer)version2.Value).Value);
    }

    [Fact]
    public async System.Threading.Tasks.Task Concurrent_xml_reads_of_one_version_all_get_the_same_complete_document()
    {
        var client = factory.CreateClient();
        var created = await client.CreateAsync(FhirTest.PainScore(score: 4));
        var url = $"/fhir/Observation/{created.Id}";

        var bodies = await System.Threading.Tasks.Task.WhenAll(Enumerable.Range(0, 40).Select(async _ =>
        {
            var response = await client.SendAsync(XmlGet(url));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await response.Content.ReadAsStringAsync();
        }));

        Assert.Single(bodies.Distinct());
        Assert.Contains("<Observation xmlns=\"http://hl7.org/fhir\">", bodies[0]);
        Assert.Contains("<valueInteger value=\"4\"", bodies[0]);
    }

    [Fact]
    public async System.Threading.Tasks.Task Pretty_xml_is_indented_and_plain_xml_is_not_whichever_is_asked_first()
    {
        var client = factory.CreateClient();
        var created = await client.CreateAsync(FhirTest.PainScore(score: 3));
        var url = $"/fhir/Observation/{created.Id}";

        var plain = await (await client.SendAsync(XmlGet(url))).Content.ReadAsStringAsync();
        var pretty = await (await client.SendAsync(XmlGet(url + "?_pretty=true"))).Content.ReadAsStringAsync();
        var plainAgain = await (await client.SendAsync(XmlGet(url))).Content.ReadAsStringAsync();

        Assert.DoesNotContain("\n", plain.Trim());
        Assert.Contains("\n", pretty.Trim());
        Assert.Equal(plain, plainAgain);
    }
}
