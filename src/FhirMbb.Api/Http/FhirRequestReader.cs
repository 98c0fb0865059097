using System.Buffers;
using FhirMbb.Api.Hosting;
using FhirMbb.Core;
using FhirMbb.Core.Serialization;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;

namespace FhirMbb.Api.Http;

/// <summary>Reads a request body into a resource: size limit, media type, then the strict parser.</summary>
public sealed class FhirRequestReader(FhirSerialization serialization, IOptions<FhirServerOptions> options)
{
    private readonly long _limit = options.Value.MaxRequestBodyBytes;

    /// <summary>
    /// The body parsed as a resource. It is read into a rented buffer that goes back to the pool once parsed: nothing
    /// keeps the bytes, and transactions run to hundreds of kilobytes, which as new arrays would land on the large
    /// object heap on every request.
    /// </summary>
    public async Task<Resource> ReadResourceAsync(HttpRequest request, CancellationToken ct)
    {
        using var body = await ReadPooledAsync(request, ct);
        return Parse(request, body.WrittenMemory);
    }

    private Resource Parse(HttpRequest request, ReadOnlyMemory<byte> body)
    {
        var format = FhirNegotiation.RequestFormat(request);
        if (format is null)
        {
            if (!string.IsNullOrEmpty(request.ContentType))
                throw new FhirOperationException(415, OperationOutcome.IssueType.NotSupported,
                    $"Content-Type '{request.ContentType}' is not supported; send {FhirNegotiation.JsonMediaType} or {FhirNegotiation.XmlMediaType}");
            format = Sniff(body.Span);
        }
        if (body.Length == 0) throw FhirOperationException.BadRequest("The request has no body; a FHIR resource was expected");
        return format == FhirFormat.Xml ? serialization.ParseXml(body) : serialization.ParseJson(body.Span);
    }

    /// <summary>The whole body, refusing with 413 as soon as it passes the configured limit.</summary>
    public async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        var buffer = new ArrayBufferWriter<byte>(InitialCapacity(request));
        await ReadIntoAsync(request, buffer, ct);
        return buffer.WrittenMemory;
    }

    private async Task<PooledBuffer> ReadPooledAsync(HttpRequest request, CancellationToken ct)
    {
        var buffer = new PooledBuffer(InitialCapacity(request));
        try
        {
            await ReadIntoAsync(request, buffer, ct);
            return buffer;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    private int InitialCapacity(HttpRequest request)
    {
        if (request.ContentLength > _limit) throw TooLarge();
        return (int)Math.Min(request.ContentLength ?? 4096, _limit) + 1;
    }

    private async Task ReadIntoAsync(HttpRequest request, IBufferWriter<byte> buffer, CancellationToken ct)
    {
        long written = 0;
        while (true)
        {
            int read;
            try
            {
                read = await request.Body.ReadAsync(buffer.GetMemory(8192), ct);
            }
            catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                throw TooLarge();
            }
            if (read == 0) return;
            buffer.Advance(read);
            written += read;
            if (written > _limit) throw TooLarge();
        }
    }

    private FhirOperationException TooLarge() =>
        new(413, OperationOutcome.IssueType.TooCostly, $"The request body is larger than the limit of {_limit} bytes");

    private static FhirFormat Sniff(ReadOnlySpan<byte> body)
    {
        var trimmed = body.TrimStart(" \t\r\n"u8);
        return trimmed.Length > 0 && trimmed[0] == (byte)'<' ? FhirFormat.Xml : FhirFormat.Json;
    }
}
