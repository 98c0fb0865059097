using System.Net;
using FhirMbb.Api.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Tests;

/// <summary>Two FhirMbb processes on one SQLite file, as two instances behind a load balancer would share a database.</summary>
public sealed class TwoInstancesOnOneDatabase : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "fhirmbb-multi", Guid.NewGuid().ToString("N"));

    public FhirApiProcess First { get; private set; } = null!;

    public FhirApiProcess Second { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        var connection = $"Data Source={Path.Combine(_directory, "shared.db")}";
        // Started together on purpose: both run the schema migration against one fresh file.
        var started = await Task.WhenAll(FhirApiProcess.StartAsync(connection), FhirApiProcess.StartAsync(connection));
        (First, Second) = (started[0], started[1]);
    }

    public async Task DisposeAsync()
    {
        if (First is not null) await First.DisposeAsync();
        if (Second is not null) await Second.DisposeAsync();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { /* best effort */ }
    }
}

/// <summary>
/// The multi-instance design checked on the engine we have: the database, not a lock inside one process,
/// decides who wins. (Conditional creates across instances: ConditionalAcrossInstancesTests.)
/// </summary>
public sealed class MultiInstanceTests(TwoInstancesOnOneDatabase instances) : IClassFixture<TwoInstancesOnOneDatabase>
{
    private HttpClient Instance(int i) => i % 2 == 0 ? instances.First.Client : instances.Second.Client;

    [Fact]
    public async Task Both_instances_are_ready_on_the_shared_database()
    {
        // Readiness includes the validator, which warms in the background for several seconds.
        foreach (var client in new[] { instances.First.Client, instances.Second.Client })
        {
            Assert.Equal(HttpStatusCode.OK, (await client.WaitUntilReadyAsync()).StatusCode);
        }
    }

    [Fact]
    public async Task A_resource_written_through_one_instance_reads_back_through_the_other()
    {
        var created = await instances.First.Client.CreateAsync(FhirTest.PainScore(score: 4));

        var read = await instances.Second.Client.GetAsync($"/fhir/Observation/{created.Id}");

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal("1", (await read.ReadAs<Observation>()).Meta.VersionId);
    }

    [Fact]
    public async Task Concurrent_puts_with_the_same_if_match_across_instances_let_exactly_one_win()
    {
        var created = (Observation)await instances.First.Client.CreateAsync(FhirTest.PainScore(score: 8));
        const int writers = 16;
        using var start = new ManualResetEventSlim(false);

        var tasks = Enumerable.Range(0, writers).Select(i => Task.Run(async () =>
        {
            var copy = (Observation)created.DeepCopy();
            copy.Value = new Integer(i % 11);
            var request = FhirTest.Request(HttpMethod.Put, $"/fhir/Observation/{created.Id}", FhirTest.Json(copy), ("If-Match", "W/\"1\""));
            start.Wait();
            return (await Instance(i).SendAsync(request)).StatusCode;
        })).ToList();
        start.Set();
        var statuses = await Task.WhenAll(tasks);

        Assert.Equal(1, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(writers - 1, statuses.Count(s => s == HttpStatusCode.PreconditionFailed));
        var history = await (await instances.Second.Client.GetAsync($"/fhir/Observation/{created.Id}/_history")).ReadAs<Bundle>();
        Assert.Equal(2, history.Entry.Count);
    }

    [Fact]
    public async Task Concurrent_puts_without_if_match_across_instances_keep_every_version()
    {
        var created = (Observation)await instances.Second.Client.CreateAsync(FhirTest.PainScore(score: 2));
        const int writers = 20;
        using var start = new ManualResetEventSlim(false);

        var tasks = Enumerable.Range(0, writers).Select(i => Task.Run(async () =>
        {
            var copy = (Observation)created.DeepCopy();
            copy.Note = [new Annotation { Text = $"writer {i}" }];
            start.Wait();
            return (await Instance(i).PutAsync($"/fhir/Observation/{created.Id}", FhirTest.Json(copy))).StatusCode;
        })).ToList();
        start.Set();
        var statuses = await Task.WhenAll(tasks);

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        var current = await (await instances.First.Client.GetAsync($"/fhir/Observation/{created.Id}")).ReadAs<Observation>();
        Assert.Equal((writers + 1).ToString(), current.Meta.VersionId);
        var history = await (await instances.Second.Client.GetAsync($"/fhir/Observation/{created.Id}/_history?_count=100")).ReadAs<Bundle>();
        Assert.Equal(writers + 1, history.Entry.Count);
        var notes = history.Entry.Select(e => ((Observation)e.Resource).Note.FirstOrDefault()?.Text).Where(n => n is not null).ToHashSet();
        Assert.Equal(writers, notes.Count); // no instance's write was lost
    }
}
