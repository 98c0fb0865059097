using FhirMbb.Core.Conformance;

namespace FhirMbb.Cli;

/// <summary>
/// <c>fhirmbb validate FILE...</c> and <c>fhirmbb package OUTDIR</c>, offline, with the server's engine.
/// Exit codes: 0 all valid / package built, 1 something invalid or missing, 2 wrong usage.
/// </summary>
public static class CommandLine
{
    public const int Success = 0;
    public const int Invalid = 1;
    public const int Usage = 2;

    private const string Help = """
        usage:
          fhirmbb validate [--profile URL] FILE...   validate FHIR JSON files (our profiles, claimed or evident)
          fhirmbb package OUTDIR                     build the FHIR NPM package folder and .tgz into OUTDIR
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter errors, ConformanceDirectories? directories = null)
    {
        directories ??= ConformanceDirectories.BesideApplication();
        switch (args)
        {
            case ["validate", .. var rest] when rest.Length > 0:
                var (profiles, files) = SplitProfileOptions(rest);
                if (files.Count == 0 || profiles is null) break;
                var catalog = ConformanceCatalog.Load(directories);
                return await new ValidateCommand(catalog, new ProfileValidator(catalog), output).RunAsync(files, profiles);
            case ["package", var outputDirectory]:
                return new PackageCommand(ConformanceCatalog.Load(directories), directories, output).Run(outputDirectory);
        }
        await errors.WriteLineAsync(Help);
        return Usage;
    }

    /// <summary>Pulls <c>--profile URL</c> pairs out of the arguments; null profiles means a dangling option.</summary>
    private static (List<string>? Profiles, List<string> Files) SplitProfileOptions(string[] args)
    {
        var profiles = new List<string>();
        var files = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] != "--profile") { files.Add(args[i]); continue; }
            if (i + 1 >= args.Length) return (null, files);
            profiles.Add(args[++i]);
        }
        return (profiles, files);
    }
}
