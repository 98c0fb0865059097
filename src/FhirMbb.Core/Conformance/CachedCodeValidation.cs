using System.Collections.Concurrent;
using Hl7.Fhir.Model;
using Hl7.Fhir.Specification.Terminology;

namespace FhirMbb.Core.Conformance;

/// <summary>
/// Remembers binding checks of the local terminology: the content is fixed for the life of the
/// process, and a pain score repeats the same few codes (status, LOINC, phase) on every write.
/// Also keeps the validator's synchronous path from waiting on an async expansion under load.
/// The local service is asked one question at a time (<see cref="LocalServiceGate"/>).
/// </summary>
internal sealed class CachedCodeValidation(ICodeValidationTerminologyService local) : ICodeValidationTerminologyService
{
    private const int MaxEntries = 50_000;
    private readonly ConcurrentDictionary<string, Parameters> _answers = new(StringComparer.Ordinal);
    private readonly LocalServiceGate _gate = new();

    public async Task<Parameters> ValueSetValidateCode(Parameters parameters, string? id = null, bool useGet = false)
    {
        var key = KeyOf(parameters, id);
        if (_answers.TryGetValue(key, out var known)) return (Parameters)known.DeepCopy();
        return await _gate.RunAsync(async () =>
        {
            // Another caller may have asked the same while this one waited.
            if (_answers.TryGetValue(key, out var asked)) return (Parameters)asked.DeepCopy();
            var answer = await local.ValueSetValidateCode(parameters, id, useGet).ConfigureAwait(false);
            // Bounded: codes come from requests, so a flood of distinct codes must not grow memory without end.
            if (_answers.Count < MaxEntries) _answers.TryAdd(key, (Parameters)answer.DeepCopy());
            return answer;
        }).ConfigureAwait(false);
    }

    /// <summary>A cheap identity of the question: every parameter name with its value's codes or text.</summary>
    private static string KeyOf(Parameters parameters, string? id)
    {
        var key = new System.Text.StringBuilder(id);
        foreach (var parameter in parameters.Parameter)
        {
            key.Append('\u001f').Append(parameter.Name).Append('=');
            switch (parameter.Value)
            {
                case Coding coding: AppendCoding(key, coding); break;
                case CodeableConcept concept:
                    foreach (var coding in concept.Coding) AppendCoding(key, coding);
                    key.Append('~').Append(concept.Text);
                    break;
                case PrimitiveType primitive: key.Append(primitive.ToString()); break;
                // The validator's memo key of a value: its compact JSON.
                case { } other: key.Append(ValueKey.Of(other)); break;
            }
        }
        return key.ToString();
    }

    private static void AppendCoding(System.Text.StringBuilder key, Coding coding) =>
        key.Append(coding.System).Append('|').Append(coding.Version).Append('|').Append(coding.Code).Append('|').Append(coding.Display).Append(';');

    public Task<Parameters> Subsumes(Parameters parameters, string? id = null, bool useGet = false) =>
        _gate.RunAsync(() => local.Subsumes(parameters, id, useGet));
}
