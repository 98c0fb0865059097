using FhirMbb.Core.Evaluation;
using FhirMbb.Core.Serialization;
using FhirMbb.Core.Storage;
using FhirMbb.Data.Sqlite;
using FhirMbb.Testing;
using Hl7.Fhir.Model;

namespace FhirMbb.Data.Tests;

/// <summary>
/// The evidence source keeps what it made of each stored version. Its answers must be those of a fresh read: after
/// updates and deletions, and when the cache is emptied between listing a version (without its JSON) and using it.
/// </summary>
public sealed class EvidenceCacheTests : IDisposable
{
    private readonly SqliteTestFolder _folder = new();
    private readonly SqliteResourceStore _store;
    private static readonly FhirSerialization Serialization = FhirSerialization.Shared;

    public EvidenceCacheTests()
    {
        _store = new SqliteResourceStore(_folder.ConnectionString());
    }

    private async Task<bool> WriteScoreAsync(string id, int version, int value, bool delete = false)
    {
        var score = MbbBuilders.PainScore(o =>
        {
            o.Id = id;
            o.Subject = new ResourceReference("Patient/p1");
            o.Effective = new FhirDateTime(new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero).AddMinutes(version * 100 + value));
            o.Value = new Integer(value);
        });
        score.Meta = new Meta { VersionId = version.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        return await _store.TryWriteAsync(new ResourceWrite("Observation", id, version, version == 1 ? null : version - 1, DateTimeOffset.UtcNow,
            delete ? null : Serialization.ToJsonBytes(score), "p1"));
    }

    /// <summary>The scores as one evaluation reads them: the service asks for Procedures, scores, then Conditions.</summary>
    private static async Task<IReadOnlyList<PainScore>> EvaluateAsync(StoreBlockEvidenceSource source, string patient = "p1")
    {
        await source.GetPatientBlocksAsync(patient, default);
        var scores = await source.GetPatientPainScoresAsync(patient, default);
        await source.GetPatientConditionsAsync(patient, default);
        return scores;
    }

    private static string Describe(IEnumerable<PainScore> scores) =>
        string.Join(";", scores.OrderBy(s => s.Id, StringComparer.Ordinal).Select(s => $"{s.Id}={s.Value}@{s.At:O}"));

    [Theory]
    [InlineData(StoreBlockEvidenceSource.DefaultCapacity)]
    [InlineData(3)] // emptied several times in every listing of ten
    public async Task Kept_pain_scores_answer_as_a_fresh_read_through_updates_and_deletions(int capacity)
    {
        var kept = new StoreBlockEvidenceSource(_store, Serialization, capacity);
        for (var i = 0; i < 10; i++) Assert.True(await WriteScoreAsync($"s{i}", 1, i % 11));

        async Task SameAsFreshAsync()
        {
            var fresh = new StoreBlockEvidenceSource(_store, Serialization);
            var expected = Describe(await EvaluateAsync(fresh));
            Assert.Equal(expected, Describe(await EvaluateAsync(kept)));
            Assert.Equal(expected, Describe(await EvaluateAsync(kept)));
            Assert.Equal(expected, Describe(await EvaluateAsync(kept)));
        }

        await SameAsFreshAsync();
        Assert.Equal(10, (await EvaluateAsync(kept)).Count);
        Assert.True(await WriteScoreAsync("s2", 2, 9));
        Assert.True(await WriteScoreAsync("s5", 2, 0, delete: true));
        await SameAsFreshAsync();
        var after = await EvaluateAsync(kept);
        Assert.Equal(9, after.Count);
        Assert.Equal(9m, after.Single(s => s.Id == "s2").Value);
        Assert.InRange(kept.KeptCount, 1, Math.Max(capacity, 1));
    }

    [Fact]
    public async Task Concurrent_evaluations_share_the_cache_while_it_is_emptied_again_and_again()
    {
        for (var i = 0; i < 12; i++) Assert.True(await WriteScoreAsync($"c{i}", 1, i % 11));
        var expected = Describe(await EvaluateAsync(new StoreBlockEvidenceSource(_store, Serialization)));
        var shared = new StoreBlockEvidenceSource(_store, Serialization, capacity: 5);

        var answers = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            var seen = new List<string>();
            for (var n = 0; n < 50; n++) seen.Add(Describe(await EvaluateAsync(shared)));
            return seen;
        })));

        Assert.All(answers.SelectMany(a => a), answer => Assert.Equal(expected, answer));
    }

    [Fact]
    public async Task A_patient_is_kept_from_a_second_evaluation_among_the_recent_ones()
    {
        for (var i = 0; i < 4; i++) Assert.True(await WriteScoreAsync($"k{i}", 1, i));
        var source = new StoreBlockEvidenceSource(_store, Serialization);

        await EvaluateAsync(source);
        Assert.Equal(0, source.KeptCount);
        await EvaluateAsync(source);
        Assert.Equal(4, source.KeptCount);

        // Evaluated once each, more patients than are remembered: none of theirs is kept.
        var others = new StoreBlockEvidenceSource(_store, Serialization);
        for (var n = 0; n < StoreBlockEvidenceSource.RecentPatients + 1; n++)
            await EvaluateAsync(others, n == 0 ? "p1" : $"other{n}");
        await EvaluateAsync(others);
        Assert.Equal(0, others.KeptCount);
    }

    public void Dispose()
    {
        _store.Dispose();
        _folder.Dispose();
    }
}
