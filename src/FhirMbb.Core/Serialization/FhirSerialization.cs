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
    // Built on first use: inspecting the FHIR model takes about a second, and reads of stored JSON never
    // need it, so it must not delay start-up. The host warms these in the background (see Warm).
    private readonly Lazy<FhirJsonDeserializer> _json = new(() => new(new DeserializerSettings()));
    // Without the validator, for the first pass of ParseJson.
    private readonly Lazy<FhirJsonDeserializer> _unchecked = new(() => new(new DeserializerSettings { Validator = null }));
    // Stored JSON was parsed strictly on its way in; reading it back need not check it again.
    private readonly Lazy<FhirJsonDeserializer> _stored = new(() => new(new DeserializerSettings().UsingMode(DeserializationMode.Ostrich)));
    private readonly Lazy<FhirXmlDeserializer> _xml = new(() => new(new DeserializerSettings()));
    private readonly Lazy<BaseFhirJsonSerializer> _jsonWriter = new(() => new(ModelInfo.ModelInspector));
    private readonly Lazy<BaseFhirXmlSerializer> _xmlWriter = new(() => new(ModelInfo.ModelInspector));

    /// <summary>True once <see cref="Warm"/> has built the serializers and run each once.</summary>
    public bool IsWarm { get; private set; }

    /// <summary>Builds the serializers and runs a resource through each, so no request pays for that.</summary>
    public void Warm()
    {
        var json = """{"resourceType":"Observation","status":"final","code":{"text":"warm-up"}}"""u8;
        var probe = ParseJson(json);
        // The strict parse runs only for input the quick pass doubts: the first bad request should not build it.
        ParseJsonStrictly(json);
        ParseXml(ToXmlBytes(probe));
        _ = ToJsonBytes(probe);
        IsWarm = true;
    }

    // FHIR JSON is never embedded in HTML by this server, so '+' and non-ASCII text stay readable.
    // The serializer writes well-formed JSON itself, so the writer need not check it.
    private static readonly JsonWriterOptions Compact = new()
    {
        SkipValidation = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static FhirSerialization Shared { get; } = new();

    // Client JSON: comments are not JSON.
    private static readonly JsonReaderOptions ClientJson = new() { CommentHandling = JsonCommentHandling.Disallow };

    // What Firely's deserializers throw, instead of reporting an issue, on some shapes they do not expect: the client's
    // input, so a 400 like any other parse error.
    private static bool IsUnexpectedShape(Exception e) => e is InvalidOperationException or NotSupportedException;

    /// <summary>Parses a JSON resource strictly; any error is a 400 carrying the parser's message.</summary>
    /// <remarks>
    /// Parsed first without the deserializer's validator, then checked as a whole by <see cref="ParsedResourceCheck"/>:
    /// the same verdict for less work. Input that fails either way is parsed again with the validator, which reports it.
    /// </remarks>
    public Resource ParseJson(ReadOnlySpan<byte> utf8) => ParseJsonQuickly(utf8) ?? ParseJsonStrictly(utf8);

    /// <summary>The first pass of <see cref="ParseJson"/>: the resource, or null when the strict parse must decide.</summary>
    internal Resource? ParseJsonQuickly(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, ClientJson);
        try
        {
            // Our reader takes what Firely's would read without an issue, in less time, and checks as it reads; it leaves
            // anything else to Firely's, whose tree is then checked whole.
            switch (PocoJsonReader.Read(utf8, check: true, out var quick))
            {
                case PocoJsonReader.Verdict.Passed: return quick;
                case PocoJsonReader.Verdict.Refused: return null;
            }
            return _unchecked.Value.TryDeserializeResource(ref reader, out var parsed, out _) && parsed is not null && ParsedResourceCheck.Passes(parsed)
                ? parsed
                : null;
        }
        catch (Exception)
        {
            // Whatever the deserializer throws on this input, the strict parse meets it again and reports it.
            return null;
        }
    }

    /// <summary>The deserializer with its validator: the parse whose errors a client sees.</summary>
    internal Resource ParseJsonStrictly(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, ClientJson);
        bool ok;
        Resource? resource;
        IEnumerable<CodedException> issues;
        try
        {
            ok = _json.Value.TryDeserializeResource(ref reader, out resource, out issues);
        }
        catch (JsonException e)
        {
            throw FhirOperationException.BadRequest($"Malformed JSON: {e.Message}");
        }
        catch (DeserializationFailedException e)
        {
            throw FhirOperationException.BadRequest($"Invalid FHIR JSON: {Describe(e.Exceptions)}");
        }
        catch (Exception e) when (IsUnexpectedShape(e))
        {
            // E.g. "_coding": {} where a list belongs.
            throw FhirOperationException.BadRequest($"Invalid FHIR JSON: {e.Message}");
        }
        if (!ok || resource is null)
            throw FhirOperationException.BadRequest($"Invalid FHIR JSON: {Describe(issues)}");
        return resource;
    }

    /// <summary>Reads JSON this server stored itself, without re-checking what was checked on write.</summary>
    public Resource ParseStored(ReadOnlySpan<byte> utf8)
    {
        // Our reader takes what it can (all this server writes, unless a primitive carries an id or extensions).
        if (PocoJsonReader.TryRead(utf8) is { } quick) return quick;
        var reader = new Utf8JsonReader(utf8);
        if (_stored.Value.TryDeserializeResource(ref reader, out var resource, out var issues) && resource is not null) return resource;
        throw new InvalidOperationException($"Stored JSON no longer parses: {Describe(issues)}");
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
            if (!_xml.Value.TryDeserializeResource(reader, out var resource, out var issues) || resource is null)
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
        catch (Exception e) when (IsUnexpectedShape(e))
        {
            // E.g. a value attribute on the resource's root element.
            throw FhirOperationException.BadRequest($"Invalid FHIR XML: {e.Message}");
        }
    }

    public byte[] ToJsonBytes(Base resource, bool pretty = false)
    {
        if (pretty)
        {
            var buffer = new ArrayBufferWriter<byte>(2048);
            WriteJson(resource, buffer, pretty);
            return buffer.WrittenSpan.ToArray();
        }
        // Every write serializes its resource once; this thread's buffer and writer serve each of them, so the only
        // allocation left is the array of the result.
        var scratch = _scratch ??= new JsonScratch();
        scratch.Buffer.ResetWrittenCount();
        scratch.Writer.Reset(scratch.Buffer);
        try
        {
            // An operation's Parameters of the usual shapes are written directly (ParametersJson: the same bytes), and so
            // is a resource or a complex value of the shapes PocoJsonWriter takes; anything else, or what it gives up on,
            // by Firely.
            if (resource is Parameters parameters && ParametersJson.CanWrite(parameters)) ParametersJson.Write(parameters, scratch.Writer);
            else if (resource is PrimitiveType || !PocoJsonWriter.TryWrite(resource, scratch.Writer))
            {
                scratch.Writer.Reset();
                scratch.Buffer.ResetWrittenCount();
                _jsonWriter.Value.Serialize(resource, scratch.Writer);
            }
            scratch.Writer.Flush();
            return scratch.Buffer.WrittenSpan.ToArray();
        }
        finally
        {
            if (scratch.Buffer.Capacity > MaxScratchBytes) _scratch = null;
        }
    }

    // A thread's scratch buffer is dropped after a resource larger than this, so one huge resource is not kept alive.
    private const int MaxScratchBytes = 256 * 1024;

    [ThreadStatic] private static JsonScratch? _scratch;

    private sealed class JsonScratch
    {
        public ArrayBufferWriter<byte> Buffer { get; } = new(16 * 1024);
        public Utf8JsonWriter Writer { get; }

        public JsonScratch() => Writer = new Utf8JsonWriter(Buffer, Compact);
    }

    /// <summary>Compact JSON by Firely's serializer alone: what the quicker writers must equal.</summary>
    internal byte[] ToJsonBytesByFirely(Base resource)
    {
        var buffer = new ArrayBufferWriter<byte>(2048);
        WriteJson(resource, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    public void WriteJson(Base resource, IBufferWriter<byte> output, bool pretty = false)
    {
        using var writer = new Utf8JsonWriter(output, pretty ? Compact with { Indented = true } : Compact);
        _jsonWriter.Value.Serialize(resource, writer);
        writer.Flush();
    }

    /// <summary>Compact JSON of part of a resource (_summary, _elements), as the filter selects.</summary>
    public byte[] ToFilteredJsonBytes(Base resource, Func<SerializationFilter> filter)
    {
        var buffer = new ArrayBufferWriter<byte>(2048);
        using (var writer = new Utf8JsonWriter(buffer, Compact))
        {
            _jsonWriter.Value.Serialize(resource, writer, filter);
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
            _xmlWriter.Value.Serialize(resource, writer);
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
