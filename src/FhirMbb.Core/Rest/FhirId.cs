using System.Buffers;

namespace FhirMbb.Core.Rest;

/// <summary>FHIR id rules: 1-64 characters of A-Z, a-z, 0-9, '-' and '.'.</summary>
public static class FhirId
{
    private static readonly SearchValues<char> Allowed =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.");

    public const int MaxLength = 64;

    public static bool IsValid(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= MaxLength && !id.AsSpan().ContainsAnyExcept(Allowed);

    /// <summary>Time-ordered ids keep the primary-key B-tree appending instead of splitting pages.</summary>
    public static string NewId() => Guid.CreateVersion7().ToString();
}
