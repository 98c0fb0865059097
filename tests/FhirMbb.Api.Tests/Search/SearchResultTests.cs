using System.Net;
using System.Text.Json;
using FhirMbb.Api.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Tests.Search;

/// <summary>What shapes the result: _count, _sort, _total, _summary, _elements, includes, links, strictness, POST _search.</summary>
public sealed class SearchResultTests(SearchDataFixture data) : IClassFixture<SearchDataFixture>
{
    private static IEnumerable<string> Ids(JsonElement bundle, string mode = "match") =>
        SearchDataFixture.Entries(bundle, mode).Select(e => e.GetProperty("resource").GetProperty("resourceType").GetString() + "/" + e.GetProperty("resource").GetProperty("id").GetString());

    private static string? Link(JsonElement bundle, string relation) =>
        bundle.GetProperty("link").EnumerateArray().Where(l => l.GetProperty("relation").GetString() == relation).Select(l => l.GetProperty("url").GetString()).FirstOrDefault();

    [Fact]
    public async Task Sort_by_date_descending_then_by_several_keys()
    {
        var byDate = await data.Bundle("/fhir/Observation?code=72514-3&_sort=-date");
        Assert.Equal(["Observation/obs-3", "Observation/obs-2", "Observation/obs-1"], Ids(byDate));

        var byStatusThenDate = await data.Bundle("/fhir/Observation?_sort=status,date");
        Assert.Equal(["Observation/obs-4", "Observation/obs-1", "Observation/obs-2", "Observation/obs-3", "Observation/obs-5"], Ids(byStatusThenDate));

        var byFamily = await data.Bundle("/fhir/Patient?_sort=-family");
        Assert.Equal(["Patient/pat-c", "Patient/pat-a", "Patient/pat-b"], Ids(byFamily)); // smith > muller > mueller-smith
    }

    [Fact]
    public async Task Sorted_pages_link_to_each_other_and_cover_every_match_once()
    {
        var seen = new List<string>();
        string? url = "/fhir/Observation?_sort=-date&_count=2";
        var pages = 0;
        while (url is not null)
        {
            var bundle = await data.Bundle(url);
            seen.AddRange(Ids(bundle));
            url = Link(bundle, "next");
            pages++;
        }
        Assert.Equal(3, pages);
        Assert.Equal(["Observation/obs-3", "Observation/obs-2", "Observation/obs-1", "Observation/obs-4", "Observation/obs-5"], seen);
    }

    [Fact]
    public async Task Previous_link_returns_to_the_page_before()
    {
        var first = await data.Bundle("/fhir/Observation?_count=2");
        var second = await data.Bundle(Link(first, "next")!);
        Assert.NotNull(Link(second, "previous"));
        var back = await data.Bundle(Link(second, "previous")!);
        Assert.Equal(Ids(first), Ids(back));
        Assert.Null(Link(first, "previous"));
        Assert.NotNull(Link(first, "first"));
        Assert.Contains("_count=2", Link(first, "self"));
    }

    [Fact]
    public async Task Total_is_given_when_accurate_is_asked_and_summary_count_gives_only_the_total()
    {
        var accurate = await data.Bundle("/fhir/Observation?code=72514-3&_total=accurate&_count=1");
        Assert.Equal(3, accurate.GetProperty("total").GetInt32());
        Assert.Single(SearchDataFixture.Entries(accurate));

        var none = await data.Bundle("/fhir/Observation?code=72514-3&_total=none");
        Assert.False(none.TryGetProperty("total", out _));

        var count = await data.Bundle("/fhir/Observation?code=72514-3&_summary=count");
        Assert.Equal(3, count.GetProperty("total").GetInt32());
        Assert.Empty(SearchDataFixture.Entries(count));
    }

    [Fact]
    public async Task Count_limits_the_page_and_is_capped_at_the_maximum()
    {
        Assert.Equal(2, SearchDataFixture.Entries(await data.Bundle("/fhir/Observation?_count=2")).Count());
        var capped = await data.Bundle("/fhir/Observation?_count=5000");
        Assert.Contains("_count=5000", Link(capped, "self"));
        Assert.Equal(5, SearchDataFixture.Entries(capped).Count());
    }

