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

    public static class Operations
    {
        public const string EvaluateBlock = Base + "/OperationDefinition/evaluate-block";
    }

    /// <summary>LOINC 72514-3: pain severity 0-10 verbal numeric rating, reported.</summary>
    public const string PainScoreLoinc = "72514-3";
}
