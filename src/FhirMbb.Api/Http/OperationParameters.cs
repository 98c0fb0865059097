using FhirMbb.Core;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Http;

/// <summary>
/// The inputs of an operation, from the query string and, on POST, a Parameters body (or a bare
/// resource, for operations such as $validate that take one).
/// </summary>
public sealed class OperationParameters
{
    private readonly Dictionary<string, DataType> _values = new(StringComparer.Ordinal);

    public Resource? Resource { get; private set; }

    public string? this[string name] => _values.TryGetValue(name, out var value) ? Text(value) : null;

    public DataType? Value(string name) => _values.GetValueOrDefault(name);

    public static async Task<OperationParameters> ReadAsync(HttpContext context, FhirRequestReader reader)
    {
        var parameters = new OperationParameters();
        foreach (var (key, value) in context.Request.Query)
            if (!key.StartsWith('_') && value.ToString() is { Length: > 0 } text)
                parameters._values[key] = new FhirString(text);

        var request = context.Request;
        if (HttpMethods.IsPost(request.Method) && (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0))
        {
            var body = await reader.ReadResourceAsync(request, context.RequestAborted);
            if (body is Parameters input)
            {
                foreach (var parameter in input.Parameter)
                {
                    if (parameter.Resource is not null && parameter.Name == "resource") parameters.Resource = parameter.Resource;
                    else if (parameter.Value is not null && parameter.Name is not null) parameters._values[parameter.Name] = parameter.Value;
                }
            }
            else
            {
                parameters.Resource = body;
            }
        }
        return parameters;
    }

    public string Require(string name) =>
        this[name] ?? throw FhirOperationException.BadRequest($"Parameter '{name}' is required");

    private static string? Text(DataType value) => value switch
    {
        PrimitiveType primitive => primitive.ToString(),
        ResourceReference reference => reference.Reference,
        Coding coding => coding.Code,
        _ => null,
    };
}
