using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Xml;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;

namespace FhirMbb.Core.Serialization;

/// <summary>
/// The one place that turns FHIR resources into bytes and back. Serializers are thread-safe and
/// expensive to build, so a single instance is registered and shared.
/// </summary>
public sealed class FhirSerialization
{
    private readonly FhirJsonDeserializer _json = new(new DeserializerSettings());
    private readonly FhirXmlDeserializer _xml = new(new DeserializerSettings());
    private readonly BaseFhirJsonSerializer _jsonWriter = new(ModelInfo.ModelInspector);
    private readonly BaseFhirXmlSerializer _xmlWriter = new(ModelInfo.ModelInspector);

    // FHIR JSON is never embedded in HTML by this server, so '+' and non-ASCII text stay readable.
    private static readonly System.Text.Encodings.Web.JavaScriptEncoder RelaxedEncoder =
        System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    public static FhirSerialization Shared { get; } = new();

    /// <summary>Parses a JSON resource strictly; any error is a 400 carrying the parser's message.</summary>
    public Resource ParseJson(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        bool ok;
        Resource? resource;
        IEnumerable<CodedException> issues;
        try
        {
            ok = _json.TryDeserializeResource(ref reader, out resource, out issues);
        }
        catch (JsonException e)
        {
            throw FhirOperationException.BadRequest($"Malformed JSON: {e.Message}");
        }
        catch (DeserializationFailedException e)
        {
            throw FhirOperationException.BadRequest($"Invalid FHIR JSON: {Describe(e.Exceptions)}");
        }
        if (!ok || resource is null)
            throw FhirOperationException.BadRequest($"Invalid FHIR JSON: {Describe(issues)}");
        return resource;
    }

    /// <summary>Parses an XML resource strictly; any error is a 400 carrying the parser's message.</summary>
    public Resource ParseXml(ReadOnlyMemory<byte> utf8)
    {
        try
        {
            using var stream = new ReadOnlyMemoryStream(utf8);
            using var reader = XmlReader.Create(stream, new XmlReaderSettings
            {
                DtdProcessing = DtdProcessing.Prohibit,
                XmlResolver = null,
                IgnoreWhitespace = true,
            });
            reader.MoveToContent();
            if (!_xml.TryDeserializeResource(reader, out var resource, out var issues) || resource is null)
                throw FhirOperationException.BadRequest($"Invalid FHIR XML: {Describe(issues)}");
            return resource;
        }
        catch (XmlException e)
        {
            throw FhirOperationException.BadRequest($"Malformed XML: {e.Message}");
        }
        catch (DeserializationFailedException e)
        {
            throw FhirOperationException.BadRequest($"Invalid FHIR XML: {Describe(e.Exceptions)}");
        }
    }

    public byte[] ToJsonBytes(Base resource, bool pretty = false)
    {
        var buffer = new ArrayBufferWriter<byte>(2048);
        WriteJson(resource, buffer, pretty);
        return buffer.WrittenSpan.ToArray();
    }

    public void WriteJson(Base resource, IBufferWriter<byte> output, bool pretty = false)
    {
        using var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = pretty, SkipValidation = true, Encoder = RelaxedEncoder });
        _jsonWriter.Serialize(resource, writer);
        writer.Flush();
    }

    /// <summary>Compact JSON of part of a resource (_summary, _elements), as the filter selects.</summary>
    public byte[] ToFilteredJsonBytes(Base resource, Func<SerializationFilter> filter)
    {
        var buffer = new ArrayBufferWriter<byte>(2048);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true, Encoder = RelaxedEncoder }))
        {
            _jsonWriter.Serialize(resource, writer, filter);
        }
        return buffer.WrittenSpan.ToArray();
    }

    public string ToJsonString(Base resource, bool pretty = false) => Encoding.UTF8.GetString(ToJsonBytes(resource, pretty));

    public byte[] ToXmlBytes(Base resource, bool pretty = false)
    {
        using var stream = new MemoryStream();
        using (var writer = XmlWriter.Create(stream, new XmlWriterSettings
        {
            Encoding = new UTF8Encoding(false),
            Indent = pretty,
            OmitXmlDeclaration = false,
        }))
        {
            _xmlWriter.Serialize(resource, writer);
        }
        return stream.ToArray();
    }

    /// <summary>Stored JSON re-rendered as XML: the only read path that needs the object model.</summary>
    public byte[] JsonToXml(ReadOnlySpan<byte> json, bool pretty = false) => ToXmlBytes(ParseJson(json), pretty);

    private static string Describe(IEnumerable<CodedException>? issues)
    {
        var messages = issues?.Select(i => i.Message).Distinct().Take(10).ToList() ?? [];
        return messages.Count == 0 ? "the content is not a FHIR resource" : string.Join("; ", messages);
    }

    /// <summary>A read-only stream over memory, so XML parsing needs no copy of the request body.</summary>
    private sealed class ReadOnlyMemoryStream(ReadOnlyMemory<byte> memory) : Stream
    {
        private int _position;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => memory.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            var n = Math.Min(buffer.Length, memory.Length - _position);
            memory.Span.Slice(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
