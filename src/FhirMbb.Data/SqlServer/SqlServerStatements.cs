namespace FhirMbb.Data.SqlServer;

/// <summary>
/// Every T-SQL statement the SQL Server store sends, in one place so a test can parse each with ScriptDom
/// (no SQL Server runs in CI). Values are always parameters; only these fixed texts are ever executed.
/// </summary>
public static class SqlServerStatements
{
    /// <summary>A statement and the type of the object whose properties bind its parameters (names match exactly).</summary>
    public sealed record Statement(string Name, string Sql, Type? Parameters);

    public sealed record ResourceKey(string Type, string Id);

    public sealed record VersionKey(string Type, string Id, int Version);

    public sealed record WriteParameters(
        string Type, string Id, int Version, int? ExpectedVersion, long LastUpdated, bool Deleted, byte[]? Json, string? PatientId, byte[]? Facts);

    public sealed record HistoryParameters(string? Type, string? Id, long? Since, long? BeforeSequence, int Limit, string? PatientId = null);

    public sealed record CompartmentParameters(string Type, string PatientId);

    public sealed record ClaimParameters(string Type, string Id, byte[] QueryHash, string QueryKey, string? StaleOwnerId);

    public sealed record ConditionalKeyParameters(string Type, byte[] QueryHash);

    public sealed record MigrationLockParameters(string Resource, int TimeoutMs);

    public sealed record MigrationParameters(int Number, string Name);

    /// <summary>A resource's index rows, one table-valued parameter per index table (see <see cref="SqlServerIndexRows"/>).</summary>
    public sealed record IndexParameters(
        string Type, string Id,
        Dapper.SqlMapper.ICustomQueryParameter Tokens, Dapper.SqlMapper.ICustomQueryParameter Strings,
        Dapper.SqlMapper.ICustomQueryParameter Dates, Dapper.SqlMapper.ICustomQueryParameter References,
        Dapper.SqlMapper.ICustomQueryParameter Quantities, Dapper.SqlMapper.ICustomQueryParameter Numbers,
        Dapper.SqlMapper.ICustomQueryParameter Uris);

    // The compartment owner lives on the resource row; versions borrow it so a deletion still has one.
    private const string VersionColumns = "v.seq, v.type, v.id, v.version, v.last_updated, v.deleted, v.json, "
        + "(SELECT o.patient_id FROM dbo.resource AS o WHERE o.type = v.type AND o.id = v.id) AS patient_id";

    // Facts are kept for the current version only, on the resource row: reads of current versions return them.
    private const string Columns = $"{VersionColumns}, CAST(NULL AS varbinary(max)) AS facts";

    public const string Read = $"""
        SELECT {VersionColumns}, r.facts
        FROM dbo.resource AS r
        JOIN dbo.resource_version AS v ON v.seq = r.seq
        WHERE r.type = @Type AND r.id = @Id
        """;

    public const string ReadVersion = $"""
        SELECT {Columns}
        FROM dbo.resource_version AS v
        WHERE v.type = @Type AND v.id = @Id AND v.version = @Version
        """;

    /// <summary>
    /// A create: the range lock (UPDLOCK, HOLDLOCK) makes a second creator of the same id wait and then see
    /// the first one's row; the unique (type, id) is the backstop. Returns the new seq, or 0 when the id exists.
    /// </summary>
    public const string Create = """
        SET NOCOUNT ON;
        SET XACT_ABORT ON;
        DECLARE @seq bigint = 0;
        IF NOT EXISTS (SELECT 1 FROM dbo.resource WITH (UPDLOCK, HOLDLOCK) WHERE type = @Type AND id = @Id)
        BEGIN
            INSERT INTO dbo.resource_version (type, id, version, last_updated, deleted, json)
            VALUES (@Type, @Id, @Version, @LastUpdated, @Deleted, @Json);
            SET @seq = CAST(SCOPE_IDENTITY() AS bigint);
            INSERT INTO dbo.resource (type, id, version, seq, deleted, patient_id, last_updated, facts)
            VALUES (@Type, @Id, @Version, @seq, @Deleted, @PatientId, @LastUpdated, @Facts);
        END;
        SELECT @seq;
        """;

    /// <summary>
    /// An update or delete: the UPDATE with "version = @ExpectedVersion" is the optimistic check and takes the
    /// row lock that holds off every other writer of this resource until commit. Returns the new seq, or 0
    /// when the expected version no longer holds.
    /// </summary>
    public const string Update = """
        SET NOCOUNT ON;
        SET XACT_ABORT ON;
        DECLARE @seq bigint = 0;
        UPDATE dbo.resource
        SET version = @Version, deleted = @Deleted,
            patient_id = COALESCE(@PatientId, CASE WHEN @Deleted = 1 THEN patient_id END),
            last_updated = @LastUpdated, facts = @Facts
        WHERE type = @Type AND id = @Id AND version = @ExpectedVersion;
        IF @@ROWCOUNT = 1
        BEGIN
            INSERT INTO dbo.resource_version (type, id, version, last_updated, deleted, json)
            VALUES (@Type, @Id, @Version, @LastUpdated, @Deleted, @Json);
            SET @seq = CAST(SCOPE_IDENTITY() AS bigint);
            UPDATE dbo.resource SET seq = @seq WHERE type = @Type AND id = @Id;
        END;
        SELECT @seq;
        """;

