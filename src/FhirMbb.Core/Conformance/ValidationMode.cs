namespace FhirMbb.Core.Conformance;

/// <summary>
/// <c>Validation:Mode</c>: which profiles a written resource is held to.
/// </summary>
public enum ValidationMode
{
    /// <summary>No profile validation on write.</summary>
    Off,
    /// <summary>Only the MBB profiles the resource lists in meta.profile.</summary>
    Claimed,
    /// <summary>Claimed profiles, plus the MBB profile a resource evidently is (the default).</summary>
    Mbb,
}

public static class ValidationModes
{
    public const string ConfigurationKey = "Validation:Mode";

    /// <summary>Reads the setting; a missing value means <see cref="ValidationMode.Mbb"/>, an unknown one is a configuration error.</summary>
    public static ValidationMode Parse(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "mbb" => ValidationMode.Mbb,
        "claimed" => ValidationMode.Claimed,
        "off" => ValidationMode.Off,
        _ => throw new ArgumentException($"{ConfigurationKey} must be off, claimed or mbb, not '{value}'.", nameof(value)),
    };
}
