import Foundation
import Logging
import PGStore
import TestSupport
import Testing

/// What the wrapper's tests need of the throwaway server (``TestServer``): databases of their
/// own and pools. They use tables of their own, never the application's schema (its tests are the
/// service's).
enum TestDatabase {
    /// A fresh empty database owned by the schema owner, for tests that need their own.
    static func createDatabase() async throws -> (name: String, owner: PGConnectionConfiguration) {
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let connection = try await PGConnection.connect(TestServer.admin)
        try await connection.execute(script: "CREATE DATABASE \(name) OWNER contacts_owner")
        await connection.close()
        return (name, PGConnectionConfiguration(url: TestServer.value("TEST_DATABASE_OWNER_URL")).with("dbname", name))
    }

    static func pool(
        _ configuration: PGConnectionConfiguration = TestServer.app, maxConnections: Int = 4,
        acquireTimeout: Duration = .seconds(2), sharedSessions: Int = 2, pipelineDepth: Int = 16
    ) -> ConnectionPool {
        var poolConfiguration = ConnectionPoolConfiguration(maxConnections: maxConnections, acquireTimeout: acquireTimeout)
        poolConfiguration.sharedSessions = sharedSessions
        poolConfiguration.pipelineDepth = pipelineDepth
        return ConnectionPool(connection: configuration, configuration: poolConfiguration)
    }
}
