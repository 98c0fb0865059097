namespace FhirMbb.Core;

/// <summary>
/// Every canonical URL and code system the project publishes, typed once.
/// Names follow the public data contract; they never change once published.
/// </summary>
public static class Canonicals
{
    public const string Base = "https://fhirmbb.org/fhir";

    public static class Profiles
    {
        public const string MbbProcedure = Base + "/StructureDefinition/mbb-procedure";
        public const string MbbPainScore = Base + "/StructureDefinition/mbb-pain-score";
        public const string MbbAxialPainCondition = Base + "/StructureDefinition/mbb-axial-pain-condition";
        public const string MbbBlockOutcome = Base + "/StructureDefinition/mbb-block-outcome";
    }

    public static class Extensions
    {
        public const string TargetJoint = Base + "/StructureDefinition/mbb-target-joint";
        public const string Laterality = Base + "/StructureDefinition/mbb-laterality";
        public const string Anesthetic = Base + "/StructureDefinition/mbb-anesthetic";
        public const string InjectateVolume = Base + "/StructureDefinition/mbb-injectate-volume";
        public const string ImagingGuidance = Base + "/StructureDefinition/mbb-imaging-guidance";
        public const string ContrastResult = Base + "/StructureDefinition/mbb-contrast-result";
        public const string Sedation = Base + "/StructureDefinition/mbb-sedation";
        public const string BlockNumber = Base + "/StructureDefinition/mbb-block-number";
        public const string AssessmentPhase = Base + "/StructureDefinition/mbb-assessment-phase";
        public const string PainDistribution = Base + "/StructureDefinition/mbb-pain-distribution";
        public const string ConservativeCare = Base + "/StructureDefinition/mbb-conservative-care";
    }

    public static class CodeSystems
    {
        public const string Mbb = Base + "/CodeSystem/mbb";
        public const string SpinalFacetJoint = Base + "/CodeSystem/spinal-facet-joint";
        public const string SpinalMedialBranch = Base + "/CodeSystem/spinal-medial-branch";
        public const string Loinc = "http://loinc.org";
        public const string Snomed = "http://snomed.info/sct";
        public const string Cpt = "http://www.ama-assn.org/go/cpt";
        public const string Icd10Cm = "http://hl7.org/fhir/sid/icd-10-cm";
        public const string Ucum = "http://unitsofmeasure.org";
    }

    public static class ValueSets
    {
        public const string ProcedureCodes = Base + "/ValueSet/mbb-procedure-codes";
        public const string AxialPainCodes = Base + "/ValueSet/mbb-axial-pain-codes";
        public const string ExclusionDiagnoses = Base + "/ValueSet/mbb-exclusion-diagnoses";
        public const string RfaProcedureCodes = Base + "/ValueSet/mbb-rfa-procedure-codes";
        public const string Anesthetics = Base + "/ValueSet/mbb-anesthetics";
        public const string ImagingGuidance = Base + "/ValueSet/mbb-imaging-guidance";
        public const string Laterality = Base + "/ValueSet/mbb-laterality";
        public const string SpinalRegions = Base + "/ValueSet/mbb-spinal-regions";
        public const string ContrastResults = Base + "/ValueSet/mbb-contrast-results";
        public const string SedationLevels = Base + "/ValueSet/mbb-sedation-levels";
        public const string AssessmentPhases = Base + "/ValueSet/mbb-assessment-phases";
        public const string PainDistributions = Base + "/ValueSet/mbb-pain-distributions";
        public const string ConservativeCareModalities = Base + "/ValueSet/mbb-conservative-care-modalities";
        public const string ConservativeCareResponses = Base + "/ValueSet/mbb-conservative-care-responses";
        public const string BlockOutcomes = Base + "/ValueSet/mbb-block-outcomes";
        public const string ReasonCodes = Base + "/ValueSet/mbb-reason-codes";
        public const string Policies = Base + "/ValueSet/mbb-policies";
        public const string BlockOutcomeComponents = Base + "/ValueSet/mbb-block-outcome-components";
        public const string PainScoreStatuses = Base + "/ValueSet/mbb-pain-score-statuses";
        public const string SpinalFacetJoints = Base + "/ValueSet/spinal-facet-joints";
        public const string SpinalMedialBranches = Base + "/ValueSet/spinal-medial-branches";
    }

    public static class ConceptMaps
    {
        public const string FacetJointToMedialBranch = Base + "/ConceptMap/facet-joint-to-medial-branch";
    }

    public static class Identifiers
    {
        /// <summary>System of the key that makes re-evaluating a block under a policy update one outcome Observation.</summary>
        public const string EvaluationKey = Base + "/sid/evaluation-key";
    }

    public static class SearchParameters
    {
        public const string ProcedureTargetJoint = Base + "/SearchParameter/mbb-procedure-target-joint";
        public const string ProcedureAnesthetic = Base + "/SearchParameter/mbb-procedure-anesthetic";
        public const string ProcedureBlockNumber = Base + "/SearchParameter/mbb-procedure-block-number";
        public const string ProcedureLaterality = Base + "/SearchParameter/mbb-procedure-laterality";
        public const string ObservationAssessmentPhase = Base + "/SearchParameter/mbb-observation-assessment-phase";
        public const string ConditionPainDistribution = Base + "/SearchParameter/mbb-condition-pain-distribution";
    }

    public static class Operations
    {
        public const string EvaluateBlock = Base + "/OperationDefinition/evaluate-block";
    }

    /// <summary>LOINC 72514-3: pain severity 0-10 verbal numeric rating, reported.</summary>
    public const string PainScoreLoinc = "72514-3";
}
