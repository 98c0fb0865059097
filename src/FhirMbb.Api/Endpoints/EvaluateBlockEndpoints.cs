using FhirMbb.Api.Http;
using FhirMbb.Api.Security;
using FhirMbb.Core.Security;
using FhirMbb.Core.Serialization;
using FhirMbb.Core;
using FhirMbb.Core.Evaluation;
using FhirMbb.Core.Rest;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Endpoints;

/// <summary>
/// <c>$evaluate-block</c>: RFA eligibility of a block (instance level) or of a patient's latest block
/// (type level). Maps Parameters in and out; the engine and the evidence gathering live in Core.
/// </summary>
public static class EvaluateBlockEndpoints
{
    public const string Name = "evaluate-block";
    public const string InstanceRoute = "/Procedure/{id}/$" + Name;
    public const string TypeRoute = "/Procedure/$" + Name;

    public static RouteGroupBuilder MapEvaluateBlockEndpoints(this RouteGroupBuilder fhir)
    {
        fhir.MapGet(InstanceRoute, Instance);
        fhir.MapPost(InstanceRoute, Instance);
        fhir.MapGet(TypeRoute, TypeLevel);
        fhir.MapPost(TypeRoute, TypeLevel);
        return fhir;
    }

    public static void Describe(CapabilityStatement statement)
    {
        var procedure = statement.Rest[0].Resource.First(r => r.Type == "Procedure");
        procedure.Operation.Add(new CapabilityStatement.OperationComponent { Name = Name, Definition = Canonicals.Operations.EvaluateBlock });
    }

    private static async Task Instance(HttpContext context, string id, EvaluateBlockService service, ResourceService resources,
        FhirRequestReader reader, FhirResponses responses, FhirSerialization serialization)
    {
        ResourceService.RequireId(id);
        FhirNegotiation.ResponseFormat(context);
        var input = await OperationInput.ReadAsync(context, reader);
        var decisions = context.RequireOperationAccess(OperationAccess.EvaluateBlock(input.Persist));
        // A compartment token evaluates only a block it may read; the evidence is then gathered from that same patient.
        if (decisions.Any(d => !d.IsUnrestricted))
            await ResourceGuard.RequireReadableAsync(context, "Procedure", id, Interaction.Read, resources, serialization);
        var answer = await service.EvaluateProcedureAsync(id, input.Policy, context.RequestAborted);
        await AnswerAsync(context, answer, input, resources, responses);
    }

    private static async Task TypeLevel(HttpContext context, EvaluateBlockService service, ResourceService resources,
        FhirRequestReader reader, FhirResponses responses)
    {
        FhirNegotiation.ResponseFormat(context);
        var input = await OperationInput.ReadAsync(context, reader);
        var decisions = context.RequireOperationAccess(OperationAccess.EvaluateBlock(input.Persist));
        foreach (var decision in decisions.Where(d => !d.IsUnrestricted))
            if (!decision.InCompartment(PatientCompartment.ReferencedPatient(new ResourceReference(input.Patient))))
                throw FhirOperationException.NotFound($"{input.Patient} is not known");
        var answer = await service.EvaluatePatientAsync(input.Patient, input.Policy, context.RequestAborted);
        await AnswerAsync(context, answer, input, resources, responses);
    }

    private static async Task AnswerAsync(HttpContext context, BlockEvaluationAnswer answer, OperationInput input,
        ResourceService resources, FhirResponses responses)
    {
        ResourceReference? stored = null;
        if (input.Persist)
        {
            // The outcome's id is derived from policy + block, so evaluating again updates it in place.
            var observation = answer.OutcomeObservation;
            var written = await resources.UpdateAsync("Observation", observation.Id!, observation, ifMatch: null, context.RequestAborted);
            stored = new ResourceReference($"Observation/{written.Stored.Id}");
        }
        await responses.WriteResourceAsync(context, answer.ToParameters(stored));
    }

    /// <summary>The operation's inputs, from a Parameters body (POST) or the query string (GET or POST without a body).</summary>
    private sealed record OperationInput(string? Policy, bool Persist, string? Patient)
    {
        public static async Task<OperationInput> ReadAsync(HttpContext context, FhirRequestReader reader)
        {
            var query = context.Request.Query;
            string? policy = NonEmpty(query["policy"]);
            string? persist = NonEmpty(query["persist"]);
            string? patient = NonEmpty(query["patient"]);

            if (HttpMethods.IsPost(context.Request.Method) && (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0))
            {
                var body = await reader.ReadResourceAsync(context.Request, context.RequestAborted);
                if (body is not Parameters parameters)
                    throw FhirOperationException.BadRequest($"$evaluate-block takes a Parameters resource, not a {body.TypeName}");
                foreach (var parameter in parameters.Parameter)
                {
                    switch (parameter.Name)
                    {
                        case "policy":
                            policy = parameter.Value switch
                            {
                                Code c => c.Value,
                                FhirString s => s.Value,
                                _ => throw FhirOperationException.BadRequest("Parameter 'policy' must be a code"),
                            };
                            break;
                        case "persist":
                            persist = parameter.Value is FhirBoolean { Value: { } flag }
                                ? (flag ? "true" : "false")
                                : throw FhirOperationException.BadRequest("Parameter 'persist' must be a boolean");
                            break;
                        case "patient":
                            patient = parameter.Value is ResourceReference { Reference: { } reference }
                                ? reference
                                : throw FhirOperationException.BadRequest("Parameter 'patient' must be a Reference to a Patient");
                            break;
                        default:
                            throw FhirOperationException.BadRequest($"$evaluate-block has no parameter '{parameter.Name}'");
                    }
                }
            }

            var persistFlag = persist switch
            {
                null or "false" => false,
                "true" => true,
                _ => throw FhirOperationException.BadRequest($"persist must be true or false, not '{persist}'"),
            };
            return new OperationInput(policy, persistFlag, patient);
        }

        private static string? NonEmpty(Microsoft.Extensions.Primitives.StringValues value) =>
            string.IsNullOrWhiteSpace(value.ToString()) ? null : value.ToString();
    }
}
