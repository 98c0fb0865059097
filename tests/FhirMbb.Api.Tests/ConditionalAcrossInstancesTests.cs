using System.Net;
using FhirMbb.Api.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Tests;

/// <summary>
/// Conditional-create uniqueness across two server processes on one SQLite file: no lock inside a process can
/// decide this, only the database's unique key.
/// </summary>
public sealed class ConditionalAcrossInstancesTests(TwoInstancesOnOneDatabase instances) : IClassFixture<TwoInstancesOnOneDatabase>
{
    [Fact]
    public async Task Concurrent_identical_conditional_creates_through_two_processes_leave_exactly_one_resource()
    {
        var mrn = Guid.NewGuid().ToString("N");
        var criteria = $"identifier=https://hospital.example/mrn|{mrn}";
        using var start = new ManualResetEventSlim(false);
        var tasks = Enumerable.Range(0, 40).Select(i => Task.Run(async () =>
        {
            var patient = FhirTest.Patient($"Racer{i}");
            patient.Identifier = [new Identifier("https://hospital.example/mrn", mrn)];
            var request = FhirTest.Request(HttpMethod.Post, "/fhir/Patient", FhirTest.Json(patient), ("If-None-Exist", criteria));
            start.Wait();
            var response = await (i % 2 == 0 ? instances.First.Client : instances.Second.Client).SendAsync(request);
            return (response.StatusCode, Location: response.Headers.Location?.AbsolutePath);
        })).ToList();
        start.Set();
        var answers = await Task.WhenAll(tasks);

        var found = await (await instances.Second.Client.GetAsync($"/fhir/Patient?{criteria}")).ReadAs<Bundle>();
        var stored = Assert.Single(found.Entry).Resource;
        Assert.All(answers, a => Assert.Contains(a.StatusCode, new[] { HttpStatusCode.Created, HttpStatusCode.OK }));
        Assert.Equal(1, answers.Count(a => a.StatusCode == HttpStatusCode.Created));
        Assert.All(answers, a => Assert.Equal($"/fhir/Patient/{stored.Id}/_history/1", a.Location));
    }
}
