public import Logging

/// Brings a database's schema to `sql/`: the pending migrations in version order, each in its own
/// transaction and recorded (version, name, checksum) in `schema_migrations`; then, in one
/// transaction, every repeatable script whose text changed since it was last applied, recorded
/// (name, checksum) in `schema_repeatables`. All under an advisory lock, so that instances
/// starting together apply each file exactly once.
///
/// A squashed migration (one with `-- replaces` lines) is not run on a database that applied
/// every migration it replaces with those checksums: their records become its one record.
public struct Migrator: Sendable {
    /// The advisory lock key (an arbitrary constant: "contacts" in ASCII).
    static let lockKey: Int64 = 0x636f_6e74_6163_7473

    public let migrations: [Migration]
    public let repeatables: [RepeatableScript]
    let logger: Logger

    public init(migrations: [Migration], repeatables: [RepeatableScript] = [], logger: Logger = Logger(label: "pgstore.migrations")) {
        self.migrations = migrations
        self.repeatables = repeatables
        self.logger = logger
    }

    public init(schema: SchemaFiles, logger: Logger = Logger(label: "pgstore.migrations")) {
        self.init(migrations: schema.migrations, repeatables: schema.repeatables, logger: logger)
    }

    /// Applies what is pending; returns the migrations it applied (empty when the schema was
    /// current). Run it as the role that owns the schema.
    @discardableResult
    public func run(on connection: PGConnection) async throws -> [Migration] {
        try await connection.query(unprepared: "SELECT pg_advisory_lock($1)", [Self.lockKey])
        do {
            let applied = try await applyPending(on: connection)
            try await applyRepeatables(on: connection, afterMigrations: !applied.isEmpty)
            try await connection.query(unprepared: "SELECT pg_advisory_unlock($1)", [Self.lockKey])
            return applied
        } catch {
            _ = try? await connection.query(unprepared: "SELECT pg_advisory_unlock($1)", [Self.lockKey])
            throw error
        }
    }

    private func applyPending(on connection: PGConnection) async throws -> [Migration] {
        try await connection.execute(
            script: """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """
        )
        var recorded = try await recordedMigrations(on: connection)
        for migration in migrations where !migration.replaces.isEmpty && recorded[migration.version]?.name != migration.name {
            if try await recognizeSquashed(migration, recorded: recorded, on: connection) {
                recorded = try await recordedMigrations(on: connection)
            }
        }
        for migration in migrations {
            if let applied = recorded[migration.version], applied.checksum != migration.checksum {
                throw MigrationError.checksumMismatch(version: migration.version, name: migration.name)
            }
        }
        let known = Set(migrations.map(\.version))
        for version in recorded.keys where !known.contains(version) {
            logger.warning("the database has a migration this build does not know", metadata: ["migration.version": "\(version)"])
        }
        var applied: [Migration] = []
        for migration in migrations where recorded[migration.version] == nil {
            do {
                try await connection.withTransaction { connection in
                    try await connection.execute(script: migration.sql)
                    try await connection.query(
                        unprepared: "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                        [migration.version, migration.name, migration.checksum]
                    )
                }
            } catch {
                throw MigrationError.failed(version: migration.version, name: migration.name, PGErrorSummary(error))
            }
            logger.info(
                "applied migration", metadata: ["migration.version": "\(migration.version)", "migration.name": "\(migration.name)"])
            applied.append(migration)
        }
        return applied
    }

    private func recordedMigrations(on connection: PGConnection) async throws -> [Int: (name: String, checksum: String)] {
        var recorded: [Int: (name: String, checksum: String)] = [:]
        for row in try await connection.query(unprepared: "SELECT version, name, checksum FROM schema_migrations") {
            recorded[try row.decode(Int.self, column: "version")] =
                (try row.decode(String.self, column: "name"), try row.decode(String.self, column: "checksum"))
        }
        return recorded
    }

    /// A database that applied all of what `squashed` replaces is at `squashed`: their records
    /// are replaced by its own. One that applied none of it runs it; anything between is refused.
    private func recognizeSquashed(
        _ squashed: Migration, recorded: [Int: (name: String, checksum: String)], on connection: PGConnection
    ) async throws -> Bool {
        let missing = squashed.replaces.filter { recorded[$0.version] == nil }.map(\.version)
        let changed = squashed.replaces.filter { replaced in
            recorded[replaced.version].map { $0.checksum != replaced.checksum || $0.name != replaced.name } ?? false
        }.map(\.version)
        if missing.count == squashed.replaces.count { return false }
        guard missing.isEmpty, changed.isEmpty else {
            throw MigrationError.partOfSquashedHistory(squashedInto: squashed.version, missing: missing, changed: changed)
        }
        try await connection.withTransaction { connection in
            try await connection.query(
                unprepared: "DELETE FROM schema_migrations WHERE version = ANY ($1::int[])",
                ["{" + squashed.replaces.map { "\($0.version)" }.joined(separator: ",") + "}"])
            try await connection.query(
                unprepared: "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                [squashed.version, squashed.name, squashed.checksum])
        }
        logger.info(
            "recognized the squashed migrations as applied",
            metadata: ["migration.version": "\(squashed.version)", "migration.replaces": "\(squashed.replaces.count)"])
        return true
    }

    /// The repeatable scripts whose text changed, in order, in one transaction; those that follow
    /// changes too when anything was applied. Function bodies are checked when called, not when
    /// created (`check_function_bodies`, as pg_dump restores them), so the files need no order
    /// among themselves.
    private func applyRepeatables(on connection: PGConnection, afterMigrations: Bool) async throws {
        guard !repeatables.isEmpty else { return }
        try await connection.execute(
            script: """
                CREATE TABLE IF NOT EXISTS schema_repeatables (
                    name text PRIMARY KEY,
                    checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """
        )
        var recorded: [String: String] = [:]
        for row in try await connection.query(unprepared: "SELECT name, checksum FROM schema_repeatables") {
            recorded[try row.decode(String.self, column: "name")] = try row.decode(String.self, column: "checksum")
        }
        let changed = repeatables.filter { recorded[$0.name] != $0.checksum && !$0.followsChanges }
        let anything = afterMigrations || !changed.isEmpty
        let due = repeatables.filter { recorded[$0.name] != $0.checksum || ($0.followsChanges && anything) }
        guard !due.isEmpty else { return }
        var current = ""
        do {
            try await connection.withTransaction { connection in
                try await connection.execute(script: "SET LOCAL check_function_bodies = off")
                for script in due {
                    current = script.name
                    try await connection.execute(script: script.sql)
                    try await connection.query(
                        unprepared: """
                            INSERT INTO schema_repeatables (name, checksum) VALUES ($1, $2)
                            ON CONFLICT (name) DO UPDATE SET checksum = excluded.checksum, applied_at = now()
                            """,
                        [script.name, script.checksum])
                }
            }
        } catch {
            throw MigrationError.repeatableFailed(name: current, PGErrorSummary(error))
        }
        logger.info("applied repeatable scripts", metadata: ["sql.files": "\(due.map(\.name).joined(separator: ", "))"])
    }
}

extension PGErrorSummary {
    /// The database's error under a failed step, or the error's description.
    init(_ error: any Error) {
        switch error {
        case let error as PGError: self.init(sqlState: error.sqlState, message: error.message)
        case let error as PGTransactionError: self.init(error.databaseError)
        default: self.init(sqlState: nil, message: "\(error)")
        }
    }
}
