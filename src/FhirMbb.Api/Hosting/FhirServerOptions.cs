namespace FhirMbb.Api.Hosting;

/// <summary>Server settings under the "Fhir" configuration section.</summary>
public sealed class FhirServerOptions
{
    public const string Section = "Fhir";

    /// <summary>Largest request body accepted; larger ones get 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>Page size of history when the client gives no _count.</summary>
    public int DefaultPageSize { get; set; } = 20;

    public int MaxPageSize { get; set; } = 1000;

    /// <summary>Most entries a batch or transaction may carry; more gets 400.</summary>
    public int MaxBundleEntries { get; set; } = 10_000;

    /// <summary>Most resources one conditional delete (DELETE Type?criteria&amp;_count=n) may remove; more matches get 412.</summary>
    public int MaxConditionalDeletes { get; set; } = 10;

    /// <summary>Memory for the XML renderings of stored versions served to XML clients (0 turns the cache off).</summary>
    public long XmlCacheBytes { get; set; } = 32 * 1024 * 1024;
}

/// <summary>Settings under the "Storage" section.</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>Sqlite (default) or SqlServer.</summary>
    public string Provider { get; set; } = "Sqlite";

    public const string DefaultSqliteConnection = "Data Source=data/fhirmbb.db";
}
