using FhirMbb.Api.Endpoints;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

namespace FhirMbb.Api.Security;

/// <summary>Registration and start-up checks of authorization: Smart validates bearer tokens, None lets everyone in (and says so loudly).</summary>
public static partial class SecurityHosting
{
    private static readonly string[] AcceptedAlgorithms =
    [
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
    ];

    public static WebApplicationBuilder AddFhirMbbSecurity(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        builder.Services.AddSingleton(options);

        if (options.Mode == AuthMode.None)
        {
            if (builder.Environment.IsProduction() && !options.AllowAnonymousInProduction)
                throw new InvalidOperationException(
                    "Auth:Mode is None in Production: every client could read and change every patient's data. " +
                    "Set Auth:Mode=Smart with Auth:Authority and Auth:Audience, or set Auth:AllowAnonymousInProduction=true if that is really meant.");
            return builder;
        }

        if (!Uri.TryCreate(options.Authority, UriKind.Absolute, out var authorityUri))
            throw new InvalidOperationException("Auth:Mode=Smart needs Auth:Authority, the absolute URL of the authorization server (its issuer)");
        if (string.IsNullOrWhiteSpace(options.Audience))
            throw new InvalidOperationException("Auth:Mode=Smart needs Auth:Audience, the audience tokens for this server carry");
        if (authorityUri.Scheme != Uri.UriSchemeHttps && options.RequireHttpsMetadata)
            throw new InvalidOperationException($"Auth:Authority '{options.Authority}' is not https; set Auth:RequireHttpsMetadata=false only for a local identity provider");

        var authority = new SmartAuthority(options, TimeProvider.System);
        builder.Services.AddSingleton(authority);
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(jwt =>
        {
            jwt.ConfigurationManager = authority;
            jwt.Audience = options.Audience;
            jwt.RequireHttpsMetadata = options.RequireHttpsMetadata;
            jwt.RefreshOnIssuerKeyNotFound = true;
            // Keep claim names as issued ("scope", "patient", "sub"), not mapped to WS-* URIs.
            jwt.MapInboundClaims = false;
            // The handler rethrows failures that are not about the token (the authority unreachable); make them
            // results, so the access middleware can answer 503 instead of the pipeline crashing.
            jwt.Events = new JwtBearerEvents
            {
                OnAuthenticationFailed = failed =>
                {
                    failed.Fail(failed.Exception);
                    return Task.CompletedTask;
                },
            };
            jwt.TokenValidationParameters = new TokenValidationParameters
            {
                ValidateIssuer = true,
                ValidateAudience = true,
                ValidAudience = options.Audience,
                ValidateLifetime = true,
                RequireExpirationTime = true,
                RequireSignedTokens = true,
                ValidateIssuerSigningKey = true,
                ValidAlgorithms = AcceptedAlgorithms,
                ClockSkew = options.ClockSkew,
                NameClaimType = "sub",
            };
        });
        return builder;
    }

    /// <summary>After the error middleware, so 401 and 403 become OperationOutcomes like every other failure.</summary>
    public static WebApplication UseFhirMbbSecurity(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<AuthOptions>();
        if (options.Mode == AuthMode.None)
        {
            LogAnonymous(app.Logger, app.Environment.EnvironmentName);
        }
        else
        {
            var authority = app.Services.GetRequiredService<SmartAuthority>();
            app.Services.GetRequiredService<CapabilityStatementBuilder>().Contribute(statement => SmartConfiguration.AddSecurity(statement, authority.Current));
            LogSmart(app.Logger, options.Authority!, options.Audience!);
        }
        app.UseMiddleware<SmartAccessMiddleware>();
        // Placed explicitly after ours: otherwise the host adds it first, and it would validate (and cache the
        // result) before a rotated key has been fetched. Here it only reuses the result we already have.
        if (options.Mode == AuthMode.Smart) app.UseAuthentication();
        return app;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message =
        "\n*****************************************************************************\n" +
        "*  Auth:Mode=None ({Environment}): NO AUTHORIZATION. Anyone who can reach this  \n" +
        "*  server can read and change every patient's data. Development use only;   \n" +
        "*  set Auth:Mode=Smart with Auth:Authority and Auth:Audience to protect it.  \n" +
        "*****************************************************************************")]
    private static partial void LogAnonymous(ILogger logger, string environment);

    [LoggerMessage(Level = LogLevel.Information, Message = "SMART on FHIR authorization: tokens from {Authority} for audience {Audience}")]
    private static partial void LogSmart(ILogger logger, string authority, string audience);
}
