using System.Collections.Concurrent;

namespace FhirMbb.Api.Http;

/// <summary>
/// The one log line per request (method, path, status, duration, correlation id), written through the
/// ordinary logger but from one background loop instead of every request thread. The console logger
/// takes a lock per line; with every request thread contending for it, the read benchmark's profile
/// showed most of a read's time waiting for that lock. Requests only enqueue (lock-free); the loop
/// logs what has gathered every few milliseconds, and everything queued is logged before the host stops.
/// </summary>
public sealed partial class RequestLog(ILogger<FhirErrorMiddleware> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);

    // Bounds memory if the log sink stalls: past this, lines are counted as dropped and the count is logged.
    private const int MaxQueued = 100_000;

    private readonly ConcurrentQueue<Entry> _queue = new();
    private int _queued;
    private long _dropped;

    private readonly record struct Entry(string Method, string Path, int Status, double DurationMs, string CorrelationId);

    public bool IsEnabled => logger.IsEnabled(LogLevel.Information);

    public void Add(string method, string path, int status, double durationMs, string correlationId)
    {
        if (!IsEnabled) return;
        if (Interlocked.Increment(ref _queued) > MaxQueued)
        {
            Interlocked.Decrement(ref _queued);
            Interlocked.Increment(ref _dropped);
            return;
        }
        _queue.Enqueue(new Entry(method, path, status, durationMs, correlationId));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                Drain();
                await Task.Delay(Interval, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the final drain below still logs what was queued.
        }
        Drain();
    }

    /// <summary>Logs every queued line now (also called when the host stops).</summary>
    public void Drain()
    {
        while (_queue.TryDequeue(out var entry))
        {
            Interlocked.Decrement(ref _queued);
            LogRequest(logger, entry.Method, entry.Path, entry.Status, entry.DurationMs, entry.CorrelationId);
        }
        var dropped = Interlocked.Exchange(ref _dropped, 0);
        if (dropped > 0) LogDropped(logger, dropped);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "HTTP {Method} {Path} -> {Status} in {DurationMs:0.0} ms [{CorrelationId}]")]
    private static partial void LogRequest(ILogger logger, string method, string path, int status, double durationMs, string correlationId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} request log lines were dropped: the log sink did not keep up")]
    private static partial void LogDropped(ILogger logger, long count);
}
