using System.Data.Common;
using Microsoft.Data.SqlClient;

namespace FhirMbb.Data.SqlServer;

/// <summary>
/// Retries an operation that failed with a transient SQL Server / Azure SQL fault (failover, throttling,
/// a dropped connection, a deadlock victim): bounded attempts, exponential backoff with full jitter so
/// several instances do not retry in lock step. Anything else surfaces at once.
/// </summary>
public sealed class SqlServerRetryPolicy
{
    /// <summary>
    /// Azure SQL's documented transient error numbers (failover, throttling, resource limits, service
    /// errors 40143/40540), the connection-level failures (233, 997, 64, 10053, 10054, 10060), and the lock
    /// errors after which the statement was rolled back and can simply run again: 1205 (chosen as deadlock
    /// victim), 1204 (no lock resources), 1222 (lock request timed out). The same numbers as SqlClient's own
    /// baseline list (SqlConfigurableRetryFactory), kept here so the policy does not change under us.
    /// </summary>
    public static IReadOnlySet<int> TransientErrorNumbers { get; } = new HashSet<int>
    {
        4060, 40143, 40197, 40501, 40540, 40613, 49918, 49919, 49920, 4221, 10928, 10929,
        10053, 10054, 10060, 233, 997, 64,
        1205, 1204, 1222,
    };

    public static SqlServerRetryPolicy Default { get; } = new(maxAttempts: 6, baseDelay: TimeSpan.FromMilliseconds(100), maxDelay: TimeSpan.FromSeconds(5));

    private readonly Func<Exception, bool> _isTransient;
    private readonly Func<TimeSpan, CancellationToken, Task> _delay;

    public SqlServerRetryPolicy(
        int maxAttempts, TimeSpan baseDelay, TimeSpan maxDelay,
        Func<Exception, bool>? isTransient = null, Func<TimeSpan, CancellationToken, Task>? delay = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);
        MaxAttempts = maxAttempts;
        BaseDelay = baseDelay;
        MaxDelay = maxDelay;
        _isTransient = isTransient ?? IsTransient;
        _delay = delay ?? Task.Delay;
    }

    public int MaxAttempts { get; }
    public TimeSpan BaseDelay { get; }
    public TimeSpan MaxDelay { get; }

    public static bool IsTransient(Exception exception) => exception switch
    {
        SqlException sql => sql.IsTransient || sql.Errors.Cast<SqlError>().Any(e => TransientErrorNumbers.Contains(e.Number)),
        DbException db => db.IsTransient,
        _ => false,
    };

    /// <summary>The wait before retry number <paramref name="attempt"/> (1-based): uniform in [0, min(max, base * 2^(attempt-1))].</summary>
    public TimeSpan DelayFor(int attempt, double random)
    {
        var ceiling = Math.Min(MaxDelay.TotalMilliseconds, BaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1));
        return TimeSpan.FromMilliseconds(ceiling * random);
    }

    public async Task<T> ExecuteAsync<T>(Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await operation(cancellationToken);
            }
            catch (Exception exception) when (attempt < MaxAttempts && !cancellationToken.IsCancellationRequested && _isTransient(exception))
            {
                await _delay(DelayFor(attempt, Random.Shared.NextDouble()), cancellationToken);
            }
        }
    }
}
