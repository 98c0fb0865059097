namespace FhirMbb.Core.Patch;

/// <summary>
/// An RFC 6901 JSON Pointer, already split into unescaped reference tokens.
/// The empty pointer ("") has no tokens and means the whole document.
/// </summary>
public sealed record JsonPointer(IReadOnlyList<string> Tokens, string Text)
{
    public bool IsRoot => Tokens.Count == 0;

    /// <summary>Parses pointer text; returns null when it is not a valid pointer (no leading '/', bad '~' escape).</summary>
    public static JsonPointer? TryParse(string text)
    {
        if (text.Length == 0)
            return new JsonPointer([], text);
        if (text[0] != '/')
            return null;

        var tokens = new List<string>();
        foreach (var raw in text[1..].Split('/'))
        {
            var token = Unescape(raw);
            if (token is null)
                return null;
            tokens.Add(token);
        }
        return new JsonPointer(tokens, text);
    }

    /// <summary>True when this pointer is a strict ancestor of <paramref name="other"/> (RFC 6902 forbids moving into a child).</summary>
    public bool IsProperPrefixOf(JsonPointer other) =>
        Tokens.Count < other.Tokens.Count && Tokens.Select((t, i) => t == other.Tokens[i]).All(same => same);

    public override string ToString() => Text;

    // "~1" must become "/" and "~0" must become "~"; any other character after '~' is malformed.
    private static string? Unescape(string raw)
    {
        if (!raw.Contains('~'))
            return raw;
        var chars = new System.Text.StringBuilder(raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] != '~')
            {
                chars.Append(raw[i]);
                continue;
            }
            if (i + 1 >= raw.Length)
                return null;
            var next = raw[++i];
            if (next == '0') chars.Append('~');
            else if (next == '1') chars.Append('/');
            else return null;
        }
        return chars.ToString();
    }
}
