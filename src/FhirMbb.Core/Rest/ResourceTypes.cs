namespace FhirMbb.Core.Rest;

/// <summary>The resource types the server stores and serves, and what each allows.</summary>
public static class ResourceTypes
{
    /// <summary>Clinical types: full read-write REST.</summary>
    public static readonly IReadOnlyList<string> Writable = ["Patient", "Procedure", "Observation", "Condition"];

    private static readonly HashSet<string> WritableSet = new(Writable, StringComparer.Ordinal);

    public static bool IsWritable(string type) => WritableSet.Contains(type);
}
