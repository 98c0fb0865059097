using FhirMbb.Api.Http;
using FhirMbb.Core.Rest;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Endpoints;

/// <summary>The CapabilityStatement: built from what the server actually maps, never more.</summary>
public static class MetadataEndpoints
{
    public static RouteGroupBuilder MapMetadataEndpoints(this RouteGroupBuilder fhir)
    {
        fhir.MapGet(FhirRoutes.Metadata, (HttpContext context, CapabilityStatementBuilder builder, FhirResponses responses) =>
            responses.WriteResourceAsync(context, builder.Build(FhirResponses.BaseUrl(context.Request))));
        return fhir;
    }
}

/// <summary>Assembles the CapabilityStatement from the interactions each part of the server registers.</summary>
public sealed class CapabilityStatementBuilder
{
    private static readonly CapabilityStatement.TypeRestfulInteraction[] ClinicalInteractions =
    [
        CapabilityStatement.TypeRestfulInteraction.Read,
        CapabilityStatement.TypeRestfulInteraction.Vread,
        CapabilityStatement.TypeRestfulInteraction.Update,
        CapabilityStatement.TypeRestfulInteraction.Delete,
        CapabilityStatement.TypeRestfulInteraction.HistoryInstance,
        CapabilityStatement.TypeRestfulInteraction.HistoryType,
        CapabilityStatement.TypeRestfulInteraction.Create,
    ];

    private readonly List<Action<CapabilityStatement>> _contributors = [];

    /// <summary>Later capabilities (search, operations, conformance types) add themselves here.</summary>
    public void Contribute(Action<CapabilityStatement> contributor) => _contributors.Add(contributor);

    public CapabilityStatement Build(string baseUrl)
    {
        var statement = new CapabilityStatement
        {
            Id = "fhirmbb",
            Url = "https://fhirmbb.org/fhir/CapabilityStatement/fhirmbb",
            Name = "FhirMbb",
            Title = "FhirMbb FHIR R4 server",
            Status = PublicationStatus.Active,
            Date = "2026-11-28",
            Publisher = "FhirMbb",
            Kind = CapabilityStatementKind.Instance,
            Software = new CapabilityStatement.SoftwareComponent { Name = "FhirMbb", Version = typeof(CapabilityStatementBuilder).Assembly.GetName().Version?.ToString() },
            Implementation = new CapabilityStatement.ImplementationComponent { Description = "FhirMbb", Url = baseUrl },
            FhirVersion = FHIRVersion.N4_0_1,
            Format = ["application/fhir+json", "application/fhir+xml", "json", "xml"],
        };
        var rest = new CapabilityStatement.RestComponent { Mode = CapabilityStatement.RestfulCapabilityMode.Server };
        foreach (var type in ResourceTypes.Writable)
        {
            var resource = new CapabilityStatement.ResourceComponent
            {
                Type = type,
                Versioning = CapabilityStatement.ResourceVersionPolicy.VersionedUpdate,
                ReadHistory = true,
                UpdateCreate = true,
                ConditionalCreate = true,
                ConditionalUpdate = true,
                // Several matches are deleted together only when the client asks with _count (up to Fhir:MaxConditionalDeletes).
                ConditionalDelete = CapabilityStatement.ConditionalDeleteStatus.Multiple,
                ConditionalRead = CapabilityStatement.ConditionalReadStatus.NotSupported,
            };
            foreach (var interaction in ClinicalInteractions)
                resource.Interaction.Add(new CapabilityStatement.ResourceInteractionComponent { Code = interaction });
            rest.Resource.Add(resource);
        }
        rest.Interaction.Add(new CapabilityStatement.SystemInteractionComponent { Code = CapabilityStatement.SystemRestfulInteraction.HistorySystem });
        statement.Rest.Add(rest);
        foreach (var contribute in _contributors) contribute(statement);
        return statement;
    }
}
