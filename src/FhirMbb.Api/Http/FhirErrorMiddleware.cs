using System.Diagnostics;
using FhirMbb.Core;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Http;

/// <summary>
/// The one place where failures become OperationOutcomes, and where every request gets a correlation
/// id and a structured log line (method, path, status, duration, correlation id; written by <see cref="RequestLog"/>).
/// </summary>
public sealed partial class FhirErrorMiddleware(RequestDelegate next, ILogger<FhirErrorMiddleware> logger, FhirResponses responses, RequestLog requestLog)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var correlationId = CorrelationId(context);
        context.Response.Headers[FhirRoutes.CorrelationHeader] = correlationId;
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
            if (!context.Response.HasStarted && context.Response.ContentLength is null or 0 && IsBareRoutingStatus(context.Response.StatusCode))
                await WriteRoutingOutcomeAsync(context);
        }
        catch (FhirOperationException e) when (!context.Response.HasStarted)
        {
            await WriteAsync(context, e.Status, e.Outcome ?? Outcome(OperationOutcome.IssueSeverity.Error, e.IssueType, e.Message));
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            var type = e.StatusCode == StatusCodes.Status413PayloadTooLarge ? OperationOutcome.IssueType.TooCostly : OperationOutcome.IssueType.Invalid;
            await WriteAsync(context, e.StatusCode, Outcome(OperationOutcome.IssueSeverity.Error, type, e.Message));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is nobody to answer.
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            LogUnexpected(logger, e, correlationId);
            await WriteAsync(context, StatusCodes.Status500InternalServerError, Outcome(OperationOutcome.IssueSeverity.Fatal,
                OperationOutcome.IssueType.Exception, $"An unexpected error occurred. Quote correlation id {correlationId} when reporting it."));
        }
        finally
        {
            requestLog.Add(context.Request.Method, context.Request.Path.Value ?? "", context.Response.StatusCode,
                Stopwatch.GetElapsedTime(started).TotalMilliseconds, correlationId);
        }
    }

    private static bool IsBareRoutingStatus(int status) =>
        status is StatusCodes.Status404NotFound or StatusCodes.Status405MethodNotAllowed or StatusCodes.Status415UnsupportedMediaType;

    private async Task WriteRoutingOutcomeAsync(HttpContext context)
    {
        var status = context.Response.StatusCode;
        var (type, message) = status switch
        {
            StatusCodes.Status405MethodNotAllowed => (OperationOutcome.IssueType.NotSupported,
                $"{context.Request.Method} is not supported on {context.Request.Path}"),
            StatusCodes.Status415UnsupportedMediaType => (OperationOutcome.IssueType.NotSupported, "Unsupported media type"),
            _ => (OperationOutcome.IssueType.NotFound, $"Nothing is served at {context.Request.Path}"),
        };
        await WriteAsync(context, status, Outcome(OperationOutcome.IssueSeverity.Error, type, message));
    }

    private async Task WriteAsync(HttpContext context, int status, OperationOutcome outcome)
    {
        FhirNegotiation.ResponseFormatOrJson(context);
        await responses.WriteResourceAsync(context, outcome, status);
    }

    private static OperationOutcome Outcome(OperationOutcome.IssueSeverity severity, OperationOutcome.IssueType type, string message)
    {
        var outcome = new OperationOutcome();
        outcome.Issue.Add(new OperationOutcome.IssueComponent { Severity = severity, Code = type, Diagnostics = message });
        return outcome;
    }

    private static string CorrelationId(HttpContext context)
    {
        var supplied = context.Request.Headers[FhirRoutes.CorrelationHeader].ToString();
        // Echo a caller's id only when it is short and plain, so it cannot forge log lines.
        var id = supplied.Length is > 0 and <= 64 && supplied.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            ? supplied
            : NewCorrelationId();
        context.TraceIdentifier = id;
        return id;
    }

    // A random per-process prefix and a counter: unique like a GUID for correlating logs, without asking the OS
    // for randomness per request (Guid.NewGuid showed in the read profile). Same 32 hex digits as before.
    private static readonly string ProcessPrefix = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
    private static long _counter;

    private static string NewCorrelationId()
    {
        var n = Interlocked.Increment(ref _counter);
        return string.Create(32, n, (chars, value) =>
        {
            ProcessPrefix.AsSpan().CopyTo(chars);
            value.TryFormat(chars[16..], out _, "x16", System.Globalization.CultureInfo.InvariantCulture);
        });
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled failure [{CorrelationId}]")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string correlationId);
}
