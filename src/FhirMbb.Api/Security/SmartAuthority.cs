using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace FhirMbb.Api.Security;

/// <summary>
/// The authorization server as this resource server knows it: its discovery document and signing keys,
/// cached and refreshed. It is JwtBearer's configuration manager, and it serves smart-configuration and the
/// CapabilityStatement from the same document. A token with an unknown key id refreshes it before validation
/// (at most once per <see cref="AuthOptions.KeyRefreshMinimumInterval"/>), so a rotated key works on its first request.
/// </summary>
public sealed class SmartAuthority : IConfigurationManager<OpenIdConnectConfiguration>, IDisposable
{
    private readonly AuthOptions _options;
    private readonly TimeProvider _clock;
    private readonly HttpClient _http;
    private readonly SemaphoreSlim _fetchLock = new(1, 1);
    private OpenIdConnectConfiguration? _current;
    private DateTimeOffset _fetchedAt = DateTimeOffset.MinValue;
    private volatile bool _refreshRequested;

    public SmartAuthority(AuthOptions options, TimeProvider clock, HttpMessageHandler? handler = null)
    {
        _options = options;
        _clock = clock;
        _http = handler is null ? new HttpClient() : new HttpClient(handler);
        _http.Timeout = TimeSpan.FromSeconds(15);
        MetadataAddress = options.Authority!.TrimEnd('/') + "/.well-known/openid-configuration";
    }

    public string MetadataAddress { get; }

    /// <summary>The last document fetched, for synchronous readers such as the CapabilityStatement builder.</summary>
    public OpenIdConnectConfiguration? Current => _current;

    public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel)
    {
        var current = _current;
        if (current is not null && !_refreshRequested && _clock.GetUtcNow() - _fetchedAt < _options.MetadataRefreshInterval)
            return current;
        return await FetchAsync(current, cancel);
    }

    /// <summary>Called by JwtBearer when a key is not found; honoured at most once per minimum interval.</summary>
    public void RequestRefresh()
    {
        if (_clock.GetUtcNow() - _fetchedAt >= _options.KeyRefreshMinimumInterval) _refreshRequested = true;
    }

    /// <summary>Fetches the keys again when <paramref name="keyId"/> is not among them, unless that was done very recently.</summary>
    public async Task EnsureSigningKeyAsync(string keyId, CancellationToken cancel)
    {
        var configuration = await GetConfigurationAsync(cancel);
        if (configuration.SigningKeys.Any(k => k.KeyId == keyId)) return;
        RequestRefresh();
        if (_refreshRequested) await FetchAsync(configuration, cancel);
    }

    private async Task<OpenIdConnectConfiguration> FetchAsync(OpenIdConnectConfiguration? seen, CancellationToken cancel)
    {
        await _fetchLock.WaitAsync(cancel);
        try
        {
            // Another request fetched while this one waited: use its result.
            if (_current is not null && !ReferenceEquals(_current, seen) && !_refreshRequested) return _current;
            var retriever = new HttpDocumentRetriever(_http) { RequireHttps = _options.RequireHttpsMetadata };
            OpenIdConnectConfiguration fetched;
            try
            {
                fetched = await OpenIdConnectConfigurationRetriever.GetAsync(MetadataAddress, retriever, cancel);
            }
            catch (Exception) when (_current is not null && !cancel.IsCancellationRequested)
            {
                // The authority is briefly unreachable: keep the keys we have and try again after the minimum interval.
                _fetchedAt = _clock.GetUtcNow() - _options.MetadataRefreshInterval + _options.KeyRefreshMinimumInterval;
                _refreshRequested = false;
                return _current;
            }
            _current = fetched;
            _fetchedAt = _clock.GetUtcNow();
            _refreshRequested = false;
            return fetched;
        }
        finally
        {
            _fetchLock.Release();
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        _fetchLock.Dispose();
    }
}
