using System.Net;
using FhirMbb.Api.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Tests;

/// <summary>Real parallel requests against one resource: the database decides who wins.</summary>
public sealed class ConcurrencyTests(FhirApiFactory factory) : IClassFixture<FhirApiFactory>
{
    [Fact]
    public async Task Concurrent_puts_with_the_same_if_match_let_exactly_one_win()
    {
        var client = factory.CreateClient();
        var created = (Observation)await client.CreateAsync(FhirTest.PainScore(score: 8));
        const int writers = 16;
        using var start = new ManualResetEventSlim(false);

        var tasks = Enumerable.Range(0, writers).Select(i => Task.Run(async () =>
        {
            var copy = (Observation)created.DeepCopy();
            copy.Value = new Integer(i % 11);
            var request = FhirTest.Request(HttpMethod.Put, $"/fhir/Observation/{created.Id}", FhirTest.Json(copy), ("If-Match", "W/\"1\""));
            start.Wait();
            return (await factory.CreateClient().SendAsync(request)).StatusCode;
        })).ToList();
        start.Set();
        var statuses = await Task.WhenAll(tasks);

        Assert.Equal(1, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(writers - 1, statuses.Count(s => s == HttpStatusCode.PreconditionFailed));
        var history = await (await client.GetAsync($"/fhir/Observation/{created.Id}/_history")).ReadAs<Bundle>();
        Assert.Equal(2, history.Entry.Count);
    }

    [Fact]
    public async Task Concurrent_puts_without_if_match_all_succeed_and_every_version_is_kept()
    {
        var client = factory.CreateClient();
        var created = (Observation)await client.CreateAsync(FhirTest.PainScore(score: 2));
        const int writers = 20;

        var statuses = await Task.WhenAll(Enumerable.Range(0, writers).Select(i => Task.Run(async () =>
        {
            var copy = (Observation)created.DeepCopy();
            copy.Note = [new Annotation { Text = $"writer {i}" }];
            return (await factory.CreateClient().PutAsync($"/fhir/Observation/{created.Id}", FhirTest.Json(copy))).StatusCode;
        })));

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        var current = await (await client.GetAsync($"/fhir/Observation/{created.Id}")).ReadAs<Observation>();
        Assert.Equal((writers + 1).ToString(), current.Meta.VersionId);
        var history = await (await client.GetAsync($"/fhir/Observation/{created.Id}/_history?_count=100")).ReadAs<Bundle>();
        Assert.Equal(writers + 1, history.Entry.Count);
        var notes = history.Entry.Select(e => ((Observation)e.Resource).Note.FirstOrDefault()?.Text).Where(n => n is not null).ToHashSet();
        Assert.Equal(writers, notes.Count); // no writer's version was lost
    }
}
