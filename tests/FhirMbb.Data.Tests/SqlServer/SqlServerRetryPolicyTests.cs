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

    [Theory]
    [InlineData(1205)] // deadlock victim
    [InlineData(40613)] // database not currently available (Azure SQL failover)
    [InlineData(40501)] // service busy
    [InlineData(4060)]
    [InlineData(10928)]
    [InlineData(49920)]
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
