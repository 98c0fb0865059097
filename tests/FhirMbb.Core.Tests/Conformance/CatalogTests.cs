using FhirMbb.Core.Conformance;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Tests.Conformance;

[Collection(ConformanceCollection.Name)]
public sealed class CatalogTests(ValidatorFixture fixture)
{
    [Fact]
    public void Finds_a_profile_by_type_and_id_and_by_canonical_url_with_or_without_version()
    {
        var byId = fixture.Catalog.FindById("StructureDefinition", "mbb-pain-score");

        Assert.NotNull(byId);
        Assert.Same(byId, fixture.Catalog.FindByCanonical(Canonicals.Profiles.MbbPainScore));
        Assert.Same(byId, fixture.Catalog.FindByCanonical(Canonicals.Profiles.MbbPainScore + "|0.1.0"));
        Assert.Null(fixture.Catalog.FindByCanonical(Canonicals.Profiles.MbbPainScore + "|9.9.9"));
    }

    [Fact]
    public void Searches_by_resource_type_name_and_type()
    {
        var observationProfiles = fixture.Catalog.Search("StructureDefinition", type: "Observation").Select(e => e.Id).Order().ToList();

        Assert.Equal(["mbb-block-outcome", "mbb-pain-score"], observationProfiles);
        Assert.Single(fixture.Catalog.Search("ValueSet", name: "mbbprocedurecodes"));
        Assert.Equal(4, fixture.Catalog.Search("SearchParameter", type: "Procedure").Count());
        Assert.Single(fixture.Catalog.Search(url: Canonicals.Operations.EvaluateBlock));
    }

    [Fact]
    public void Examples_are_not_published_conformance_content()
    {
        Assert.DoesNotContain(fixture.Catalog.Entries, e => e.FilePath.Contains($"{Path.DirectorySeparatorChar}examples{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
        Assert.DoesNotContain(fixture.Catalog.Entries, e => e.ResourceType is "Procedure" or "Observation" or "Condition");
    }

    [Fact]
    public void A_broken_file_stops_loading_naming_the_file_and_the_parser_error()
    {
        var directory = Directory.CreateTempSubdirectory("mbb-catalog-");
        try
        {
            File.WriteAllText(Path.Combine(directory.FullName, "ValueSet-ok.json"), """{"resourceType":"ValueSet","id":"ok","status":"draft"}""");
            File.WriteAllText(Path.Combine(directory.FullName, "ValueSet-broken.json"), """{"resourceType":"ValueSet","id":"broken","status":"nonsense"}""");

            var error = Assert.Throws<ConformanceLoadException>(() => ConformanceCatalog.Load([directory.FullName]));

            Assert.EndsWith("ValueSet-broken.json", error.FilePath);
            Assert.Contains("ValueSet-broken.json", error.Message);
            Assert.Contains("nonsense", error.Message);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Invalid_json_is_reported_with_the_file_name()
    {
        var directory = Directory.CreateTempSubdirectory("mbb-catalog-");
        try
        {
            File.WriteAllText(Path.Combine(directory.FullName, "CodeSystem-cut.json"), """{"resourceType":"CodeSystem","id":""");

            var error = Assert.Throws<ConformanceLoadException>(() => ConformanceCatalog.Load([directory.FullName]));

            Assert.EndsWith("CodeSystem-cut.json", error.FilePath);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Two_files_with_the_same_url_are_refused()
    {
        var directory = Directory.CreateTempSubdirectory("mbb-catalog-");
        try
        {
            File.WriteAllText(Path.Combine(directory.FullName, "ValueSet-a.json"), """{"resourceType":"ValueSet","id":"a","url":"https://fhirmbb.org/fhir/ValueSet/x","status":"draft"}""");
            File.WriteAllText(Path.Combine(directory.FullName, "ValueSet-b.json"), """{"resourceType":"ValueSet","id":"b","url":"https://fhirmbb.org/fhir/ValueSet/x","status":"draft"}""");

            var error = Assert.Throws<ConformanceLoadException>(() => ConformanceCatalog.Load([directory.FullName]));

            Assert.Contains("duplicate canonical", error.Message);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Published_search_parameters_index_the_extensions_by_fhirpath()
    {
        var targetJoint = fixture.Catalog.FindById("SearchParameter", "mbb-procedure-target-joint") as SearchParameter;

        Assert.NotNull(targetJoint);
        Assert.Equal("target-joint", targetJoint.Code);
        Assert.Contains(Canonicals.Extensions.TargetJoint, targetJoint.Expression);
        Assert.NotNull(fixture.Catalog.FindById("SearchParameter", "mbb-procedure-anesthetic"));
        Assert.NotNull(fixture.Catalog.FindById("SearchParameter", "mbb-procedure-block-number"));
        Assert.NotNull(fixture.Catalog.FindById("SearchParameter", "mbb-observation-assessment-phase"));
    }
}
