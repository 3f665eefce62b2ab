import Foundation
import Logging
import PGStore
import Testing

/// The throwaway server `make test` started (scripts/with-test-postgres.sh), as environment
/// variables: the application role (row-level security applies), the schema owner, the superuser.
enum TestDatabase {
    static func url(_ variable: String) -> String {
        guard let value = ProcessInfo.processInfo.environment[variable] else {
            fatalError("\(variable) is not set: run the tests with `make test`")
        }
        return value
    }

    static var app: PGConnectionConfiguration { .init(url: url("TEST_DATABASE_URL")) }
    static var owner: PGConnectionConfiguration { .init(url: url("TEST_DATABASE_OWNER_URL")) }
    static var admin: PGConnectionConfiguration { .init(url: url("TEST_DATABASE_ADMIN_URL")) }
    static var socketDirectory: String { url("TEST_PG_SOCKET_DIR") }

    /// The repository's `sql/` folder.
    static var migrationsDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("sql")
    }

    /// Migrates the shared test database once per process, as its owner.
    static func migrated() async throws {
        try await migration.value
    }

    private static let migration = Task {
        let connection = try await PGConnection.connect(owner)
        defer { Task { await connection.close() } }
        try await Migrator(migrations: Migration.load(from: migrationsDirectory)).run(on: connection)
    }

    /// A fresh empty database owned by the schema owner, for tests that need their own.
    static func createDatabase() async throws -> (name: String, owner: PGConnectionConfiguration) {
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let connection = try await PGConnection.connect(admin)
        try await connection.execute(script: "CREATE DATABASE \(name) OWNER contacts_owner")
        await connection.close()
        return (name, PGConnectionConfiguration(url: url("TEST_DATABASE_OWNER_URL")).with("dbname", name))
    }

    /// A new account and workspace (a tenant), created as the owner; returns the tenant id.
    static func createTenant() async throws -> UUID {
        try await migrated()
        let account = UUID()
        let workspace = UUID()
        let connection = try await PGConnection.connect(owner)
        try await connection.query(unprepared: "INSERT INTO accounts (id, name) VALUES ($1, 'test')", [account])
        try await connection.query(
            unprepared: "INSERT INTO workspaces (id, account_id, name) VALUES ($1, $2, 'test')", [workspace, account])
        await connection.close()
        return workspace
    }

    static func pool(
        _ configuration: PGConnectionConfiguration = app, maxConnections: Int = 4,
        acquireTimeout: Duration = .seconds(2)
    ) -> ConnectionPool {
        ConnectionPool(
            connection: configuration,
            configuration: .init(maxConnections: maxConnections, acquireTimeout: acquireTimeout)
        )
    }
}

/// Runs `body` with a pool and closes the pool afterwards, whatever happens.
func withPool<T>(
    _ pool: ConnectionPool, _ body: (ConnectionPool) async throws -> T
) async throws -> T {
    do {
        let result = try await body(pool)
        await pool.close()
        return result
    } catch {
        await pool.close()
        throw error
    }
}
