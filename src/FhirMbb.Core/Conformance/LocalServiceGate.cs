namespace FhirMbb.Core.Conformance;

/// <summary>
/// Lets one call at a time into a Firely <c>LocalTerminologyService</c>. Its expander fills a ValueSet's expansion in
/// place, on the instance its resolver shares, so a second call reading that ValueSet while the first expands it can
/// see a partial expansion (firely-net-sdk #3582/#3592 leave this case open). Seen as a valid pain score refused 422
/// with an "incomplete" binding issue, once, when a benchmark created 1,000 of them at 16 connections on a fresh server.
/// That refusal may instead have been the schema compiler's race that <see cref="PrivateCopies"/> ends (also an
/// "incomplete" issue, at cold start, under concurrent creates); the expander's in-place fill is a race of its own, so
/// the gate stays.
/// </summary>
internal sealed class LocalServiceGate
{
    private readonly SemaphoreSlim _one = new(1, 1);

    public async Task<T> RunAsync<T>(Func<Task<T>> call)
    {
        await _one.WaitAsync().ConfigureAwait(false);
        try
        {
            return await call().ConfigureAwait(false);
        }
        finally
        {
            _one.Release();
        }
    }
}
