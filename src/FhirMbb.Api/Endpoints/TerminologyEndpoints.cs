using FhirMbb.Api.Http;
using FhirMbb.Core;
using FhirMbb.Core.Conformance;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Endpoints;

/// <summary>$expand, $validate-code, $lookup and $translate over the published terminology.</summary>
public static class TerminologyEndpoints
{
    public static RouteGroupBuilder MapTerminologyEndpoints(this RouteGroupBuilder fhir)
    {
        Map(fhir, "/ValueSet/$expand", Expand);
        Map(fhir, "/ValueSet/{id}/$expand", Expand);
        Map(fhir, "/ValueSet/$validate-code", ValidateCode);
        Map(fhir, "/ValueSet/{id}/$validate-code", ValidateCode);
        Map(fhir, "/CodeSystem/$lookup", Lookup);
        Map(fhir, "/CodeSystem/$validate-code", CodeSystemValidateCode);
        Map(fhir, "/ConceptMap/$translate", Translate);
        Map(fhir, "/ConceptMap/{id}/$translate", Translate);
        return fhir;
    }

    public static void Describe(CapabilityStatement statement)
    {
        void Add(string type, string name, string definition) =>
            statement.Rest[0].Resource.First(r => r.Type == type).Operation.Add(new CapabilityStatement.OperationComponent { Name = name, Definition = definition });
        Add("ValueSet", "expand", "http://hl7.org/fhir/OperationDefinition/ValueSet-expand");
        Add("ValueSet", "validate-code", "http://hl7.org/fhir/OperationDefinition/ValueSet-validate-code");
        Add("CodeSystem", "lookup", "http://hl7.org/fhir/OperationDefinition/CodeSystem-lookup");
        Add("CodeSystem", "validate-code", "http://hl7.org/fhir/OperationDefinition/CodeSystem-validate-code");
        Add("ConceptMap", "translate", "http://hl7.org/fhir/OperationDefinition/ConceptMap-translate");
    }

    private delegate Task<Resource> Operation(OperationParameters input, string? id, LocalTerminology terminology, ConformanceCatalog catalog, CancellationToken ct);

    private static void Map(RouteGroupBuilder fhir, string route, Operation operation)
    {
        async Task Handle(HttpContext context, LocalTerminology terminology, ConformanceCatalog catalog, FhirRequestReader reader, FhirResponses responses)
        {
            FhirNegotiation.ResponseFormat(context);
            var input = await OperationParameters.ReadAsync(context, reader);
            var id = context.Request.RouteValues["id"] as string;
            try
            {
                await responses.WriteResourceAsync(context, await operation(input, id, terminology, catalog, context.RequestAborted));
            }
            catch (TerminologyResourceNotFoundException e)
            {
                throw FhirOperationException.NotFound(e.Message);
            }
        }
        fhir.MapGet(route, Handle);
        fhir.MapPost(route, Handle);
    }

    /// <summary>The canonical URL of the instance at [id], or the url parameter at type level.</summary>
    private static string Canonical<T>(OperationParameters input, string? id, ConformanceCatalog catalog, string parameter = "url") where T : Resource, IVersionableConformanceResource
    {
        if (id is null) return input.Require(parameter);
        var resource = catalog.FindById(typeof(T).Name, id) as T ?? throw FhirOperationException.NotFound($"{typeof(T).Name}/{id} is not published by this server");
        return resource.Url;
    }

    private static async Task<Resource> Expand(OperationParameters input, string? id, LocalTerminology terminology, ConformanceCatalog catalog, CancellationToken ct) =>
        await terminology.ExpandAsync(Canonical<ValueSet>(input, id, catalog));

    private static async Task<Resource> ValidateCode(OperationParameters input, string? id, LocalTerminology terminology, ConformanceCatalog catalog, CancellationToken ct)
    {
        var (system, code, display) = CodeOf(input);
        return await terminology.ValidateCodeAsync(Canonical<ValueSet>(input, id, catalog), system, code, display, ct);
    }

    private static async Task<Resource> CodeSystemValidateCode(OperationParameters input, string? id, LocalTerminology terminology, ConformanceCatalog catalog, CancellationToken ct)
    {
        var (system, code, _) = CodeOf(input);
        return await terminology.ValidateCodeInCodeSystemAsync(input["url"] ?? system ?? throw FhirOperationException.BadRequest("Parameter 'url' is required"), code);
    }

    private static async Task<Resource> Lookup(OperationParameters input, string? id, LocalTerminology terminology, ConformanceCatalog catalog, CancellationToken ct)
    {
        var (system, code, _) = CodeOf(input);
        return await terminology.LookupAsync(system ?? throw FhirOperationException.BadRequest("Parameter 'system' is required"), code);
    }

    private static Task<Resource> Translate(OperationParameters input, string? id, LocalTerminology terminology, ConformanceCatalog catalog, CancellationToken ct)
    {
        var (system, code, _) = CodeOf(input);
        var url = Canonical<ConceptMap>(input, id, catalog);
        return Task.FromResult<Resource>(terminology.Translate(url, system ?? throw FhirOperationException.BadRequest("Parameter 'system' is required"), code,
            input["targetsystem"] ?? input["targetSystem"]));
    }

    /// <summary>system, code and display, given one by one or as a Coding.</summary>
    private static (string? System, string Code, string? Display) CodeOf(OperationParameters input)
    {
        if (input.Value("coding") is Coding coding && coding.Code is not null) return (coding.System, coding.Code, coding.Display);
        return (input["system"], input.Require("code"), input["display"]);
    }
}
