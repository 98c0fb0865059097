using System.Diagnostics;
using Firely.Fhir.Validation;
using Hl7.Fhir.Model;
using Hl7.Fhir.Specification.Source;
using Hl7.Fhir.Specification.Terminology;

namespace FhirMbb.Core.Conformance;

/// <summary>
/// Validates resources against the core spec and our profiles with Firely.Fhir.Validation, fully
/// offline. One shared instance per process: building it (core zip, snapshots, compiled schemas)
/// takes seconds, so hosts call <see cref="WarmUpAsync"/> in the background and report <see cref="IsWarm"/>.
/// Thread-safe: the Firely validator and the cached resolvers are shared read-only after warm-up.
/// </summary>
public sealed class ProfileValidator
{
    // Past the first validations the validator's code still runs unoptimised until the runtime has recompiled it
    // (tiered JIT): under load that took tens of seconds and made a validated create cost ~5x its warm price.
    // Warm-up therefore keeps validating the examples until the JIT has gone quiet, within these bounds.
    private static readonly TimeSpan JitQuietPeriod = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxJitSettling = TimeSpan.FromSeconds(10);
    private const int MinSettlingRounds = 100;

    private readonly ConformanceCatalog _catalog;
    private readonly IReadOnlyList<Resource> _warmUpExamples;
    private readonly Lazy<Task<Engine>> _engine;
    private readonly Lazy<Task> _warmUp;