    /// <summary>
    /// A conditional create's claim, after its resource row is written in the same transaction: inserts the key,
    /// or takes it over from the stale owner the caller named. The range lock makes a second claimer of the key
    /// wait and then see the first one's row; the primary key is the backstop. Returns 1 when claimed, else 0.
    /// </summary>
    public const string ClaimConditionalKey = """
        SET NOCOUNT ON;
        SET XACT_ABORT ON;
        DECLARE @claimed int = 0;
        DECLARE @rid bigint = (SELECT rid FROM dbo.resource WHERE type = @Type AND id = @Id);
        IF @StaleOwnerId IS NULL
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM dbo.conditional_key WITH (UPDLOCK, HOLDLOCK) WHERE type = @Type AND query_hash = @QueryHash)
            BEGIN
                INSERT INTO dbo.conditional_key (type, query_hash, query_key, rid) VALUES (@Type, @QueryHash, @QueryKey, @rid);
                SET @claimed = 1;
            END;
        END
        ELSE
        BEGIN
            UPDATE dbo.conditional_key SET rid = @rid, query_key = @QueryKey
            WHERE type = @Type AND query_hash = @QueryHash
                AND rid = (SELECT s.rid FROM dbo.resource AS s WHERE s.type = @Type AND s.id = @StaleOwnerId);
            SET @claimed = @@ROWCOUNT;
        END;
        SELECT @claimed;
        """;

    /// <summary>A deletion releases every conditional-create key its resource held, in the deleting transaction.</summary>
    public const string ReleaseConditionalKeys = """
        DELETE k
        FROM dbo.conditional_key AS k
        JOIN dbo.resource AS r ON r.rid = k.rid
        WHERE r.type = @Type AND r.id = @Id
        """;

    public const string ConditionalKeyOwner = """
        SELECT r.id
        FROM dbo.conditional_key AS k
        JOIN dbo.resource AS r ON r.rid = k.rid
        WHERE k.type = @Type AND k.query_hash = @QueryHash
        """;

    public const string ListForPatient = $"""
        SELECT {VersionColumns}, r.facts
        FROM dbo.resource AS r
        JOIN dbo.resource_version AS v ON v.seq = r.seq
        WHERE r.patient_id = @PatientId AND r.type = @Type AND r.deleted = 0
        ORDER BY v.seq
        """;

