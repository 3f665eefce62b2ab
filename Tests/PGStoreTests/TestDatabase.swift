import Foundation
import Logging
import PGStore
import TestSupport
import Testing

/// What the wrapper's tests need of the throwaway server (``TestServer``): the schema, databases
/// of their own, tenants, pools.
enum TestDatabase {
    /// Migrates the shared test database once per process, as its owner.
    static func migrated() async throws {
        try await migration.value
    }

    private static let migration = Task {
        let connection = try await PGConnection.connect(TestServer.owner)
        defer { Task { await connection.close() } }
        try await Migrator(migrations: Migration.load(from: TestServer.migrationsDirectory)).run(on: connection)
    }

    /// A fresh empty database owned by the schema owner, for tests that need their own.
    static func createDatabase() async throws -> (name: String, owner: PGConnectionConfiguration) {
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let connection = try await PGConnection.connect(TestServer.admin)
        try await connection.execute(script: "CREATE DATABASE \(name) OWNER contacts_owner")
        await connection.close()
        return (name, PGConnectionConfiguration(url: TestServer.value("TEST_DATABASE_OWNER_URL")).with("dbname", name))
    }

    /// A new account and workspace (a tenant), created as the owner; returns the tenant id.
    static func createTenant() async throws -> UUID {
        try await migrated()
        let account = UUID()
        let workspace = UUID()
        let connection = try await PGConnection.connect(TestServer.owner)
        try await connection.query(unprepared: "INSERT INTO accounts (id, name) VALUES ($1, 'test')", [account])
        try await connection.query(
            unprepared: "INSERT INTO workspaces (id, account_id, name) VALUES ($1, $2, 'test')", [workspace, account])
        await connection.close()
        return workspace
    }

    static func pool(
        _ configuration: PGConnectionConfiguration = TestServer.app, maxConnections: Int = 4,
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
