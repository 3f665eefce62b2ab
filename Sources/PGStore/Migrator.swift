public import Logging

/// Applies ``Migration``s in order, recording each (version, name, checksum) in
/// `schema_migrations`, under an advisory lock so that instances starting together apply each file
/// exactly once.
public struct Migrator: Sendable {
    /// The advisory lock key (an arbitrary constant: "contacts" in ASCII).
    static let lockKey: Int64 = 0x636f_6e74_6163_7473

    public let migrations: [Migration]
    let logger: Logger

    public init(migrations: [Migration], logger: Logger = Logger(label: "pgstore.migrations")) {
        self.migrations = migrations
        self.logger = logger
    }

    /// Applies what is pending; returns what it applied (empty when the schema was current).
    /// Run it as the role that owns the schema.
    @discardableResult
    public func run(on connection: PGConnection) async throws -> [Migration] {
        try await connection.query(unprepared: "SELECT pg_advisory_lock($1)", [Self.lockKey])
        do {
            let applied = try await applyPending(on: connection)
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
        let rows = try await connection.query(unprepared: "SELECT version, name, checksum FROM schema_migrations")
        var appliedChecksums: [Int: String] = [:]
        for row in rows {
            appliedChecksums[try row.decode(Int.self, column: "version")] = try row.decode(String.self, column: "checksum")
        }
        for migration in migrations {
            if let checksum = appliedChecksums[migration.version], checksum != migration.checksum {
                throw MigrationError.checksumMismatch(version: migration.version, name: migration.name)
            }
        }
        let known = Set(migrations.map(\.version))
        for version in appliedChecksums.keys where !known.contains(version) {
            logger.warning("the database has a migration this build does not know", metadata: ["migration.version": "\(version)"])
        }
        var applied: [Migration] = []
        for migration in migrations where appliedChecksums[migration.version] == nil {
            do {
                try await connection.withTransaction { connection in
                    try await connection.execute(script: migration.sql)
                    try await connection.query(
                        unprepared: "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                        [migration.version, migration.name, migration.checksum]
                    )
                }
            } catch let error as PGError {
                throw MigrationError.failed(
                    version: migration.version, name: migration.name,
                    PGErrorSummary(sqlState: error.sqlState, message: error.message)
                )
            }
            logger.info("applied migration", metadata: ["migration.version": "\(migration.version)", "migration.name": "\(migration.name)"])
            applied.append(migration)
        }
        return applied
    }
}
