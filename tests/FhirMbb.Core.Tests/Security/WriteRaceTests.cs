using FhirMbb.Core.Rest;
using FhirMbb.Core.Security;
using FhirMbb.Core.Serialization;
using FhirMbb.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Tests.Security;

/// <summary>The access check of an update runs on the version the store actually replaces, even after a lost race.</summary>
public sealed class WriteRaceTests
{
    /// <summary>A store where another writer moves the resource to another patient just before our first write lands.</summary>
    private sealed class RacingStore(StoredResource mine, StoredResource movedAway) : IResourceStore
    {
        private StoredResource _current = mine;
        public int Writes { get; private set; }

        public Task<StoredResource?> ReadAsync(string type, string id, CancellationToken cancellationToken = default) =>
            Task.FromResult<StoredResource?>(_current);

        public Task<bool> TryWriteAsync(ResourceWrite write, CancellationToken cancellationToken = default)
        {
            Writes++;
            if (Writes == 1)
            {
                _current = movedAway;
                return Task.FromResult(false);
            }
            return Task.FromResult(write.ExpectedVersion == _current.Version);
        }

        public async Task<int> TryWriteAllAsync(IReadOnlyList<ResourceWrite> writes, CancellationToken cancellationToken = default)
        {
            for (var i = 0; i < writes.Count; i++)
                if (!await TryWriteAsync(writes[i], cancellationToken)) return i;
            return -1;
        }

        public Task<StoredResource?> ReadVersionAsync(string type, string id, int version, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<HistoryPage> HistoryAsync(HistoryQuery query, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<IReadOnlyList<StoredResource>> ListForPatientAsync(string type, string patientId, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<bool> IsReadyAsync(CancellationToken cancellationToken = default) => Task.FromResult(true);
    }

    private static Observation Score(string patient) => new()
    {
        Id = "o1",
        Status = ObservationStatus.Final,
        Code = new CodeableConcept("http://loinc.org", "72514-3"),
        Subject = new ResourceReference($"Patient/{patient}"),
    };

    [Fact]
    public async Task An_update_whose_target_moves_to_another_patient_mid_write_is_refused()
    {
        var serialization = FhirSerialization.Shared;
        var mine = new StoredResource("Observation", "o1", 1, DateTimeOffset.UtcNow, false, serialization.ToJsonBytes(Score("p1")), 1, "p1");
        var moved = new StoredResource("Observation", "o1", 2, DateTimeOffset.UtcNow, false, serialization.ToJsonBytes(Score("p2")), 2, "p2");
        var store = new RacingStore(mine, moved);
        var service = new ResourceService(store, serialization, [], TimeProvider.System);
        var decision = AccessPolicy.ForToken(["patient/Observation.ru"], "p1").Require("Observation", Interaction.Update);

        var refused = await Assert.ThrowsAsync<FhirOperationException>(() => service.UpdateAsync("Observation", "o1", Score("p1"), null,
            replaced => { if (replaced is not null) decision.RequireWritable(replaced, serialization); }));

        Assert.Equal(403, refused.Status);
        Assert.Equal(1, store.Writes);
    }
}
