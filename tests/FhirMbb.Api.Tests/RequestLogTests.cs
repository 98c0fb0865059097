using System.Collections.Concurrent;
using FhirMbb.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FhirMbb.Api.Tests;

public sealed class RequestLogTests(RequestLogTests.LogCapturingFactory factory) : IClassFixture<RequestLogTests.LogCapturingFactory>
{
    public sealed class LogCapturingFactory : FhirApiFactory
    {
        public ConcurrentQueue<(string Category, IReadOnlyList<KeyValuePair<string, object?>> State)> Entries { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(services => services.AddSingleton<ILoggerProvider>(new CapturingProvider(Entries)));
        }
    }

    private sealed class CapturingProvider(ConcurrentQueue<(string, IReadOnlyList<KeyValuePair<string, object?>>)> sink) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, sink);
        public void Dispose() { }
    }

    private sealed class CapturingLogger(string category, ConcurrentQueue<(string, IReadOnlyList<KeyValuePair<string, object?>>)> sink) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (state is IReadOnlyList<KeyValuePair<string, object?>> fields) sink.Enqueue((category, fields));
        }
    }

    [Fact]
    public async Task Each_request_is_logged_with_method_path_status_duration_and_correlation_id()
    {
        var client = factory.CreateClient();
        await client.SendAsync(FhirTest.Request(HttpMethod.Get, "/fhir/Patient/nobody", null, ("X-Correlation-Id", "log-check-1")));

        var entry = (await LoggedAsync("log-check-1")).Single();
        Assert.Equal("GET", entry["Method"]);
        Assert.Equal("/fhir/Patient/nobody", entry["Path"]);
        Assert.Equal(404, entry["Status"]);
        Assert.IsType<double>(entry["DurationMs"]);
    }

    [Fact]
    public async Task Every_one_of_many_concurrent_requests_gets_its_own_log_line()
    {
        var client = factory.CreateClient();
        var ids = Enumerable.Range(0, 64).Select(i => $"log-burst-{i}").ToList();

        var responses = await Task.WhenAll(ids.Select(id =>
            client.SendAsync(FhirTest.Request(HttpMethod.Get, $"/fhir/Patient/{id}", null, ("X-Correlation-Id", id)))));

        Assert.All(responses, r => Assert.Equal(System.Net.HttpStatusCode.NotFound, r.StatusCode));
        foreach (var id in ids)
        {
            var entry = (await LoggedAsync(id)).Single();
            Assert.Equal($"/fhir/Patient/{id}", entry["Path"]);
        }
    }

    [Fact]
    public async Task Requests_without_a_correlation_id_each_get_a_distinct_32_hex_digit_one_that_is_logged()
    {
        var client = factory.CreateClient();

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => client.GetAsync("/fhir/Patient/no-id-given")));

        var ids = responses.Select(r => r.Headers.GetValues("X-Correlation-Id").Single()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Matches("^[0-9a-f]{32}$", id));
        Assert.Single(await LoggedAsync(ids[^1]));
    }

    // The line is written by a background loop shortly after the response; wait for it rather than race it.
    private async Task<List<Dictionary<string, object?>>> LoggedAsync(string correlationId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var found = factory.Entries.Select(e => e.State.ToDictionary(kv => kv.Key, kv => kv.Value))
                .Where(fields => fields.TryGetValue("CorrelationId", out var id) && (string?)id == correlationId)
                .ToList();
            if (found.Count > 0 || DateTime.UtcNow > deadline) return found;
            await Task.Delay(20);
        }
    }
}