    /// <summary>
    /// History newest first, keyset-paged on the global seq. One fixed text per combination of filters, so
    /// every variant is enumerable and gets its own plan.
    /// </summary>
    public static string History(bool byType, bool byId, bool since, bool before, bool byPatient = false)
    {
        var where = new List<string>();
        if (byType) where.Add("v.type = @Type");
        if (byId) where.Add("v.id = @Id");
        if (since) where.Add("v.last_updated >= @Since");
        if (before) where.Add("v.seq < @BeforeSequence");
        // A patient-scoped token sees only versions of resources in that patient's compartment.
        if (byPatient) where.Add("EXISTS (SELECT 1 FROM dbo.resource AS p WHERE p.type = v.type AND p.id = v.id AND p.patient_id = @PatientId)");
        return $"SELECT TOP (@Limit) {Columns} FROM dbo.resource_version AS v"
            + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "")
            + " ORDER BY v.seq DESC";
    }

    /// <summary>
    /// Serialises schema migration across instances: the lock belongs to the transaction, so it is released
    /// by commit, rollback or a dropped connection. Returns sp_getapplock's result (negative: not granted).
    /// </summary>
    public const string AcquireMigrationLock = """
        DECLARE @result int;
        EXEC @result = sys.sp_getapplock @Resource = @Resource, @LockMode = N'Exclusive', @LockOwner = N'Transaction', @LockTimeout = @TimeoutMs;
        SELECT @result;
        """;

    public const string CreateMigrationTable = """
        IF OBJECT_ID(N'dbo.schema_migration', N'U') IS NULL
        CREATE TABLE dbo.schema_migration (
            version    int            NOT NULL CONSTRAINT pk_schema_migration PRIMARY KEY,
            name       nvarchar(200)  NOT NULL,
            applied_at datetimeoffset NOT NULL
        );
        """;

    public const string IsMigrationApplied = "SELECT COUNT(*) FROM dbo.schema_migration WHERE version = @Number";

    public const string RecordMigration = "INSERT INTO dbo.schema_migration (version, name, applied_at) VALUES (@Number, @Name, SYSDATETIMEOFFSET())";

    /// <summary>0 when the table does not exist yet, so a fresh database reads as "not ready" rather than failing.</summary>
    public const string AppliedVersion = """
        IF OBJECT_ID(N'dbo.schema_migration', N'U') IS NULL SELECT 0
        ELSE SELECT COALESCE(MAX(version), 0) FROM dbo.schema_migration
        """;

    /// <summary>
    /// Replaces the search index rows of the resource just written, in the writer's transaction: a range
    /// delete per table on the clustered (rid, ...) key, then one INSERT ... SELECT per table from its
    /// table-valued parameter (empty for a delete). Runs after <see cref="Create"/> or <see cref="Update"/>
    /// succeeded, so the resource row exists and is locked by this transaction.
    /// </summary>
    public const string ReplaceIndex = """
        SET NOCOUNT ON;
        SET XACT_ABORT ON;
        DECLARE @rid bigint = (SELECT rid FROM dbo.resource WHERE type = @Type AND id = @Id);
        DELETE FROM dbo.idx_token WHERE rid = @rid;
        DELETE FROM dbo.idx_string WHERE rid = @rid;
        DELETE FROM dbo.idx_date WHERE rid = @rid;
        DELETE FROM dbo.idx_reference WHERE rid = @rid;
        DELETE FROM dbo.idx_quantity WHERE rid = @rid;
        DELETE FROM dbo.idx_number WHERE rid = @rid;
        DELETE FROM dbo.idx_uri WHERE rid = @rid;
        INSERT INTO dbo.idx_token (rid, param_id, n, system, code, text)
        SELECT @rid, param_id, n, system, code, text FROM @Tokens;
        INSERT INTO dbo.idx_string (rid, param_id, n, normalized, exact)
        SELECT @rid, param_id, n, normalized, exact FROM @Strings;
        INSERT INTO dbo.idx_date (rid, param_id, n, start_ms, end_ms)
        SELECT @rid, param_id, n, start_ms, end_ms FROM @Dates;
        INSERT INTO dbo.idx_reference (rid, param_id, n, target_type, target_id, url, identifier_system, identifier_value)
        SELECT @rid, param_id, n, target_type, target_id, url, identifier_system, identifier_value FROM @References;
        INSERT INTO dbo.idx_quantity (rid, param_id, n, value, system, code, unit)
        SELECT @rid, param_id, n, value, system, code, unit FROM @Quantities;
        INSERT INTO dbo.idx_number (rid, param_id, n, value)
        SELECT @rid, param_id, n, value FROM @Numbers;
        INSERT INTO dbo.idx_uri (rid, param_id, n, value)
        SELECT @rid, param_id, n, value FROM @Uris;
        """;

    /// <summary>Every statement above, history in all its variants, for the parse tests.</summary>
    public static IReadOnlyList<Statement> All { get; } = BuildAll();

    private static List<Statement> BuildAll()
    {
        var all = new List<Statement>
        {
            new(nameof(Read), Read, typeof(ResourceKey)),
            new(nameof(ReadVersion), ReadVersion, typeof(VersionKey)),
            new(nameof(Create), Create, typeof(WriteParameters)),
            new(nameof(Update), Update, typeof(WriteParameters)),
            new(nameof(ListForPatient), ListForPatient, typeof(CompartmentParameters)),
            new(nameof(ClaimConditionalKey), ClaimConditionalKey, typeof(ClaimParameters)),
            new(nameof(ReleaseConditionalKeys), ReleaseConditionalKeys, typeof(ResourceKey)),
            new(nameof(ConditionalKeyOwner), ConditionalKeyOwner, typeof(ConditionalKeyParameters)),
            new(nameof(AcquireMigrationLock), AcquireMigrationLock, typeof(MigrationLockParameters)),
            new(nameof(CreateMigrationTable), CreateMigrationTable, null),
            new(nameof(IsMigrationApplied), IsMigrationApplied, typeof(MigrationParameters)),
            new(nameof(RecordMigration), RecordMigration, typeof(MigrationParameters)),
            new(nameof(AppliedVersion), AppliedVersion, null),
            new(nameof(ReplaceIndex), ReplaceIndex, typeof(IndexParameters)),
        };
        for (var mask = 0; mask < 32; mask++)
        {
            all.Add(new($"{nameof(History)}[{mask}]",
                History((mask & 1) != 0, (mask & 2) != 0, (mask & 4) != 0, (mask & 8) != 0, (mask & 16) != 0), typeof(HistoryParameters)));
        }
        return all;
    }
}
