using FhirMbb.Core.Conformance;
using Hl7.Fhir.Model;
using Hl7.Fhir.Specification.Terminology;

namespace FhirMbb.Core.Tests.Conformance;

/// <summary>
/// The validator's binding checks reach Firely's local terminology service one at a time (its expander fills a shared
/// ValueSet in place), and each question only once.
/// </summary>
public sealed class CachedCodeValidationTests
{
    /// <summary>A terminology service that takes a while over each question and counts how many it has at once.</summary>
    private sealed class SlowService : ICodeValidationTerminologyService
    {
        private int _inside;
        public int MostAtOnce;
        public int Asked;

        public async Task<Parameters> ValueSetValidateCode(Parameters parameters, string? id = null, bool useGet = false)
        {
            var now = Interlocked.Increment(ref _inside);
            Interlocked.Increment(ref Asked);
            lock (this) MostAtOnce = Math.Max(MostAtOnce, now);
            await System.Threading.Tasks.Task.Delay(5);
            Interlocked.Decrement(ref _inside);
            return new Parameters().Add("result", new FhirBoolean(true));
        }

        public Task<Parameters> Subsumes(Parameters parameters, string? id = null, bool useGet = false) => throw new NotSupportedException();
    }

    private static Parameters Question(int code) =>
        new Parameters().Add("url", new FhirUri("https://example.org/ValueSet/x")).Add("code", new Code($"c{code % 8}"));

    [Fact]
    public async System.Threading.Tasks.Task Concurrent_checks_reach_the_service_one_at_a_time_and_each_question_once()
    {
        var service = new SlowService();
        var cached = new CachedCodeValidation(service);
        var answers = await System.Threading.Tasks.Task.WhenAll(Enumerable.Range(0, 64).Select(i => System.Threading.Tasks.Task.Run(() => cached.ValueSetValidateCode(Question(i)))));
        Assert.All(answers, a => Assert.True(((FhirBoolean)a.GetSingleValue<FhirBoolean>("result")!).Value));
        Assert.Equal(1, service.MostAtOnce);
        Assert.Equal(8, service.Asked);
    }
}