    [Fact]
    public async Task Summary_true_and_elements_return_subsetted_resources()
    {
        var summary = await data.Bundle("/fhir/Patient?_id=pat-a&_summary=true");
        var patient = SearchDataFixture.Entries(summary).Single().GetProperty("resource");
        Assert.True(patient.TryGetProperty("name", out _));
        var full = SearchDataFixture.Entries(await data.Bundle("/fhir/Patient?_id=pat-a")).Single().GetProperty("resource");
        Assert.DoesNotContain("SUBSETTED", full.GetRawText());
        Assert.Contains("SUBSETTED", patient.GetProperty("meta").GetRawText());

        var elements = await data.Bundle("/fhir/Observation?_id=obs-2&_elements=status");
        var observation = SearchDataFixture.Entries(elements).Single().GetProperty("resource");
        Assert.Equal("final", observation.GetProperty("status").GetString());
        Assert.False(observation.TryGetProperty("valueQuantity", out _));
        Assert.False(observation.TryGetProperty("subject", out _));
        Assert.Equal("obs-2", observation.GetProperty("id").GetString());

        var choice = await data.Bundle("/fhir/Observation?_id=obs-2&_elements=valueQuantity");
        var withValue = SearchDataFixture.Entries(choice).Single().GetProperty("resource");
        Assert.Equal(2, withValue.GetProperty("valueQuantity").GetProperty("value").GetInt32());
        Assert.False(withValue.TryGetProperty("effectiveDateTime", out _));
        Assert.Contains(withValue.GetProperty("meta").GetProperty("tag").EnumerateArray(), t => t.GetProperty("code").GetString() == "SUBSETTED");
    }

    [Fact]
    public async Task Revinclude_returns_a_block_with_its_whole_diary()
    {
        var bundle = await data.Bundle("/fhir/Procedure?_id=proc-1&_revinclude=Observation:part-of");
        Assert.Equal(["Procedure/proc-1"], Ids(bundle));
        Assert.Equal(["Observation/obs-1", "Observation/obs-2", "Observation/obs-3"], Ids(bundle, "include").Order());
    }

    [Fact]
    public async Task Include_adds_the_referenced_patient_once()
    {
        var bundle = await data.Bundle("/fhir/Observation?code=72514-3&_include=Observation:subject");
        Assert.Equal(3, Ids(bundle).Count());
        Assert.Equal(["Patient/pat-a"], Ids(bundle, "include"));
    }

    [Fact]
    public async Task Include_iterate_follows_references_from_included_resources()
    {
        var plain = await data.Bundle("/fhir/Observation?_id=obs-1&_include=Observation:part-of&_include=Procedure:subject");
        Assert.Equal(["Procedure/proc-1"], Ids(plain, "include"));

        var iterated = await data.Bundle("/fhir/Observation?_id=obs-1&_include=Observation:part-of&_include:iterate=Procedure:subject");
        Assert.Equal(["Patient/pat-a", "Procedure/proc-1"], Ids(iterated, "include").Order());

        var revIterated = await data.Bundle("/fhir/Patient?_id=pat-a&_revinclude=Procedure:subject&_revinclude:iterate=Observation:part-of");
        Assert.Equal(["Observation/obs-1", "Observation/obs-2", "Observation/obs-3", "Procedure/proc-1"], Ids(revIterated, "include").Order());
    }

    [Fact]
    public async Task Lenient_search_ignores_unknown_parameters_and_leaves_them_out_of_the_self_link()
    {
        var bundle = await data.Bundle("/fhir/Patient?gender=male&unknown-thing=1&birthdate=notadate");
        Assert.Equal(["Patient/pat-b"], Ids(bundle));
        var self = Link(bundle, "self")!;
        Assert.Contains("gender=male", self);
        Assert.DoesNotContain("unknown-thing", self);
        Assert.DoesNotContain("birthdate", self);

        // What was ignored, and why, comes back in an OperationOutcome entry.
        var outcome = SearchDataFixture.Entries(bundle, "outcome").Single().GetProperty("resource");
        Assert.Equal("OperationOutcome", outcome.GetProperty("resourceType").GetString());
        var issues = outcome.GetProperty("issue").EnumerateArray().Select(i => (Severity: i.GetProperty("severity").GetString(), Text: i.GetProperty("diagnostics").GetString()!)).ToList();
        Assert.Equal(2, issues.Count);
        Assert.All(issues, i => Assert.Equal("warning", i.Severity));
        Assert.Contains(issues, i => i.Text.Contains("unknown-thing"));
        Assert.Contains(issues, i => i.Text.Contains("birthdate") && i.Text.Contains("notadate"));
        // A search understood whole has none.
        Assert.Empty(SearchDataFixture.Entries(await data.Bundle("/fhir/Patient?gender=male"), "outcome"));
    }

    [Fact]
    public async Task Lenient_search_in_xml_carries_its_outcome_entry_too()
    {
        var response = await data.Client.GetAsync("/fhir/Patient?gender=male&date-of-nothing=1&_format=xml");
        var bundle = await response.ReadAs<Bundle>();
        var outcome = Assert.Single(bundle.Entry, e => e.Search?.Mode == Bundle.SearchEntryMode.Outcome);
        Assert.Contains("date-of-nothing", Assert.IsType<OperationOutcome>(outcome.Resource).Issue.Single().Diagnostics);
        Assert.Single(bundle.Entry, e => e.Search?.Mode == Bundle.SearchEntryMode.Match);
    }

