using System.Net;
using FhirMbb.Api.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Tests;

/// <summary>The README's walkthrough files store cleanly and give the answers the README shows.</summary>
public sealed class WalkthroughTests(FhirApiFactory factory) : IClassFixture<FhirApiFactory>
{
    [Fact]
    public async Task The_readme_walkthrough_is_eligible_under_single_block_50_and_not_under_dual_block_80()
    {
        var client = factory.CreateClient();
        string[] order = ["patient", "indication", "block", "jane-baseline", "jane-diary-1", "jane-diary-2", "jane-diary-3"];
        foreach (var name in order)
        {
            var json = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "walkthrough", name + ".json"));
            var resource = FhirMbb.Core.Serialization.FhirSerialization.Shared.ParseJson(System.Text.Encoding.UTF8.GetBytes(json));
            var response = await client.PutAsync($"/fhir/{resource.TypeName}/{resource.Id}", FhirTest.Json(json));
            Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"{name}: {await response.Content.ReadAsStringAsync()}");
        }

        var single = new BlockAnswer(await (await client.GetAsync("/fhir/Procedure/jane-block-1/$evaluate-block")).ReadAs<Parameters>());
        var dual = new BlockAnswer(await (await client.GetAsync("/fhir/Procedure/jane-block-1/$evaluate-block?policy=dual-block-80")).ReadAs<Parameters>());

        Assert.Equal("eligible", single.Outcome);
        Assert.Equal(75m, single.PeakRelief());
        Assert.Equal(["L3-MB", "L4-MB"], single.RfaTargets.Order());
        Assert.Equal("not-eligible", dual.Outcome);
        Assert.Equal(["relief-below-threshold", "second-block-required"], dual.Reasons.Order());
    }
}
