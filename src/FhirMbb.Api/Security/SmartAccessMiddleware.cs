using FhirMbb.Core;
using FhirMbb.Core.Security;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace FhirMbb.Api.Security;

/// <summary>
/// Establishes who is calling before any endpoint runs. In Smart mode every path except the public ones
/// needs a valid bearer token; the token's scopes become the request's <see cref="AccessPolicy"/>.
/// Failures are thrown as <see cref="FhirOperationException"/> so the error middleware writes the OperationOutcome.
/// </summary>
public sealed class SmartAccessMiddleware(RequestDelegate next, AuthOptions options, IServiceProvider services)
{
    private static readonly string[] PublicPaths =
    [
        FhirRoutes.Healthz,
        FhirRoutes.Readyz,
        FhirRoutes.Base + FhirRoutes.Metadata,
        FhirRoutes.Base + FhirRoutes.SmartConfiguration,
    ];

    public async Task InvokeAsync(HttpContext context)
    {
        if (options.Mode == AuthMode.None)
        {
            context.SetAccess(AccessPolicy.Anonymous);
            await next(context);
            return;
        }

        var authority = services.GetRequiredService<SmartAuthority>();
        if (IsPublic(context.Request.Path))
        {
            // The CapabilityStatement is built synchronously; have the authority's endpoints at hand for it.
            if (IsMetadata(context.Request.Path)) await WarmAsync(authority, context.RequestAborted);
            await next(context);
            return;
        }

        var token = BearerToken(context.Request);
        if (token is null) throw SmartChallenge.Unauthorized(context, error: null, "A bearer access token is required");

        // A key id the cached JWKS does not know may be a rotated key: fetch the keys before validating.
        if (KeyId(token) is { } keyId)
        {
            try
            {
                await authority.EnsureSigningKeyAsync(keyId, context.RequestAborted);
            }
            catch (Exception e) when (e is IOException or HttpRequestException or InvalidOperationException && !context.RequestAborted.IsCancellationRequested)
            {
                // No keys at all (the authority has never answered): the token cannot be judged, which is not the client's fault.
                throw AuthorityUnreachable();
            }
        }

        var result = await context.AuthenticateAsync(JwtBearerDefaults.AuthenticationScheme);
        if (result.Failure is IOException or HttpRequestException) throw AuthorityUnreachable();
        if (!result.Succeeded || result.Principal is null)
            throw SmartChallenge.Unauthorized(context, "invalid_token", SmartChallenge.Describe(result.Failure));

        context.User = result.Principal;
        var claims = result.Principal.Claims;
        context.SetAccess(AccessPolicy.ForToken(
            // "scope" (RFC 9068, Keycloak), "scp" (Entra delegated), "roles" (Entra app roles of client-credentials tokens).
            claims.Where(c => c.Type is "scope" or "scp" or "roles").Select(c => c.Value),
            result.Principal.FindFirst(options.PatientClaim)?.Value,
            result.Principal.FindFirst("sub")?.Value));
        await next(context);
    }

    private static FhirOperationException AuthorityUnreachable() =>
        new(StatusCodes.Status503ServiceUnavailable, OperationOutcome.IssueType.Transient,
            "The authorization server cannot be reached to check the token; try again shortly");

    private static bool IsPublic(PathString path) =>
        PublicPaths.Any(p => path.Equals(p, StringComparison.OrdinalIgnoreCase));

    private static bool IsMetadata(PathString path) =>
        path.Equals(FhirRoutes.Base + FhirRoutes.Metadata, StringComparison.OrdinalIgnoreCase);

    private static async Task WarmAsync(SmartAuthority authority, CancellationToken cancel)
    {
        try
        {
            await authority.GetConfigurationAsync(cancel);
        }
        catch (Exception e) when (e is IOException or HttpRequestException or InvalidOperationException or TaskCanceledException)
        {
            // The statement is still served; it just cannot name the authority's endpoints until discovery answers.
        }
    }

    private static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string prefix = "Bearer ";
        if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return null;
        var token = header[prefix.Length..].Trim();
        return token.Length > 0 ? token : null;
    }

    private static string? KeyId(string token)
    {
        try
        {
            return new JsonWebToken(token).Kid is { Length: > 0 and <= 200 } kid ? kid : null;
        }
        catch (ArgumentException)
        {
            return null; // not even a JWT; validation will say so
        }
    }
}

/// <summary>The 401 answer: an RFC 6750 challenge header and an OperationOutcome that says what is wrong, without internals.</summary>
public static class SmartChallenge
{
    public const string Realm = "FhirMbb";

    public static FhirOperationException Unauthorized(HttpContext context, string? error, string description)
    {
        context.Response.Headers.WWWAuthenticate = error is null
            ? $"Bearer realm=\"{Realm}\""
            : $"Bearer realm=\"{Realm}\", error=\"{error}\", error_description=\"{description}\"";
        return new FhirOperationException(StatusCodes.Status401Unauthorized, OperationOutcome.IssueType.Login, description);
    }

    public static string Describe(Exception? failure) => failure switch
    {
        null => "The bearer token is not valid",
        SecurityTokenExpiredException => "The token has expired",
        SecurityTokenNotYetValidException => "The token is not valid yet",
        SecurityTokenInvalidAudienceException => "The token is not issued for this server (audience)",
        SecurityTokenInvalidIssuerException => "The token is not issued by the authority this server trusts",
        SecurityTokenSignatureKeyNotFoundException => "The token is signed with a key the authority does not publish",
        SecurityTokenInvalidSignatureException => "The token signature is not valid",
        SecurityTokenInvalidAlgorithmException => "The token's signing algorithm is not accepted",
        SecurityTokenNoExpirationException => "The token has no expiry",
        _ => "The bearer token is not valid",
    };
}
