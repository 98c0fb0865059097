using FhirMbb.Api.Tests.Infrastructure;
using Microsoft.Data.SqlClient;

namespace FhirMbb.Api.Tests;

/// <summary>Storage:Provider picks the store at start-up; a SQL Server that cannot be used stops start-up, not the first request.</summary>
public sealed class StorageProviderTests
{
    private sealed class ProviderFactory(params (string Key, string Value)[] settings) : FhirApiFactory
    {
        protected override IEnumerable<KeyValuePair<string, string>> Settings =>
            settings.Select(s => KeyValuePair.Create(s.Key, s.Value));
    }

    private static IEnumerable<Exception> Chain(Exception? e)
    {
        for (; e is not null; e = e.InnerException) yield return e;
    }

    [Fact]
    public void SqlServer_without_a_connection_string_refuses_to_start_and_names_the_setting()
    {
        using var factory = new ProviderFactory(("Storage:Provider", "SqlServer"), ("ConnectionStrings:Fhir", ""));

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        Assert.Contains(Chain(error), e => e.Message.Contains("ConnectionStrings:Fhir", StringComparison.Ordinal));
    }

    [Fact]
    public void SqlServer_provider_connects_through_SqlClient_at_start_up()
    {
        // Nothing listens on port 1: start-up must fail with SqlClient's error rather than fall back to SQLite.
        using var factory = new ProviderFactory(
            ("Storage:Provider", "SqlServer"),
            ("ConnectionStrings:Fhir", "Server=tcp:127.0.0.1,1;Database=fhir;Connect Timeout=2;ConnectRetryCount=0;Encrypt=false"));

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        Assert.Contains(Chain(error), e => e is SqlException);
    }

    [Fact]
    public void An_unknown_provider_refuses_to_start()
    {
        using var factory = new ProviderFactory(("Storage:Provider", "Oracle"));

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        Assert.Contains(Chain(error), e => e.Message.Contains("Oracle", StringComparison.Ordinal));
    }
}
