using System.Collections.Concurrent;
using FhirMbb.Api.Endpoints;
using FhirMbb.Core;
using FhirMbb.Core.Conformance;
using FhirMbb.Core.Evaluation;
using FhirMbb.Core.Rest;
using FhirMbb.Core.Serialization;
using FhirMbb.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Hosting;

/// <summary>
/// Published profiles and terminology, the validator that enforces them, and $evaluate-block, which
/// reads its anatomy and exclusion codes from the same files.
/// </summary>
public static class ConformanceHosting
{
    public static IServiceCollection AddConformance(this IServiceCollection services, IConfiguration configuration)
    {
        // Conformance:BaseDirectory points at another copy of conformance/profiles and conformance/terminology.
        var directories = configuration["Conformance:BaseDirectory"] is { Length: > 0 } baseDirectory
            ? ConformanceDirectories.Under(baseDirectory)
            : ConformanceDirectories.BesideApplication();
        services.AddSingleton(_ => Published(directories).Catalog);
        services.AddSingleton<ConformanceResources>();
        services.AddSingleton(_ => Published(directories).Validator);
        services.AddSingleton(sp => new MbbProfileDetector(sp.GetRequiredService<ConformanceCatalog>(),
            ValidationModes.Parse(configuration[ValidationModes.ConfigurationKey])));
        var terminology = configuration.GetSection(TerminologyOptions.Section).Get<TerminologyOptions>() ?? new TerminologyOptions();
        services.AddSingleton(terminology);
        if (!string.IsNullOrWhiteSpace(terminology.ServerUrl))
        {
            services.AddHttpClient<ExternalTerminologyServer>();
            services.AddSingleton<ITerminologyFallback>(sp => sp.GetRequiredService<ExternalTerminologyServer>());
        }
        services.AddSingleton(sp => new LocalTerminology(sp.GetRequiredService<ConformanceCatalog>(), sp.GetService<ITerminologyFallback>()));
        services.AddSingleton<IResourceWriteCheck, ProfileValidationCheck>();
        services.AddSingleton<ValidatorWarmUp>();
        services.AddSingleton<IReadinessCheck>(sp => sp.GetRequiredService<ValidatorWarmUp>());
        services.AddHostedService(sp => sp.GetRequiredService<ValidatorWarmUp>());
        services.AddSingleton<ValidateEndpoints.ValidationContext>();

        services.AddSingleton(sp =>
        {
            var catalog = sp.GetRequiredService<ConformanceCatalog>();
            var nerves = NerveMap.FromConceptMap(catalog.FindByCanonical<ConceptMap>(Canonicals.ConceptMaps.FacetJointToMedialBranch)
                ?? throw new InvalidOperationException($"{Canonicals.ConceptMaps.FacetJointToMedialBranch} is not published"));
            var exclusions = ExclusionDiagnosisCodes.FromValueSet(catalog.FindByCanonical<ValueSet>(Canonicals.ValueSets.ExclusionDiagnoses)
                ?? throw new InvalidOperationException($"{Canonicals.ValueSets.ExclusionDiagnoses} is not published"));
            return new EvaluateBlockService(
                new StoreBlockEvidenceSource(sp.GetRequiredService<IResourceStore>(), sp.GetRequiredService<FhirSerialization>()),
                new BlockPolicyCatalog(ConfiguredPolicies(configuration)),
                new BlockEvaluator(nerves),
                new ClinicalFactReader(exclusions.Contains),
                sp.GetRequiredService<TimeProvider>());
        });
        return services;
    }

    // The published files never change while the process runs, and a validator costs seconds to warm:
    // every host in the process (several in a test run) shares one per folder.
    private static readonly ConcurrentDictionary<string, Lazy<(ConformanceCatalog Catalog, ProfileValidator Validator)>> Shared = new();

    private static (ConformanceCatalog Catalog, ProfileValidator Validator) Published(ConformanceDirectories directories) =>
        Shared.GetOrAdd(directories.Profiles, _ => new(() =>
        {
            var catalog = ConformanceCatalog.Load(directories);
            return (catalog, new ProfileValidator(catalog, WarmUpExamples(directories)));
        })).Value;

    /// <summary>The published examples, valid and invalid, that warm the validator; none when the folder is absent.</summary>
    private static IReadOnlyList<Resource> WarmUpExamples(ConformanceDirectories directories)
    {
        if (!Directory.Exists(directories.Examples)) return [];
        return Directory.EnumerateFiles(directories.Examples, "*.json").Order(StringComparer.Ordinal)
            .Select(file => FhirJson.TryParseForValidation(File.ReadAllText(file), out var resource, out _) ? resource : null)
            .OfType<Resource>()
            .ToList();
    }

    public static void DescribeConformance(this CapabilityStatementBuilder builder, ConformanceCatalog catalog)
    {
        builder.Contribute(statement => ConformanceEndpoints.Describe(statement, catalog));
        builder.Contribute(ValidateEndpoints.Describe);
        builder.Contribute(TerminologyEndpoints.Describe);
        builder.Contribute(EvaluateBlockEndpoints.Describe);
    }

    /// <summary>Extra or replacement policies: a JSON file of the built-in policies' shape at Evaluation:PoliciesFile.</summary>
    private static IReadOnlyList<BlockPolicy> ConfiguredPolicies(IConfiguration configuration)
    {
        var path = configuration["Evaluation:PoliciesFile"];
        if (string.IsNullOrWhiteSpace(path)) return [];
        using var stream = File.OpenRead(path);
        return BlockPolicyCatalog.ReadPolicies(stream);
    }
}

/// <summary>
/// Builds and warms the validator in the background; /readyz reports it until it is warm and, when writes are
/// validated, until its code has been recompiled by the JIT (so the first seconds of load are not paid at 5x).
/// </summary>
public sealed partial class ValidatorWarmUp(ProfileValidator validator, MbbProfileDetector detector, ILogger<ValidatorWarmUp> logger)
    : BackgroundService, IReadinessCheck
{
    public string Name => "validator";

    // With validation off there is nothing to wait for.
    public bool IsReady => detector.Mode == ValidationMode.Off || validator.IsSettled;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        // With validation off only $validate uses it: built and warm, but not worth JIT settling beside the load.
        if (detector.Mode == ValidationMode.Off) await validator.WarmUpAsync();
        else await validator.SettleAsync();
        LogWarm(logger, validator.WarmUpDuration.TotalSeconds, detector.Mode, validator.JitSettling.Rounds, validator.JitSettling.Settled,
            validator.JitSettling.Duration.TotalSeconds);
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Profile validator warm after {Seconds:0.0} s (Validation:Mode={Mode}); then {Rounds} rounds over the examples in {SettleSeconds:0.0} s, JIT settled: {Settled}")]
    private static partial void LogWarm(ILogger logger, double seconds, ValidationMode mode, int rounds, bool settled, double settleSeconds);
}
