using System.Text;

namespace FhirMbb.Core.Search;

/// <summary>
/// Folds text for string search: lower case, accents removed. The process runs with invariant
/// globalization, where Unicode decomposition is unavailable, so Latin letters are folded by table.
/// </summary>
public static class TextNormalizer
{
    // Pairs of (accented letters, base letter) covering Latin-1 Supplement and Latin Extended-A.
    private static readonly (string From, char To)[] Folds =
    [
        ("àáâãäåāăą", 'a'), ("çćĉċč", 'c'), ("ďđ", 'd'), ("èéêëēĕėęě", 'e'), ("ĝğġģ", 'g'), ("ĥħ", 'h'),
        ("ìíîïĩīĭįı", 'i'), ("ĵ", 'j'), ("ķ", 'k'), ("ĺļľŀł", 'l'), ("ñńņňŉ", 'n'), ("òóôõöøōŏő", 'o'),
        ("ŕŗř", 'r'), ("śŝşš", 's'), ("ţťŧ", 't'), ("ùúûüũūŭůűų", 'u'), ("ŵ", 'w'), ("ýÿŷ", 'y'), ("źżž", 'z'),
    ];

    private static readonly Dictionary<char, char> Map = BuildMap();

    public static string Normalize(string text)
    {
        // Most indexed text (codes' displays, names) is ASCII: lower-cased into one new string, or the same one if it already is.
        if (Ascii.IsValid(text))
        {
            var upper = text.AsSpan().IndexOfAnyInRange('A', 'Z');
            if (upper < 0) return text;
            return string.Create(text.Length, text, static (span, source) => Ascii.ToLower(source, span, out _));
        }
        var builder = new StringBuilder(text.Length);
        foreach (var raw in text)
        {
            var ch = char.ToLowerInvariant(raw);
            if (ch < 128) builder.Append(ch);
            else if (Map.TryGetValue(ch, out var folded)) builder.Append(folded);
            else if (ch == 'ß') builder.Append("ss");
            else if (ch == 'æ') builder.Append("ae");
            else if (ch == 'œ') builder.Append("oe");
            else builder.Append(ch);
        }
        return builder.ToString();
    }

    private static Dictionary<char, char> BuildMap()
    {
        var map = new Dictionary<char, char>();
        foreach (var (from, to) in Folds)
            foreach (var ch in from) map[ch] = to;
        return map;
    }
}