    [Theory]
    [InlineData("/fhir/Patient?unknown-thing=1", "unknown-thing")]
    [InlineData("/fhir/Patient?birthdate=notadate", "birthdate")]
    [InlineData("/fhir/Patient?family:below=x", "below")]
    [InlineData("/fhir/Observation?value-quantity=abc", "value-quantity")]
    [InlineData("/fhir/Observation?code-value-quantity=x", "2 parts")]
    [InlineData("/fhir/Observation?code-value-quantity=72514-3$lt2$3", "2 parts")]
    [InlineData("/fhir/Observation?code-value-quantity=72514-3$abc", "code-value-quantity")]
    [InlineData("/fhir/Observation?component-code-value-quantity=x$1", "not supported")]
    [InlineData("/fhir/Observation?_sort=code-value-quantity", "composite")]
    [InlineData("/fhir/Observation?code-value-quantity:missing=true", "composite")]
    [InlineData("/fhir/Observation?_sort=nope", "nope")]
    [InlineData("/fhir/Condition?code:in=https://example.org/ValueSet/unknown", "not known")]
    [InlineData("/fhir/Observation?_include=Observation:nope", "nope")]
    public async Task Strict_handling_refuses_unknown_or_malformed_parameters(string url, string mentioned)
    {
        var response = await data.Client.SendAsync(FhirTest.Request(HttpMethod.Get, url, null, ("Prefer", "handling=strict")));
        var message = await response.AssertOutcome(HttpStatusCode.BadRequest);
        Assert.Contains(mentioned, message);
    }

    [Fact]
    public async Task Post_search_with_a_form_body_matches_get()
    {
        var form = new FormUrlEncodedContent([new("code", "72514-3"), new("date", "ge2026-11-01T09:00:00Z")]);
        var response = await data.Client.PostAsync("/fhir/Observation/_search", form);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["Observation/obs-2", "Observation/obs-3"], Ids(await response.ReadJson()));
    }

    [Fact]
    public async Task Search_on_an_unknown_type_is_404()
    {
        await (await data.Client.GetAsync("/fhir/Encounter?subject=x")).AssertOutcome(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Search_in_xml_is_a_searchset_bundle()
    {
        var response = await data.Client.GetAsync("/fhir/Patient?gender=female&_format=xml");
        var bundle = await response.ReadAs<Bundle>();
        Assert.Equal(Bundle.BundleType.Searchset, bundle.Type);
        Assert.Equal(2, bundle.Entry.Count);
    }

    [Fact]
    public async Task Deleted_and_updated_resources_are_searched_by_their_current_version_only()
    {
        var observation = FhirTest.PainScore("pat-z", 3);
        observation.Id = "obs-mutable";
        await data.Put(observation);
        Assert.Equal("obs-mutable", await data.MatchIds("/fhir/Observation?subject=pat-z"));

        observation.Subject = new ResourceReference("Patient/pat-y");
        await data.Put(observation);
        Assert.Equal("", await data.MatchIds("/fhir/Observation?subject=pat-z"));
        Assert.Equal("obs-mutable", await data.MatchIds("/fhir/Observation?subject=pat-y"));

        Assert.Equal(HttpStatusCode.NoContent, (await data.Client.DeleteAsync("/fhir/Observation/obs-mutable")).StatusCode);
        Assert.Equal("", await data.MatchIds("/fhir/Observation?subject=pat-y"));
    }

    [Fact]
    public async Task Capability_statement_lists_search_parameters_includes_and_what_is_not_supported()
    {
        var statement = await (await data.Client.GetAsync("/fhir/metadata")).ReadAs<CapabilityStatement>();
        var observation = statement.Rest[0].Resource.Single(r => r.Type == "Observation");
        Assert.Contains(observation.Interaction, i => i.Code == CapabilityStatement.TypeRestfulInteraction.SearchType);
        Assert.Contains(observation.SearchParam, p => p.Name == "code" && p.Type == SearchParamType.Token);
        Assert.Contains(observation.SearchParam, p => p.Name == "_lastUpdated");
        Assert.Contains(observation.SearchParam, p => p.Name == "code-value-quantity" && p.Type == SearchParamType.Composite);
        Assert.DoesNotContain(observation.SearchParam, p => p.Name == "component-code-value-quantity");
        Assert.Contains("component-code-value-quantity", observation.Documentation);
        Assert.Contains("Observation:subject", observation.SearchInclude);
        var procedure = statement.Rest[0].Resource.Single(r => r.Type == "Procedure");
        Assert.Contains("Observation:part-of", procedure.SearchRevInclude);
        Assert.Contains(procedure.SearchParam, p => p.Name == "target-joint");
    }
}
