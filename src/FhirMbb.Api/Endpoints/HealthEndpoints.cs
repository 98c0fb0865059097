using FhirMbb.Core.Storage;

namespace FhirMbb.Api.Endpoints;

/// <summary>/healthz: the process answers. /readyz: the database answers and every readiness check passes.</summary>
public static class HealthEndpoints
{
    public static WebApplication MapHealthEndpoints(this WebApplication app)
    {
        app.MapGet(FhirRoutes.Healthz, () => Results.Json(new { status = "alive" }));
        app.MapGet(FhirRoutes.Readyz, async (IResourceStore store, IEnumerable<IReadinessCheck> checks, CancellationToken ct) =>
        {
            var report = new Dictionary<string, string> { ["database"] = await store.IsReadyAsync(ct) ? "ready" : "not ready" };
            foreach (var check in checks) report[check.Name] = check.IsReady ? "ready" : "not ready";
            var ready = report.Values.All(v => v == "ready");
            return Results.Json(new { status = ready ? "ready" : "not ready", checks = report },
                statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        return app;
    }
}

/// <summary>Something that must be ready before the server reports ready (the warmed validator, for one).</summary>
public interface IReadinessCheck
{
    string Name { get; }
    bool IsReady { get; }
}
