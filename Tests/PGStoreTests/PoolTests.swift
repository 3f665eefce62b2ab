import Foundation
import TestSupport
import Testing

@testable import PGStore

@Suite("Connection pool against a real server", .tags(.realClock))
struct PoolTests {
    static let backend = PGStatement("SELECT pg_backend_pid() AS pid")

    @Test func moreLeasesThanConnectionsAllComplete() async throws {
        try await withPool(TestDatabase.pool(maxConnections: 3, acquireTimeout: .seconds(10))) { pool in
            let pids = try await withThrowingTaskGroup(of: Int32.self) { group in
                for _ in 0..<60 {
                    group.addTask {
                        try await pool.withConnection { connection in
                            try await connection.query(unprepared: "SELECT pg_sleep(0.005)")
                            return try await connection.query(Self.backend)[0].decode(Int32.self, column: "pid")
                        }
                    }
                }
                return try await group.reduce(into: [Int32]()) { $0.append($1) }
            }
            #expect(pids.count == 60)
            #expect(Set(pids).count <= 3)
            #expect(pool.statistics.open <= 3)
            #expect(pool.statistics.leased == 0)
        }
    }

    @Test func acquireBoundFiresWhenEveryConnectionIsHeld() async throws {
        try await withPool(TestDatabase.pool(maxConnections: 1, acquireTimeout: .milliseconds(200))) { pool in
            let holding = Task {
                try await pool.withConnection { connection in
                    try await connection.query(unprepared: "SELECT pg_sleep(4)")
                }
            }
            #expect(try await eventually { pool.statistics.leased == 1 })  // it holds the only connection
            let clock = ContinuousClock()
            let start = clock.now
            let error = await #expect(throws: ConnectionPoolError.self) {
                try await pool.withConnection { _ in }
            }
            let waited = clock.now - start
            #expect(error == .acquireTimeout(waited: .milliseconds(200)))
            #expect(waited >= .milliseconds(180))
            // Well before the holder lets go (4 s): the bound, not the release, ended the wait.
            // Generous, because a loaded machine running the whole suite can delay any task.
            #expect(waited < .milliseconds(3500))
            _ = try await holding.value
            // Free again: the pool recovers by itself.
            try await pool.withConnection { connection in _ = try await connection.query(Self.backend) }
        }
    }

    @Test func killedConnectionIsReplaced() async throws {
        try await withPool(TestDatabase.pool(maxConnections: 1)) { pool in
            let pid = try await pool.withConnection { try await $0.query(Self.backend)[0].decode(Int32.self, column: "pid") }
            let admin = try await PGConnection.connect(TestServer.admin)
            let killed = try await admin.query(unprepared: "SELECT pg_terminate_backend($1::int) AS ok", [Int(pid)])
            #expect(try killed[0].decode(Bool.self, column: "ok"))
            #expect(try await backendGone(pid, admin))  // the server has sent its FATAL and closed
            await admin.close()
            let next = try await pool.withConnection { try await $0.query(Self.backend)[0].decode(Int32.self, column: "pid") }
            #expect(next != pid)
        }
    }

    /// The slot of a connection that broke while a caller waited goes to that caller, which opens
    /// its own connection in its own task (the pool starts no task of its own).
    @Test func aWaiterGetsTheSlotOfABrokenConnection() async throws {
        try await withPool(TestDatabase.pool(maxConnections: 1, acquireTimeout: .seconds(10))) { pool in
            let (holding, held) = AsyncStream.makeStream(of: Int32.self)
            async let brokenPID: Int32 = pool.withConnection { connection in
                let pid = try await connection.query(Self.backend)[0].decode(Int32.self, column: "pid")
                held.yield(pid)
                #expect(try await eventually { pool.statistics.waiting == 1 })  // the waiter queues meanwhile
                let admin = try await PGConnection.connect(TestServer.admin)
                _ = try await admin.query(unprepared: "SELECT pg_terminate_backend($1::int)", [Int(pid)])
                #expect(try await backendGone(pid, admin))
                await admin.close()
                _ = try? await connection.query(Self.backend)  // fails: the session is gone
                #expect(connection.isBroken)
                return pid
            }
            for await _ in holding { break }
            let waiterPID = try await pool.withConnection { try await $0.query(Self.backend)[0].decode(Int32.self, column: "pid") }
            let oldPID = try await brokenPID
            #expect(waiterPID != oldPID)
            #expect(pool.statistics.open == 1)
            #expect(pool.statistics.waiting == 0)
        }
    }

    @Test func connectionReturnedMidTransactionIsRolledBack() async throws {
        try await withPool(TestDatabase.pool(TestServer.owner, maxConnections: 1)) { pool in
            try await pool.withConnection { connection in
                try await connection.execute(script: "CREATE TEMP TABLE IF NOT EXISTS t (v int)")
                try await connection.execute(script: "BEGIN")
                try await connection.query(unprepared: "INSERT INTO t VALUES (1)")
                // Returned without COMMIT.
            }
            let count = try await pool.withConnection { connection in
                try await connection.query(unprepared: "SELECT count(*) AS n FROM t")[0].decode(Int.self, column: "n")
            }
            #expect(count == 0)
        }
    }

    @Test func withTransactionCommitsOrRollsBack() async throws {
        try await withPool(TestDatabase.pool(TestServer.owner, maxConnections: 1)) { pool in
            try await pool.withConnection { try await $0.execute(script: "CREATE TEMP TABLE IF NOT EXISTS tx (v int)") }
            try await pool.withTransaction { try await $0.query(unprepared: "INSERT INTO tx VALUES (1)") }
            struct Boom: Error {}
            await #expect(throws: Boom.self) {
                try await pool.withTransaction { connection in
                    try await connection.query(unprepared: "INSERT INTO tx VALUES (2)")
                    throw Boom()
                }
            }
            let values = try await pool.withConnection { connection in
                try await connection.query(unprepared: "SELECT v FROM tx").map { try $0.decode(Int.self, at: 0) }
            }
            #expect(values == [1])
        }
    }

    @Test func closedPoolRefusesLeases() async throws {
        let pool = TestDatabase.pool()
        try await pool.withConnection { _ = try await $0.query(Self.backend) }
        await pool.close()
        await #expect(throws: ConnectionPoolError.closed) { try await pool.withConnection { _ in } }
    }

    @Test func unreachableServerFailsFastWithTheConnectError() async throws {
        let nowhere = PGConnectionConfiguration(url: "postgresql:///contacts?host=/nonexistent-socket-dir&user=x")
        // A long acquire bound: failing fast must not mean waiting it out.
        try await withPool(TestDatabase.pool(nowhere, maxConnections: 2, acquireTimeout: .seconds(30))) { pool in
            let start = ContinuousClock.now
            let first = await #expect(throws: PGError.self) { try await pool.withConnection { _ in } }
            #expect(first?.kind == .connectionFailed)
            // During the backoff, callers get the same error at once rather than hammering the server.
            let second = await #expect(throws: PGError.self) { try await pool.withConnection { _ in } }
            #expect(second?.kind == .connectionFailed)
            #expect(ContinuousClock.now - start < .seconds(10))
        }
    }
}

