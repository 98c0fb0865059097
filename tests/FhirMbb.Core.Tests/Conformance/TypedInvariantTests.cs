using System.Text.Json;
using FhirMbb.Core.Conformance;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Tests.Conformance;

/// <summary>
/// The pain score profile's invariants on the value and the effective time (ofType(T).all(...)) are decided without
/// FHIRPath when they hold. Each is checked against Firely's FHIRPath on values that meet it, break it, and sit at its
/// edges: the shortcut may only ever say "holds" where FHIRPath says true, and must say it for the usual pain score.
/// </summary>
public sealed class TypedInvariantTests
{
    private static readonly Dictionary<string, string> Expressions = ProfileInvariants("StructureDefinition-mbb-pain-score.json");

    private static Quantity Score(decimal value, string code = "{score}") => new() { Value = value, System = "http://unitsofmeasure.org", Code = code };

    public static TheoryData<string, string> Values() => new()
    {
        { "mbb-ps-1", "integer 0" }, { "mbb-ps-1", "integer 4" }, { "mbb-ps-1", "integer 10" }, { "mbb-ps-1", "integer 11" },
        { "mbb-ps-1", "integer -1" }, { "mbb-ps-1", "integer without a value" }, { "mbb-ps-1", "quantity 4" }, { "mbb-ps-1", "string" },
        { "mbb-ps-2", "integer 4" }, { "mbb-ps-2", "quantity 4" }, { "mbb-ps-2", "quantity 11" }, { "mbb-ps-2", "string" },
        { "mbb-ps-3", "dateTime with seconds" }, { "mbb-ps-3", "dateTime with an offset" }, { "mbb-ps-3", "date only" },
        { "mbb-ps-3", "year and month" }, { "mbb-ps-3", "period" }, { "mbb-ps-3", "integer 4" },
    };

    private static readonly Dictionary<string, Func<Base>> Focus = new()
    {
        ["integer 0"] = () => new Integer(0),
        ["integer 4"] = () => new Integer(4),
        ["integer 10"] = () => new Integer(10),
        ["integer 11"] = () => new Integer(11),
        ["integer -1"] = () => new Integer(-1),
        ["integer without a value"] = () => new Integer(null),
        ["quantity 4"] = () => Score(4),
        ["quantity 11"] = () => Score(11),
        ["string"] = () => new FhirString("four"),
        ["dateTime with seconds"] = () => new FhirDateTime("2026-03-02T10:00:00Z"),
        ["dateTime with an offset"] = () => new FhirDateTime("2026-03-02T10:00:00.123+02:00"),
        ["date only"] = () => new FhirDateTime("2026-03-02"),
        ["year and month"] = () => new FhirDateTime("2026-03"),
        ["period"] = () => new Period { Start = "2026-03-02T10:00:00Z" },
    };

    // The values a valid pain score carries: the shortcut must decide these, or it buys nothing. A primitive of
    // another primitive type (a string where ofType(integer) looks) is left to FHIRPath on purpose.
    private static readonly HashSet<(string, string)> Decided =
    [
        ("mbb-ps-1", "integer 0"), ("mbb-ps-1", "integer 4"), ("mbb-ps-1", "integer 10"), ("mbb-ps-1", "quantity 4"),
        ("mbb-ps-2", "integer 4"), ("mbb-ps-2", "string"),
        ("mbb-ps-3", "dateTime with seconds"), ("mbb-ps-3", "dateTime with an offset"), ("mbb-ps-3", "period"),
    ];

    [Theory, MemberData(nameof(Values))]
    public void Holds_natively_only_where_FHIRPath_says_true(string key, string value)
    {
        var expression = Expressions[key];
        var shortcut = TypedInvariants.For(expression);
        Assert.NotNull(shortcut);

        var focus = Focus[value]();
        var native = shortcut(focus);
        var firely = focus.IsTrue(expression);

        if (native) Assert.True(firely, $"{key} on {value}: proven natively, but FHIRPath says false");
        Assert.Equal(Decided.Contains((key, value)), native);
    }

    [Theory]
    [InlineData("ofType(integer).all($this >= 0 and $this <= 10) or true")]
    [InlineData("ofType(integer).all($this > 0)")]
    [InlineData("value.ofType(integer).all($this >= 0 and $this <= 10)")]
    [InlineData("ofType(NoSuchType).all($this >= 0 and $this <= 10)")]
    public void Other_shapes_are_left_to_FHIRPath_for_values_of_the_type(string expression)
    {
        var shortcut = TypedInvariants.For(expression);
        Assert.True(shortcut is null || !shortcut(new Integer(4)));
    }

    private static Dictionary<string, string> ProfileInvariants(string file)
    {
        var path = Path.Combine(ConformanceDirectories.BesideApplication().Profiles, file);
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var found = new Dictionary<string, string>();
        foreach (var element in document.RootElement.GetProperty("differential").GetProperty("element").EnumerateArray())
            if (element.TryGetProperty("constraint", out var constraints))
                foreach (var constraint in constraints.EnumerateArray())
                    found[constraint.GetProperty("key").GetString()!] = constraint.GetProperty("expression").GetString()!;
        return found;
    }
}