    /// <param name="warmUpExamples">
    /// resources validated over and over during warm-up until the JIT settles (the published examples); none: warm-up
    /// only compiles each profile once.
    /// </param>
    public ProfileValidator(ConformanceCatalog catalog, IReadOnlyList<Resource>? warmUpExamples = null)
    {
        _catalog = catalog;
        _warmUpExamples = warmUpExamples ?? [];
        _engine = new Lazy<Task<Engine>>(() => Task.Run(BuildAsync), LazyThreadSafetyMode.ExecutionAndPublication);
        _warmUp = new Lazy<Task>(WarmOnceAsync, LazyThreadSafetyMode.ExecutionAndPublication);
        _settle = new Lazy<Task>(SettleOnceAsync, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    private readonly Lazy<Task> _settle;
    private volatile bool _isSettled;

    /// <summary>True once <see cref="SettleAsync"/> has finished: warm, and the validator's hot code recompiled by the JIT.</summary>
    public bool IsSettled => _isSettled;

    /// <summary>
    /// Warms up, then validates the warm-up examples until the JIT settles (see <see cref="JitSettling"/>). For a
    /// server about to validate under load; the work happens once, however often this is called.
    /// </summary>
    public Task SettleAsync() => _settle.Value;

    private async Task SettleOnceAsync()
    {
        await WarmUpAsync().ConfigureAwait(false);
        await Task.Run(SettleCompiledCode).ConfigureAwait(false);
        _isSettled = true;
    }

    public ConformanceCatalog Catalog => _catalog;

    private volatile bool _isWarm;

    /// <summary>True once the validator is built and every profile has been compiled by a first validation.</summary>
    public bool IsWarm => _isWarm;

    /// <summary>How long building and warming took (zero until warm).</summary>
    public TimeSpan WarmUpDuration { get; private set; }

    /// <summary>Builds the validator and compiles every profile. Safe to call many times and concurrently; the work happens once.</summary>
    public Task WarmUpAsync() => _warmUp.Value;

    private async Task WarmOnceAsync()
    {
        var engine = await _engine.Value.ConfigureAwait(false);
        // A first validation per profile compiles its schema (and the core types it uses) into the validator's cache.
        foreach (var profile in engine.Snapshots.Where(s => s.Profile.Kind == StructureDefinition.StructureDefinitionKind.Resource))
        {
            var probe = (Resource)Activator.CreateInstance(ModelInfo.GetTypeForFhirType(profile.Profile.Type ?? nameof(Basic)) ?? typeof(Basic))!;
            engine.Validator.Validate(probe, profile.Profile.Url);
        }
        WarmUpDuration = engine.Clock.Elapsed;
        _isWarm = true;
    }

    /// <summary>How many rounds over the examples settling ran, whether the JIT went quiet before the time limit, and how long it took.</summary>
    public (int Rounds, bool Settled, TimeSpan Duration) JitSettling { get; private set; }

    /// <summary>
    /// Validates the examples round after round until no method has been compiled for <see cref="JitQuietPeriod"/>
    /// (after at least <see cref="MinSettlingRounds"/>, enough for the runtime to count calls and recompile the hot
    /// code), or until <see cref="MaxJitSettling"/> has passed.
    /// </summary>
    private void SettleCompiledCode()
    {
        if (_warmUpExamples.Count == 0) return;
        var clock = Stopwatch.StartNew();
        var compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
        var quietSince = clock.Elapsed;
        var rounds = 0;
        while (clock.Elapsed < MaxJitSettling)
        {
            foreach (var example in _warmUpExamples) Validate(example, ClaimedOurs(example));
            rounds++;
            var now = System.Runtime.JitInfo.GetCompiledMethodCount();
            if (now != compiled)
            {
                compiled = now;
                quietSince = clock.Elapsed;
            }
            else if (rounds >= MinSettlingRounds && clock.Elapsed - quietSince >= JitQuietPeriod)
            {
                JitSettling = (rounds, true, clock.Elapsed);
                return;
            }
        }
        JitSettling = (rounds, false, clock.Elapsed);
    }

    private List<string> ClaimedOurs(Resource resource) =>
        (resource.Meta?.Profile ?? []).OfType<string>().Where(_catalog.Publishes).ToList();

    /// <summary>Our StructureDefinitions with generated snapshots (builds the validator if needed).</summary>
    public async Task<IReadOnlyList<GeneratedSnapshot>> SnapshotsAsync() => (await _engine.Value.ConfigureAwait(false)).Snapshots;

    /// <summary>
    /// Validates against the given profiles; with none, against the core definition of the type
    /// plus those of our profiles the resource claims in meta.profile.
    /// Every issue carries a FHIRPath location in <c>expression</c>.
    /// </summary>
    public async Task<OperationOutcome> ValidateAsync(Resource resource, IEnumerable<string>? profiles = null)
    {
        var engine = await _engine.Value.ConfigureAwait(false);
        var wanted = profiles?.Distinct().ToList() ?? [];
        var outcome = new OperationOutcome();
        if (wanted.Count == 0)
        {
            outcome.Issue.AddRange(engine.Validator.Validate(resource, null).Issue);
            outcome.Issue.AddRange(UnknownClaims(resource));
        }
        foreach (var profile in wanted)
        {
            if (!await IsKnownProfileAsync(engine, profile).ConfigureAwait(false))
            {
                outcome.Issue.Add(Issue(OperationOutcome.IssueSeverity.Error, OperationOutcome.IssueType.NotFound, $"Profile {profile} is not known to this server.", resource.TypeName));
                continue;
            }
            outcome.Issue.AddRange(engine.Validator.Validate(resource, profile).Issue);
        }
        return Finish(outcome, resource);
    }

    // Profiles found once are found forever (the definitions are fixed once the engine is built); the resolver takes a
    // lock per lookup, which every validated write paid. Only hits are kept, so the set is bounded by what is published.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _knownProfiles = new(StringComparer.Ordinal);

    private async ValueTask<bool> IsKnownProfileAsync(Engine engine, string profile)
    {
        if (_knownProfiles.ContainsKey(profile)) return true;
        if (await engine.Resolver.ResolveByCanonicalUriAsync(profile).ConfigureAwait(false) is not StructureDefinition) return false;
        _knownProfiles.TryAdd(profile, true);
        return true;
    }

    public OperationOutcome Validate(Resource resource, IEnumerable<string>? profiles = null) =>
        ValidateAsync(resource, profiles).GetAwaiter().GetResult();

    /// <summary>True when the outcome has no error or fatal issue.</summary>
    public static bool IsValid(OperationOutcome outcome) => !outcome.Issue.Any(IsError);

    public static bool IsError(OperationOutcome.IssueComponent issue) =>
        issue.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal;

    private IEnumerable<OperationOutcome.IssueComponent> UnknownClaims(Resource resource) =>
        (resource.Meta?.Profile ?? []).OfType<string>()
            .Where(p => !_catalog.Publishes(p) && !_catalog.Publishes(p.Split('|')[0]))
            .Select(p => Issue(OperationOutcome.IssueSeverity.Warning, OperationOutcome.IssueType.NotSupported,
                $"Claimed profile {p} is not published by this server; the resource was validated against the core specification only.", $"{resource.TypeName}.meta.profile"));

    private static OperationOutcome Finish(OperationOutcome outcome, Resource resource)
    {
        foreach (var issue in outcome.Issue)
        {
            // Callers (EHRs, the CLI) point at the element; fall back to the resource root rather than nothing.
            if (issue.Expression.Any()) continue;
#pragma warning disable CS0618 // location is deprecated in R4 but some validator issues only carry it
            var location = issue.Location.FirstOrDefault();
#pragma warning restore CS0618
            issue.Expression = [location ?? resource.TypeName];
        }
        if (outcome.Issue.Count == 0)
            outcome.Issue.Add(Issue(OperationOutcome.IssueSeverity.Information, OperationOutcome.IssueType.Informational, "Validation successful: no issues.", resource.TypeName));
        return outcome;
    }

    private static OperationOutcome.IssueComponent Issue(OperationOutcome.IssueSeverity severity, OperationOutcome.IssueType type, string text, string expression) => new()
    {
        Severity = severity,
        Code = type,
        Diagnostics = text,
        Expression = [expression],
    };

    /// <summary>
    /// Firely's compiled (and cached) schemas over the definitions <paramref name="resolver"/> shares, each compilation
    /// reading its own copies (<see cref="PrivateCopies"/>), so schemas may be compiled from many threads at once.
    /// </summary>
#pragma warning disable ExperimentalApi
    internal static IElementSchemaResolver CompiledSchemas(IAsyncResourceResolver resolver) =>
        Firely.Fhir.Validation.Compilation.StructureDefinitionToElementSchemaResolver.CreatedCached(new PrivateCopies(resolver));
#pragma warning restore ExperimentalApi

    /// <summary>The built validator; Clock runs from the start of the build, for the warm-up time.</summary>
    private sealed record Engine(Validator Validator, CachedResolver Resolver, IReadOnlyList<GeneratedSnapshot> Snapshots, Stopwatch Clock);

    private async Task<Engine> BuildAsync()
    {
        var clock = Stopwatch.StartNew();
        // Copies: the generator fills in snapshots of the extensions it meets, and the catalog must keep serving the files as written.
        var ours = _catalog.Resources.Select(r => (Resource)r.DeepCopy()).ToList();
        var differentials = CoreSpecification.With(new InMemoryResourceResolver(ours));
        var snapshots = await ProfileSnapshots.GenerateAsync(ours.OfType<StructureDefinition>(), differentials).ConfigureAwait(false);
        var broken = snapshots.Where(s => s.Errors.Any()).ToList();
        if (broken.Count > 0)
            throw new InvalidOperationException("Snapshot generation failed: " + string.Join("; ",
                broken.SelectMany(s => s.Errors.Select(e => $"{s.Profile.Url}: {e.Diagnostics ?? e.Details?.Text}"))));

        var withSnapshots = ours.Where(r => r is not StructureDefinition).Concat(snapshots.Select(s => (Resource)s.Profile)).ToList();
        var resolver = new CachedResolver(CoreSpecification.With(new InMemoryResourceResolver(withSnapshots)));
        var terminology = new CachedCodeValidation(new LocalTerminologyService(resolver, ValueSetExpanderSettings.CreateDefault()));
        // The compiler setting and the schema resolver are marked experimental in Firely.Fhir.Validation.
#pragma warning disable ExperimentalApi
        var settings = new ValidationSettings
        {
            // Without this, a required binding the local service cannot decide passes with a mere warning.
            HandleValidateCodeServiceFailure = (_, _) => TerminologyServiceExceptionResult.Error,
            // Foreign profiles in meta.profile (US Core ...) are reported by us as a warning, not chased offline.
            SelectValidationProfiles = (_, claimed, _, _) => claimed.Where(c => _catalog.Publishes(c.ToString())).ToArray(),
            // Without a compiler here, every validation builds a FHIRPath symbol table for its slice discriminators
            // (profiled: ~3% of a validated create). This is the compiler the invariants use when none is given.
            FhirPathCompiler = FhirPathValidator.DefaultCompiler,
        };
        var schemas = new RewrittenSchemas(CompiledSchemas(resolver), FhirPathValidator.DefaultCompiler);
#pragma warning restore ExperimentalApi
        var validator = new Validator(resolver, terminology, null, settings, schemas);
        return new Engine(validator, resolver, snapshots, clock);
    }
}