@Suite("Pool survives a server restart", .serialized, .tags(.realClock))
struct PoolRestartTests {
    @Test func serverRestartIsSurvivedWithoutRestartingThePool() async throws {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("pg-restart-\(UUID().uuidString.prefix(8))")
        let server = try EmbeddedPostgres(directory: directory)
        try await server.initializeIfNeeded()
        try await server.start(settings: ["fsync": "off"])
        do {
            try await restartUnderPool(server)
        } catch {
            try? await server.stop()
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        try await server.stop()
        #expect(await !server.isRunning())
        try? FileManager.default.removeItem(at: directory)
    }

    private func restartUnderPool(_ server: EmbeddedPostgres) async throws {
        try await withPool(TestDatabase.pool(.init(url: server.url()), maxConnections: 2)) { pool in
            let statement = PGStatement("SELECT pg_backend_pid() AS pid")
            let before = try await pool.withConnection { try await $0.query(statement)[0].decode(Int32.self, column: "pid") }
            try await server.restart()
            try await Task.sleep(for: .milliseconds(100))
            let after = try await pool.withConnection { try await $0.query(statement)[0].decode(Int32.self, column: "pid") }
            #expect(after != before)
            #expect(pool.statistics.open <= 2)
        }
    }
}

/// Whether the server process `pid` has ended, within a few seconds (a terminated backend
/// sends its FATAL, then exits).
func backendGone(_ pid: Int32, _ admin: PGConnection) async throws -> Bool {
    try await eventually {
        try await admin.query(unprepared: "SELECT count(*) AS n FROM pg_stat_activity WHERE pid = $1::int", [Int(pid)])[0]
            .decode(Int.self, column: "n") == 0
    }
}
