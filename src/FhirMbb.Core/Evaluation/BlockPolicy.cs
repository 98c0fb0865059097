using System.Reflection;
using System.Text.Json;

namespace FhirMbb.Core.Evaluation;

/// <summary>
/// One payer's eligibility rule set. Every clinical number lives here (and in the data file that
/// fills it), so a new payer is configuration, not code.
/// </summary>
public sealed record BlockPolicy
{
    /// <summary>Name used as the operation's <c>policy</c> parameter, e.g. <c>dual-block-80</c>.</summary>
    public required string Code { get; init; }

    public string? Title { get; init; }

    /// <summary>Relief a block must reach, in whole percent of the baseline (50 means 50%).</summary>
    public required int ReliefThresholdPercent { get; init; }

    /// <summary>Valid positive blocks needed, on different days.</summary>
    public int BlocksRequired { get; init; } = 1;

    /// <summary>Lowest acceptable baseline score (0-10); null means any non-zero baseline.</summary>
    public int? MinimumBaselineScore { get; init; }

    /// <summary>How far before the block a <c>baseline</c> score may be taken.</summary>
    public required int BaselineLookbackHours { get; init; }

    /// <summary>Expected window of relief per anaesthetic, keyed by SNOMED CT substance code.</summary>
    public IReadOnlyDictionary<string, decimal> AnestheticWindowHours { get; init; } = new Dictionary<string, decimal>();

    /// <summary>Window for an agent not in the table; null makes such a block indeterminate.</summary>
    public decimal? DefaultWindowHours { get; init; }

    /// <summary>Accepted imaging guidance as <c>system|code</c> tokens; empty accepts any documented guidance.</summary>
    public IReadOnlyList<string> AcceptedGuidance { get; init; } = [];

    /// <summary>Sedation levels (mbb-sedation codes) that make a block uninterpretable.</summary>
    public IReadOnlyList<string> InvalidatingSedation { get; init; } = [];

    /// <summary>When blocks used agents of different duration, the longer-acting must give longer relief.</summary>
    public bool ConcordanceRequired { get; init; }

    public int MinimumPainDurationMonths { get; init; }

    /// <summary>At least one conservative-care modality must be documented as failed.</summary>
    public bool ConservativeCareRequired { get; init; }

    /// <summary>mbb-pain-distribution codes that count as facet-type pain.</summary>
    public IReadOnlyList<string> AcceptedPainDistributions { get; init; } = [];

    /// <summary>Most facet joints one diagnostic block may cover; null means no limit.</summary>
    public int? MaxJointLevels { get; init; }

    /// <summary>The relief window for an agent, or null when the policy cannot say.</summary>
    public decimal? WindowHoursFor(string? snomedCode) =>
        snomedCode is not null && AnestheticWindowHours.TryGetValue(snomedCode, out var hours) ? hours : DefaultWindowHours;
}

/// <summary>
/// Built-in policies (embedded <c>builtin-policies.json</c>) merged with configured ones.
/// A configured policy with a built-in's code replaces it, so a clinic can tune a window.
/// </summary>
public sealed class BlockPolicyCatalog
{
    public const string DefaultPolicyCode = "single-block-50";
    private const string BuiltInResource = "FhirMbb.Core.Evaluation.builtin-policies.json";

    private static readonly JsonSerializerOptions PolicyJson = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    private static readonly Lazy<IReadOnlyList<BlockPolicy>> BuiltIn = new(LoadBuiltIns);

    private readonly Dictionary<string, BlockPolicy> _byCode = new(StringComparer.Ordinal);

    public BlockPolicyCatalog(IEnumerable<BlockPolicy>? configured = null)
    {
        foreach (var policy in BuiltIn.Value)
            _byCode[policy.Code] = policy;
        foreach (var policy in configured ?? [])
        {
            Validate(policy);
            _byCode[policy.Code] = policy;
        }
    }

    public IReadOnlyCollection<BlockPolicy> All => _byCode.Values;

    public static IReadOnlyList<BlockPolicy> BuiltInPolicies => BuiltIn.Value;

    public bool TryGet(string? code, out BlockPolicy policy)
    {
        policy = null!;
        return code is not null && _byCode.TryGetValue(code, out policy!);
    }

    /// <summary>The policy for a code (null or empty means the default); unknown codes throw a 400.</summary>
    public BlockPolicy Get(string? code)
    {
        var effective = string.IsNullOrWhiteSpace(code) ? DefaultPolicyCode : code.Trim();
        return TryGet(effective, out var policy) ? policy : throw new UnknownPolicyException(effective);
    }

    /// <summary>Reads policies from JSON shaped like the built-in file (<c>{ "policies": [...] }</c>).</summary>
    public static IReadOnlyList<BlockPolicy> ReadPolicies(Stream json)
    {
        var file = JsonSerializer.Deserialize<PolicyFile>(json, PolicyJson)
            ?? throw new InvalidDataException("Policy file is empty.");
        foreach (var policy in file.Policies)
            Validate(policy);
        return file.Policies;
    }

    private static IReadOnlyList<BlockPolicy> LoadBuiltIns()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(BuiltInResource)
            ?? throw new InvalidOperationException($"Embedded resource {BuiltInResource} is missing.");
        return ReadPolicies(stream);
    }

    // Configuration mistakes should stop the server at start, not give wrong clinical answers later.
    private static void Validate(BlockPolicy policy)
    {
        if (string.IsNullOrWhiteSpace(policy.Code))
            throw new InvalidDataException("A policy needs a code.");
        if (policy.ReliefThresholdPercent is < 1 or > 100)
            throw new InvalidDataException($"Policy {policy.Code}: reliefThresholdPercent must be 1..100.");
        if (policy.BlocksRequired < 1)
            throw new InvalidDataException($"Policy {policy.Code}: blocksRequired must be at least 1.");
        if (policy.BaselineLookbackHours <= 0)
            throw new InvalidDataException($"Policy {policy.Code}: baselineLookbackHours must be positive.");
        if (policy.AnestheticWindowHours.Values.Any(h => h <= 0) || policy.DefaultWindowHours <= 0)
            throw new InvalidDataException($"Policy {policy.Code}: anaesthetic windows must be positive.");
    }

    private sealed record PolicyFile(IReadOnlyList<BlockPolicy> Policies);
}
