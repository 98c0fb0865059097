using FhirMbb.Api.Endpoints;
using FhirMbb.Core.Serialization;

namespace FhirMbb.Api.Hosting;

/// <summary>
/// Builds the FHIR serializers in the background once the server listens, so start-up and reads of
/// stored JSON never wait for the model inspection; /readyz reports "serialization" until it is done.
/// </summary>
public sealed class SerializationWarmUp(FhirSerialization serialization) : BackgroundService, IReadinessCheck
{
    public string Name => "serialization";

    public bool IsReady => serialization.IsWarm;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Run(serialization.Warm, stoppingToken);
}
