using FhirMbb.Data.SqlServer;

namespace FhirMbb.Data.Tests.SqlServer;

public sealed class SqlServerRetryPolicyTests
{
    private sealed class TransientFault : Exception;

    private readonly List<TimeSpan> _waits = [];

    private SqlServerRetryPolicy Policy(int maxAttempts = 4) => new(
        maxAttempts, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1),
        isTransient: e => e is TransientFault,
        delay: (wait, _) => { _waits.Add(wait); return Task.CompletedTask; });

    [Fact]
    public async Task A_transient_fault_is_retried_until_the_operation_succeeds()
    {
        var calls = 0;
        var result = await Policy().ExecuteAsync(_ => ++calls < 3 ? throw new TransientFault() : Task.FromResult("stored"), CancellationToken.None);

        Assert.Equal("stored", result);
        Assert.Equal(3, calls);
        Assert.Equal(2, _waits.Count);
    }

    [Fact]
    public async Task Retries_stop_at_the_bound_and_the_last_fault_surfaces()
    {
        var calls = 0;
        await Assert.ThrowsAsync<TransientFault>(() => Policy(maxAttempts: 4).ExecuteAsync<int>(_ => { calls++; throw new TransientFault(); }, CancellationToken.None));
        Assert.Equal(4, calls);
        Assert.Equal(3, _waits.Count);
    }

    [Fact]
    public async Task A_non_transient_fault_surfaces_at_once()
    {
        var calls = 0;
        await Assert.ThrowsAsync<InvalidOperationException>(() => Policy().ExecuteAsync<int>(_ => { calls++; throw new InvalidOperationException("bug"); }, CancellationToken.None));
        Assert.Equal(1, calls);
        Assert.Empty(_waits);
    }

    [Fact]
    public void Backoff_grows_exponentially_is_capped_and_jittered_down_to_zero()
    {
        var policy = Policy();
        Assert.Equal([100, 200, 400, 800, 1000, 1000], Enumerable.Range(1, 6).Select(a => policy.DelayFor(a, random: 1.0).TotalMilliseconds));
        Assert.Equal(TimeSpan.Zero, policy.DelayFor(5, random: 0.0));
        Assert.Equal(200, policy.DelayFor(3, random: 0.5).TotalMilliseconds);
    }

    [Fact]
    public async Task Real_waits_are_jittered_below_the_exponential_ceiling()
    {
        await Assert.ThrowsAsync<TransientFault>(() => Policy(maxAttempts: 8).ExecuteAsync<int>(_ => throw new TransientFault(), CancellationToken.None));
        Assert.Equal(7, _waits.Count);
        var ceilings = new[] { 100, 200, 400, 800, 1000, 1000, 1000 };
        Assert.All(_waits.Zip(ceilings), w => Assert.InRange(w.First.TotalMilliseconds, 0, w.Second));
        // Full jitter: seven equal draws from [0, ceiling) would mean the randomness is gone.
        Assert.True(_waits.Select(w => w.TotalMilliseconds / 100).Distinct().Count() > 1);
    }

    [Fact]
    public void The_default_policy_gives_up_within_seconds()
    {
        var policy = SqlServerRetryPolicy.Default;
        var worst = Enumerable.Range(1, policy.MaxAttempts - 1).Sum(a => policy.DelayFor(a, random: 1.0).TotalSeconds);
        Assert.InRange(policy.MaxAttempts, 2, 10);
        Assert.InRange(worst, 1, 15);
    }

    [Fact]
    public async Task A_cancelled_request_is_not_retried()
    {
        using var cancelled = new CancellationTokenSource();
        var calls = 0;
        await Assert.ThrowsAsync<TransientFault>(() => Policy().ExecuteAsync<int>(_ => { calls++; cancelled.Cancel(); throw new TransientFault(); }, cancelled.Token));
        Assert.Equal(1, calls);
    }

    [Theory]
    [InlineData(1205)] // deadlock victim
    [InlineData(40613)] // database not currently available (Azure SQL failover)
    [InlineData(40501)] // service busy
    [InlineData(4060)]
    [InlineData(10928)]
    [InlineData(49920)]
    [InlineData(40197)] // error processing the request (Azure SQL reconfiguration)
    [InlineData(40540)]
    [InlineData(40143)]
    [InlineData(4221)]
    [InlineData(1204)] // no lock resources
    [InlineData(1222)] // lock request timed out
    [InlineData(10054)] // connection reset
    [InlineData(233)]
    public void Azure_sql_transient_errors_and_deadlocks_are_retried(int number) =>
        Assert.Contains(number, SqlServerRetryPolicy.TransientErrorNumbers);

    [Theory]
    [InlineData(2627)] // unique key violation: a lost race, reported as a conflict, never retried
    [InlineData(2601)]
    [InlineData(547)] // constraint violation
    [InlineData(208)] // invalid object name: a bug or a missing migration
    public void Conflicts_and_bugs_are_not_transient(int number) =>
        Assert.DoesNotContain(number, SqlServerRetryPolicy.TransientErrorNumbers);

    [Fact]
    public void Ordinary_exceptions_are_not_transient() =>
        Assert.False(SqlServerRetryPolicy.IsTransient(new InvalidOperationException()));
}
