using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirMbb.Core.Conformance;

/// <summary>One published conformance resource and the file it came from.</summary>
public sealed record ConformanceEntry(string FilePath, Resource Resource)
{
    public string ResourceType => Resource.TypeName;
    public string Id => Resource.Id ?? "";
    public string? Url => (Resource as IVersionableConformanceResource)?.Url;
    public string? Version => (Resource as IVersionableConformanceResource)?.Version;
    public string? Name => (Resource as IVersionableConformanceResource)?.Name;

    /// <summary>The constrained type of a StructureDefinition, or the base types of a SearchParameter / OperationDefinition.</summary>
    public IReadOnlyList<string> Types => Resource switch
    {
        StructureDefinition sd => [sd.Type ?? ""],
        SearchParameter sp => sp.Base.Select(b => b?.ToString() ?? "").ToList(),
        OperationDefinition od => od.Resource.Select(r => r?.ToString() ?? "").ToList(),
        _ => [],
    };
}

/// <summary>A conformance file that cannot be read; start-up stops with the file and the parser's words.</summary>
public sealed class ConformanceLoadException(string filePath, string problem, Exception? inner = null)
    : Exception($"Conformance file '{filePath}' is broken: {problem}", inner)
{
    public string FilePath { get; } = filePath;
}

/// <summary>
/// Where the published files live at run time: the Api and the CLI copy <c>profiles/</c> and
/// <c>terminology/</c> next to their binaries under <c>conformance/</c>.
/// </summary>
public sealed record ConformanceDirectories(string Profiles, string Terminology)
{
    public string Examples => Path.Combine(Profiles, "examples");

    public static ConformanceDirectories Under(string baseDirectory) => new(
        Path.Combine(baseDirectory, "conformance", "profiles"),
        Path.Combine(baseDirectory, "conformance", "terminology"));

    /// <summary>The copy next to the running program.</summary>
    public static ConformanceDirectories BesideApplication() => Under(AppContext.BaseDirectory);
}

/// <summary>
/// Every published StructureDefinition, ValueSet, CodeSystem, ConceptMap, OperationDefinition and
/// SearchParameter, read once. Examples are not part of the catalog: they are test data.
/// </summary>
public sealed class ConformanceCatalog
{
    private readonly Dictionary<(string Type, string Id), ConformanceEntry> _byTypeAndId = new();
    private readonly Dictionary<string, ConformanceEntry> _byCanonical = new(StringComparer.Ordinal);

    public IReadOnlyList<ConformanceEntry> Entries { get; }

    private ConformanceCatalog(IReadOnlyList<ConformanceEntry> entries)
    {
        Entries = entries;
        foreach (var entry in entries)
        {
            if (!_byTypeAndId.TryAdd((entry.ResourceType, entry.Id), entry))
                throw new ConformanceLoadException(entry.FilePath, $"duplicate {entry.ResourceType}/{entry.Id} (also in '{_byTypeAndId[(entry.ResourceType, entry.Id)].FilePath}')");
            if (entry.Url is null) continue;
            if (!_byCanonical.TryAdd(entry.Url, entry))
                throw new ConformanceLoadException(entry.FilePath, $"duplicate canonical url {entry.Url}");
            if (entry.Version is not null) _byCanonical[$"{entry.Url}|{entry.Version}"] = entry;
        }
    }

    public static ConformanceCatalog Load(ConformanceDirectories directories) => Load([directories.Profiles, directories.Terminology]);

    /// <summary>Reads every <c>*.json</c> under the directories (recursively, skipping <c>examples</c> folders).</summary>
    public static ConformanceCatalog Load(IEnumerable<string> directories)
    {
        var entries = new List<ConformanceEntry>();
        foreach (var directory in directories)
        {
            if (!Directory.Exists(directory))
                throw new ConformanceLoadException(directory, "directory not found");
            entries.AddRange(ConformanceFiles(directory).Select(ReadFile));
        }
        return new ConformanceCatalog(entries);
    }

    /// <summary>The JSON files of a directory tree, leaving out example folders, in a stable order.</summary>
    public static IEnumerable<string> ConformanceFiles(string directory) =>
        Directory.EnumerateFiles(directory, "*.json", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(directory, f).Split(Path.DirectorySeparatorChar)
                .Any(part => part.Equals("examples", StringComparison.OrdinalIgnoreCase)))
            .Order(StringComparer.Ordinal);

    /// <summary>Reads one resource file, naming the file in any failure.</summary>
    public static ConformanceEntry ReadFile(string filePath)
    {
        string json;
        try { json = File.ReadAllText(filePath); }
        catch (IOException e) { throw new ConformanceLoadException(filePath, e.Message, e); }
        try
        {
            return new ConformanceEntry(filePath, FhirJson.Parse(json));
        }
        catch (DeserializationFailedException e)
        {
            throw new ConformanceLoadException(filePath, string.Join("; ", e.Exceptions.Select(x => x.Message)), e);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new ConformanceLoadException(filePath, e.Message, e);
        }
    }

    public IEnumerable<Resource> Resources => Entries.Select(e => e.Resource);

    public Resource? FindById(string resourceType, string id) =>
        _byTypeAndId.TryGetValue((resourceType, id), out var entry) ? entry.Resource : null;

    /// <summary>Looks up <c>url</c> or <c>url|version</c>.</summary>
    public Resource? FindByCanonical(string canonical) =>
        _byCanonical.TryGetValue(canonical, out var entry) ? entry.Resource : null;

    public T? FindByCanonical<T>(string canonical) where T : Resource => FindByCanonical(canonical) as T;

    public bool Publishes(string canonical) => _byCanonical.ContainsKey(canonical);

    /// <summary>Search as the read-only endpoints need it; every given criterion must match (exact, name case-insensitive).</summary>
    public IEnumerable<ConformanceEntry> Search(string? resourceType = null, string? url = null, string? name = null, string? type = null)
    {
        IEnumerable<ConformanceEntry> found = Entries;
        if (resourceType is not null) found = found.Where(e => e.ResourceType == resourceType);
        if (url is not null)
        {
            var match = FindByCanonical(url);
            found = found.Where(e => ReferenceEquals(e.Resource, match));
        }
        if (name is not null) found = found.Where(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase));
        if (type is not null) found = found.Where(e => e.Types.Contains(type));
        return found;
    }
}
