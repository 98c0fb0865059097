using FhirMbb.Core.Conformance;

namespace FhirMbb.Cli;

/// <summary>Builds the FHIR NPM package of profiles, terminology and examples.</summary>
public sealed class PackageCommand(ConformanceCatalog catalog, ConformanceDirectories directories, TextWriter output)
{
    public int Run(string outputDirectory)
    {
        Directory.CreateDirectory(outputDirectory);
        var package = new NpmPackageBuilder(catalog, directories).Build(outputDirectory);
        output.WriteLine($"{package.Name}#{package.Version}: {package.ResourceCount} resources, {package.ExampleCount} examples");
        output.WriteLine($"  folder  {package.PackageDirectory}");
        output.WriteLine($"  tarball {package.TarballPath}");
        return CommandLine.Success;
    }
}
