using Hl7.Fhir.Model;
using Hl7.Fhir.Specification.Source;

namespace FhirMbb.Core.Conformance;

/// <summary>
/// Hands out a copy of every resource it resolves. For Firely's schema compiler: its
/// <c>StructureDefinitionCorrectionsResolver</c> corrects each StructureDefinition it resolves in place (a primitive's
/// regex extension is removed and set again, for one), every time, on the instance the resolver under it returns. Two
/// schemas compiled at once over a shared cache then edit the same extension list: seen as a valid pain score refused
/// with "Unable to resolve reference to profile 'http://hl7.org/fhir/StructureDefinition/id' ... Index was out of range",
/// in about one cold start in eight while the first requests and the warm-up compiled schemas together. A copy per
/// resolution costs only at compilation: compiled schemas are cached.
/// </summary>
/// <remarks>Firely marks the two lookups obsolete in favour of <c>TryResolve...</c>, whose default implementations call them.</remarks>
#pragma warning disable CS0618
internal sealed class PrivateCopies(IAsyncResourceResolver shared) : IAsyncResourceResolver
{
    public async Task<Resource?> ResolveByCanonicalUriAsync(string uri) =>
        (Resource?)(await shared.ResolveByCanonicalUriAsync(uri).ConfigureAwait(false))?.DeepCopy();

    public async Task<Resource?> ResolveByUriAsync(string uri) =>
        (Resource?)(await shared.ResolveByUriAsync(uri).ConfigureAwait(false))?.DeepCopy();
}
#pragma warning restore CS0618
