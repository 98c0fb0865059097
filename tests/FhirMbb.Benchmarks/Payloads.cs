using System.Globalization;
using System.Text;
using System.Text.Json;

namespace FhirMbb.Benchmarks;

/// <summary>The resources the scenarios send, as FHIR JSON written by hand so the client spends no CPU on a FHIR model.</summary>
public static class Payloads
{
    private const string Sd = "https://fhirmbb.org/fhir/StructureDefinition/";
    private const string Cs = "https://fhirmbb.org/fhir/CodeSystem/";

    public static readonly string[] SearchCodes = ["72514-3", "8867-4", "8480-6", "29463-7"];
    public static readonly DateTime SearchEpoch = new(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public static string Patient(string family) => $$$"""
        {"resourceType":"Patient","name":[{"family":"{{{family}}}","given":["Bench"]}],"gender":"female","birthDate":"1961-04-12"}
        """;

    /// <summary>A pain score conforming to mbb-pain-score, so validation (when on) accepts it.</summary>
    public static string PainScore(string patientId, DateTime effective, int score, string phase = "post-block", string? procedureId = null)
    {
        var partOf = procedureId is null ? "" : $$$"""
            "partOf":[{"reference":"Procedure/{{{procedureId}}}"}],
            """;
        return $$$"""
            {"resourceType":"Observation","meta":{"profile":["{{{Sd}}}mbb-pain-score"]},"extension":[{"url":"{{{Sd}}}mbb-assessment-phase","valueCode":"{{{phase}}}"}],"status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"survey"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"72514-3","display":"Pain severity - 0-10 verbal numeric rating [Score] - Reported"}]},"subject":{"reference":"Patient/{{{patientId}}}"},{{{partOf}}}"effectiveDateTime":"{{{Instant(effective)}}}","valueInteger":{{{score}}}}
            """;
    }

    /// <summary>
    /// One of the search-load Observations, one per seven minutes from the epoch. The caller deals them to the patients
    /// in turn; the code goes round with <paramref name="n"/>, shifted by one each <paramref name="round"/> (time the
    /// caller has gone round the patients). So neighbouring Observations have different codes, and every patient has
    /// Observations of every code: a patient+code search finds that patient's share of the code.
    /// </summary>
    public static string SearchObservation(long n, string patientId, long round)
    {
        var code = SearchCodes[(n + round) % SearchCodes.Length];
        var effective = SearchEpoch.AddMinutes(n * 7 % (365 * 24 * 60));
        return $$$"""
            {"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"{{{code}}}"}]},"subject":{"reference":"Patient/{{{patientId}}}"},"effectiveDateTime":"{{{Instant(effective)}}}","valueInteger":{{{n % 11}}}}
            """;
    }

    /// <summary>A transaction of POST entries.</summary>
    public static byte[] Transaction(IEnumerable<string> resources)
    {
        var sb = new StringBuilder("""{"resourceType":"Bundle","type":"transaction","entry":[""");
        var first = true;
        foreach (var r in resources)
        {
            if (!first) sb.Append(',');
            first = false;
            var type = JsonDocument.Parse(r).RootElement.GetProperty("resourceType").GetString();
            sb.Append($$$"""{"fullUrl":"urn:uuid:{{{Guid.NewGuid()}}}","resource":{{{r}}},"request":{"method":"POST","url":"{{{type}}}"}}""");
        }
        sb.Append("]}");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    public static string AxialPainCondition(string patientId) => $$$"""
        {"resourceType":"Condition","meta":{"profile":["{{{Sd}}}mbb-axial-pain-condition"]},"extension":[{"url":"{{{Sd}}}mbb-pain-distribution","valueCode":"axial"},{"url":"{{{Sd}}}mbb-conservative-care","extension":[{"url":"modality","valueCode":"physical-therapy"},{"url":"period","valuePeriod":{"start":"2026-03-01","end":"2026-06-01"}},{"url":"response","valueCode":"failed"}]}],"clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},"code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"M47.816","display":"Spondylosis without myelopathy or radiculopathy, lumbar region"}]},"subject":{"reference":"Patient/{{{patientId}}}"},"onsetDateTime":"2025-09-01"}
        """;

    /// <summary>A completed lumbar medial branch block at L4-L5 right, under fluoroscopy.</summary>
    public static string MedialBranchBlock(string patientId, string conditionId, DateTime performed, int blockNumber, string anestheticCode, string anestheticName) => $$$"""
        {"resourceType":"Procedure","meta":{"profile":["{{{Sd}}}mbb-procedure"]},"extension":[{"url":"{{{Sd}}}mbb-target-joint","valueCodeableConcept":{"coding":[{"system":"{{{Cs}}}spinal-facet-joint","code":"L4-L5"}]}},{"url":"{{{Sd}}}mbb-laterality","valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"24028007","display":"Right"}]}},{"url":"{{{Sd}}}mbb-anesthetic","valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"{{{anestheticCode}}}","display":"{{{anestheticName}}}"}]}},{"url":"{{{Sd}}}mbb-imaging-guidance","valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"44491008","display":"Fluoroscopy"}]}},{"url":"{{{Sd}}}mbb-contrast-result","valueCode":"no-intravascular-uptake"},{"url":"{{{Sd}}}mbb-sedation","valueCode":"none"},{"url":"{{{Sd}}}mbb-block-number","valuePositiveInt":{{{blockNumber}}}}],"status":"completed","code":{"coding":[{"system":"{{{Cs}}}mbb","code":"medial-branch-block"},{"system":"http://www.ama-assn.org/go/cpt","code":"64493"}]},"subject":{"reference":"Patient/{{{patientId}}}"},"performedDateTime":"{{{Instant(performed)}}}","reasonReference":[{"reference":"Condition/{{{conditionId}}}"}],"bodySite":[{"coding":[{"system":"{{{Cs}}}spinal-medial-branch","code":"L3-MB"}]},{"coding":[{"system":"{{{Cs}}}spinal-medial-branch","code":"L4-MB"}]}]}
        """;

    public static string Instant(DateTime t) => t.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    /// <summary>The Synthea transaction bundles shipped in the repository, and how many resources each holds.</summary>
    public static List<(string File, byte[] Bytes, int Resources)> SyntheaBundles(string repoRoot)
    {
        var dir = Path.Combine(repoRoot, "tests", "data", "synthea-r4");
        return Directory.GetFiles(dir, "*.json").Order(StringComparer.Ordinal).Select(f =>
        {
            var bytes = File.ReadAllBytes(f);
            using var doc = JsonDocument.Parse(bytes);
            return (f, bytes, doc.RootElement.GetProperty("entry").GetArrayLength());
        }).ToList();
    }
}
