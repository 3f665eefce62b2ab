import ArgumentParser
import FoundationEssentials
import Logging
import PGStore

/// Where the database is: `DATABASE_URL` (the application role) and `DATABASE_OWNER_URL` (the
/// schema owner, for migrations and administration), or, with neither, the embedded PostgreSQL.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "PostgreSQL URL for the application role (env DATABASE_URL). Unset: the embedded database.")
    var databaseURL: String?

    @Option(help: "PostgreSQL URL for the schema owner, for migrations and administration (env DATABASE_OWNER_URL).")
    var ownerURL: String?

    @Option(help: "Folder of the embedded database and the development token (env CONTACTS_DATA_DIR). Default: ./var")
    var dataDir: String?

    @Option(help: "The sql folder: migrations/, functions/ (env MIGRATIONS_DIR). Default: ./sql")
    var migrationsDir: String?

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    var appURL: String? { nonEmpty(databaseURL ?? environment["DATABASE_URL"]) }
    var explicitOwnerURL: String? { nonEmpty(ownerURL ?? environment["DATABASE_OWNER_URL"]) }

    /// An empty variable (`DATABASE_URL=`) means unset.
    private func nonEmpty(_ value: String?) -> String? {
        value.flatMap { $0.isEmpty ? nil : $0 }
    }
    var usesEmbedded: Bool { appURL == nil && explicitOwnerURL == nil }

    var dataDirectory: URL {
        URL(fileURLWithPath: dataDir ?? environment["CONTACTS_DATA_DIR"] ?? "var", isDirectory: true).standardizedFileURL
    }

    var schema: SchemaFiles {
        get throws {
            let candidates =
                [migrationsDir, environment["MIGRATIONS_DIR"], "sql"].compactMap { $0 }
                + [
                    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
                        .appendingPathComponent("../../../sql").standardizedFileURL.path
                ]
            guard let directory = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
                throw ValidationError("no migrations folder found (set MIGRATIONS_DIR)")
            }
            return try SchemaFiles.load(from: URL(fileURLWithPath: directory, isDirectory: true))
        }
    }

    /// Opens the embedded database when no URL is configured; `nil` otherwise.
    func openEmbedded(logger: Logger) async throws -> EmbeddedDatabase? {
        guard usesEmbedded else { return nil }
        return try await EmbeddedDatabase.open(dataDirectory: dataDirectory, logger: logger)
    }

    /// Runs `body` with a connection as the schema owner (embedded or `DATABASE_OWNER_URL`),
    /// migrating first, and stops an embedded server it had to start.
    func withOwnerConnection<T>(logger: Logger, _ body: (PGConnection) async throws -> T) async throws -> T {
        try await withOwnerConnections(1, logger: logger) { try await body($0[0]) }
    }

    /// `count` sessions as the schema owner, for work that runs on several at once.
    func withOwnerConnections<T>(_ count: Int, logger: Logger, _ body: ([PGConnection]) async throws -> T) async throws -> T {
        let embedded = try await openEmbedded(logger: logger)
        guard let url = embedded?.ownerURL ?? explicitOwnerURL else {
            throw ValidationError("set DATABASE_OWNER_URL (the schema owner) for this command")
        }
        var connections: [PGConnection] = []
        do {
            for _ in 0..<max(1, count) { connections.append(try await PGConnection.connect(PGConnectionConfiguration(url: url))) }
            try await Migrator(schema: schema, logger: logger).run(on: connections[0])
            let result = try await body(connections)
            for connection in connections { await connection.close() }
            try await embedded?.stopIfStartedHere()
            return result
        } catch {
            for connection in connections { await connection.close() }
            try? await embedded?.stopIfStartedHere()
            throw error
        }
    }
}
