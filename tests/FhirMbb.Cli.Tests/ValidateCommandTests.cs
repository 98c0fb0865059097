namespace FhirMbb.Cli.Tests;

[Collection(CliCollection.Name)]
public sealed class ValidateCommandTests(CliFixture fixture)
{
    private async Task<(int ExitCode, string Output)> Validate(IReadOnlyList<string> files, IReadOnlyList<string>? profiles = null)
    {
        var output = new StringWriter();
        var exitCode = await new ValidateCommand(fixture.Catalog, fixture.Validator, output).RunAsync(files, profiles);
        return (exitCode, output.ToString());
    }

    [Fact]
    public async Task Valid_files_exit_0()
    {
        var (exitCode, output) = await Validate([fixture.Example("mbb-procedure-valid-lumbar-l4-l5"), fixture.Example("mbb-pain-score-valid-quantity")]);

        Assert.Equal(CommandLine.Success, exitCode);
        Assert.Equal(2, output.Split('\n').Count(l => l.Contains(": valid", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task An_invalid_file_exits_1_and_prints_the_issue_with_its_location()
    {
        var (exitCode, output) = await Validate([fixture.Example("mbb-pain-score-valid-integer"), fixture.Example("mbb-pain-score-invalid-score-11")]);

        Assert.Equal(CommandLine.Invalid, exitCode);
        Assert.Contains("mbb-pain-score-invalid-score-11.json: INVALID", output);
        Assert.Contains("Observation.value[0]", output);
        Assert.Contains("mbb-ps-1", output);
    }

    [Fact]
    public async Task A_missing_file_exits_1()
    {
        var (exitCode, output) = await Validate([Path.Combine(fixture.Scratch.FullName, "nope.json")]);

        Assert.Equal(CommandLine.Invalid, exitCode);
        Assert.Contains("file not found", output);
    }

    [Fact]
    public async Task A_file_that_is_not_fhir_json_exits_1()
    {
        var (exitCode, output) = await Validate([fixture.WriteFile("broken.json", """{"resourceType":"Observation","status":""")]);

        Assert.Equal(CommandLine.Invalid, exitCode);
        Assert.Contains("not a FHIR JSON resource", output);
    }

    [Fact]
    public async Task An_unclaimed_block_is_validated_as_the_mbb_it_evidently_is()
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(fixture.Example("mbb-procedure-invalid-missing-laterality")))!.AsObject();
        Assert.True(json.Remove("meta"));

        var (exitCode, output) = await Validate([fixture.WriteFile("unclaimed-block.json", json.ToJsonString())]);

        Assert.Equal(CommandLine.Invalid, exitCode);
        Assert.Contains("laterality", output);
    }

    [Fact]
    public async Task A_clinic_visit_pain_score_is_checked_against_the_core_spec_only()
    {
        var path = fixture.WriteFile("synthea-pain.json", """
            {"resourceType":"Observation","id":"visit","status":"final",
             "code":{"coding":[{"system":"http://loinc.org","code":"72514-3"}]},
             "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2011-10-14T23:37:54+00:00",
             "valueQuantity":{"value":0.42,"unit":"{score}","system":"http://unitsofmeasure.org","code":"{score}"}}
            """);

        var (exitCode, output) = await Validate([path]);

        Assert.Equal(CommandLine.Success, exitCode);
        Assert.Contains("against core Observation", output);
    }

    [Fact]
    public async Task A_profile_given_on_the_command_line_is_applied()
    {
        var path = fixture.WriteFile("same-pain.json", """
            {"resourceType":"Observation","id":"visit","status":"final",
             "code":{"coding":[{"system":"http://loinc.org","code":"72514-3"}]},
             "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2011-10-14T23:37:54+00:00",
             "valueQuantity":{"value":0.42,"unit":"{score}","system":"http://unitsofmeasure.org","code":"{score}"}}
            """);

        var (exitCode, output) = await Validate([path], [Core.Canonicals.Profiles.MbbPainScore]);

        Assert.Equal(CommandLine.Invalid, exitCode);
        Assert.Contains("mbb-ps-2", output);
        Assert.Contains("assessmentPhase", output);
    }

    [Theory]
    [InlineData("")]
    [InlineData("validate")]
    [InlineData("validate --profile")]
    [InlineData("frobnicate x")]
    public async Task Wrong_usage_exits_2_with_help(string commandLine)
    {
        var args = commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var errors = new StringWriter();

        var exitCode = await CommandLine.RunAsync(args, new StringWriter(), errors, fixture.Directories);

        Assert.Equal(CommandLine.Usage, exitCode);
        Assert.Contains("usage", errors.ToString());
    }
}
