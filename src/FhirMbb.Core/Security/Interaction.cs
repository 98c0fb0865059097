namespace FhirMbb.Core.Security;

/// <summary>What a request does to a resource type; each maps to one SMART permission.</summary>
public enum Interaction
{
    Read,
    VRead,
    /// <summary>history of one instance.</summary>
    History,
    /// <summary>history of a type or of the whole server: a search in SMART v2 terms.</summary>
    HistoryType,
    Search,
    Create,
    Update,
    Patch,
    Delete,
    /// <summary>An operation whose needs are not declared in <see cref="OperationAccess"/>: read on the target type.</summary>
    Operation,
}

/// <summary>The SMART v2 permissions c, r, u, d, s; a v1 scope expands to a set of them.</summary>
[Flags]
public enum ScopePermissions
{
    None = 0,
    Create = 1,
    Read = 2,
    Update = 4,
    Delete = 8,
    Search = 16,
    All = Create | Read | Update | Delete | Search,
}

/// <summary>Whose data a scope reaches: one patient, whatever the user may see, or a backend service.</summary>
public enum ScopeContext
{
    Patient,
    User,
    System,
}

public static class InteractionPermissions
{
    /// <summary>The SMART v2 table: r covers read, vread and instance history; s covers search and type/system history.</summary>
    public static ScopePermissions Required(Interaction interaction) => interaction switch
    {
        Interaction.Read or Interaction.VRead or Interaction.History or Interaction.Operation => ScopePermissions.Read,
        Interaction.Search or Interaction.HistoryType => ScopePermissions.Search,
        Interaction.Create => ScopePermissions.Create,
        Interaction.Update or Interaction.Patch => ScopePermissions.Update,
        Interaction.Delete => ScopePermissions.Delete,
        _ => throw new ArgumentOutOfRangeException(nameof(interaction), interaction, null),
    };

    public static bool IsWrite(Interaction interaction) =>
        interaction is Interaction.Create or Interaction.Update or Interaction.Patch or Interaction.Delete;
}
