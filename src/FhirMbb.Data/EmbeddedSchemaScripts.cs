using System.Text.RegularExpressions;

namespace FhirMbb.Data;

/// <summary>The numbered schema scripts embedded under Schema/{provider}/NNNN_name.sql, in order.</summary>
internal static partial class EmbeddedSchemaScripts
{
    public static IReadOnlyList<(int Number, string Name, string Sql)> Load(string provider)
    {
        var assembly = typeof(EmbeddedSchemaScripts).Assembly;
        var prefix = $".Schema.{provider}.";
        var scripts = new List<(int Number, string Name, string Sql)>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            var at = resource.IndexOf(prefix, StringComparison.Ordinal);
            if (at < 0) continue;
            var match = ScriptName().Match(resource[(at + prefix.Length)..]);
            if (!match.Success) continue;
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            scripts.Add((int.Parse(match.Groups[1].Value), match.Groups[2].Value, reader.ReadToEnd()));
        }
        if (scripts.Count == 0) throw new InvalidOperationException($"No {provider} schema scripts are embedded in FhirMbb.Data");
        return scripts.OrderBy(s => s.Number).ToList();
    }

    [GeneratedRegex(@"^(\d{4})_([A-Za-z0-9_]+)\.sql$")]
    private static partial Regex ScriptName();
}
