using System.Collections.Concurrent;
using Hl7.Fhir.Model;
using Hl7.Fhir.Specification.Terminology;

namespace FhirMbb.Core.Conformance;

/// <summary>
/// Remembers binding checks of the local terminology: the content is fixed for the life of the
/// process, and a pain score repeats the same few codes (status, LOINC, phase) on every write.
/// Also keeps the validator's synchronous path from waiting on an async expansion under load.
/// The local service is asked one question at a time: Firely's expander fills a ValueSet's expansion in place, on the
/// instance its resolver shares, so a second check of that ValueSet while the first expands it can read a partial
/// expansion (firely-net-sdk #3582/#3592, not fixed for this case). Seen as a valid pain score refused 422 with an
/// "incomplete" binding issue, once, when a benchmark created 1,000 of them at 16 connections on a fresh server.
/// </summary>
internal sealed class CachedCodeValidation(ICodeValidationTerminologyService local) : ICodeValidationTerminologyService
{
    private const int MaxEntries = 50_000;
    private readonly ConcurrentDictionary<string, Parameters> _answers = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    public async Task<Parameters> ValueSetValidateCode(Parameters parameters, string? id = null, bool useGet = false)
    {
        var key = KeyOf(parameters, id);
        if (_answers.TryGetValue(key, out var known)) return (Parameters)known.DeepCopy();
        await _oneAtATime.WaitAsync().ConfigureAwait(false);
        try
        {
            // Another caller may have asked the same while this one waited.
            if (_answers.TryGetValue(key, out known)) return (Parameters)known.DeepCopy();
            var answer = await local.ValueSetValidateCode(parameters, id, useGet).ConfigureAwait(false);
            // Bounded: codes come from requests, so a flood of distinct codes must not grow memory without end.
            if (_answers.Count < MaxEntries) _answers.TryAdd(key, (Parameters)answer.DeepCopy());
            return answer;
        }
        finally
        {
            _oneAtATime.Release();
        }
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
                case { } other: key.Append(FhirJson.Serialize(other)); break;
            }
        }
        return key.ToString();
    }

    private static void AppendCoding(System.Text.StringBuilder key, Coding coding) =>
        key.Append(coding.System).Append('|').Append(coding.Version).Append('|').Append(coding.Code).Append('|').Append(coding.Display).Append(';');

    public async Task<Parameters> Subsumes(Parameters parameters, string? id = null, bool useGet = false)
    {
        await _oneAtATime.WaitAsync().ConfigureAwait(false);
        try
        {
            return await local.Subsumes(parameters, id, useGet).ConfigureAwait(false);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }
}
