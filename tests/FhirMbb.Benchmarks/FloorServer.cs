using System.Buffers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace FhirMbb.Benchmarks;

/// <summary>
/// The floor for read and create: bare Kestrel in its own process, started from this same binary. It
/// answers GET with fixed bytes and echoes a POST body with 201 — no parsing, no storage — so it is the
/// most this machine's HTTP stack can do for requests and responses of the same size.
/// </summary>
public static class FloorServer
{
    public const string Mode = "floor-server";
    public const string ReadPath = "/floor/read";
    public const string CreatePath = "/floor/create";

    /// <summary>Arguments: --body FILE --content-type TYPE, then the usual host arguments (--urls).</summary>
    public static void Run(string[] args)
    {
        string? file = null, contentType = "application/fhir+json; charset=utf-8";
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--body") file = args[++i];
            else if (args[i] == "--content-type") contentType = args[++i];
            else rest.Add(args[i]);
        }
        var body = file is null ? "{}"u8.ToArray() : File.ReadAllBytes(file);

        var builder = WebApplication.CreateBuilder(rest.ToArray());
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGet(ReadPath, (HttpContext context) =>
        {
            var response = context.Response;
            response.ContentType = contentType;
            response.ContentLength = body.Length;
            response.Headers.ETag = "W/\"1\"";
            response.Headers.LastModified = "Sat, 28 Nov 2026 07:00:00 GMT";
            return response.Body.WriteAsync(body).AsTask();
        });
        app.MapPost(CreatePath, async (HttpContext context) =>
        {
            var buffer = new ArrayBufferWriter<byte>(4096);
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer.GetMemory(4096))) > 0) buffer.Advance(read);
            var response = context.Response;
            response.StatusCode = StatusCodes.Status201Created;
            response.ContentType = contentType;
            response.ContentLength = buffer.WrittenCount;
            response.Headers.Location = "/floor/read";
            await response.Body.WriteAsync(buffer.WrittenMemory);
        });
        app.Run();
    }
}
