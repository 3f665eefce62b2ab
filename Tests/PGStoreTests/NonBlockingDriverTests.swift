import Foundation
import PGStore
import TestSupport
import Testing

/// The non-blocking hot path (libpq in non-blocking mode, socket readiness awaited): results that
/// arrive in pieces, a backend killed mid-read, a connection lost while a pipeline is being sent,
/// and a request cancelled while it waits. None of them may hang or leave a bad session in a pool.
@Suite("Non-blocking driver: readiness, failures, cancellation", .tags(.realClock))
struct NonBlockingDriverTests {
    static func terminate(_ pid: Int32) async throws {
        let admin = try await PGConnection.connect(TestServer.admin)
        try await admin.query(unprepared: "SELECT pg_terminate_backend($1)", [Int(pid)])
        await admin.close()
    }

    @Test func resultsThatArriveInPiecesAreReadWhole() async throws {
        let connection = try await PGConnection.connect(TestServer.owner)
        defer { Task { await connection.close() } }
        let results = try await connection.pipeline([
            PGQuery(PGStatement("SELECT 1 AS a")),
            PGQuery(PGStatement("SELECT pg_sleep(0.2)::text AS slept")),
            PGQuery(PGStatement("SELECT repeat('x', 4000000) AS big")),  // many reads' worth
            PGQuery(PGStatement("SELECT 2 AS b")),
        ])
        #expect(try results[0][0].decode(Int.self, column: "a") == 1)
        #expect(try results[2][0].decode(String.self, column: "big").utf8.count == 4_000_000)
        #expect(try results[3][0].decode(Int.self, column: "b") == 2)
        // And many sessions at once, each waiting on its own socket.
        try await withPool(TestDatabase.pool(TestServer.owner, maxConnections: 8, acquireTimeout: .seconds(60))) { pool in
            try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<64 {
                    group.addTask {
                        try await pool.withConnection { connection in
                            try await connection.query(PGQuery(PGStatement("SELECT $1::int AS n FROM pg_sleep(0.01)"), [index]))[0]
                                .decode(Int.self, column: "n")
                        }
                    }
                }
                var seen: Set<Int> = []
                for try await n in group { seen.insert(n) }
                #expect(seen == Set(0..<64))
            }
        }
    }

    @Test func aBackendKilledWhileResultsAreHalfReadFailsCleanly() async throws {
        let connection = try await PGConnection.connect(TestServer.owner)
        defer { Task { await connection.close() } }
        let started = ContinuousClock.now
        async let killed: Void = {
            try await Task.sleep(for: .milliseconds(300))
            try await Self.terminate(connection.backendPID)
        }()
        let error = await #expect(throws: PGError.self) {
            try await connection.pipeline([
                PGQuery(PGStatement("SELECT 1 AS a")), PGQuery(PGStatement("SELECT pg_sleep(10)")), PGQuery(PGStatement("SELECT 2 AS b")),
            ])
        }
        try await killed
        #expect(error?.isConnectionError == true || error?.sqlState?.meansConnectionLost == true, "\(String(describing: error))")
        #expect(ContinuousClock.now - started < .seconds(5))
        await #expect(throws: PGError.self) { try await connection.query(PGQuery(PGStatement("SELECT 1"))) }
    }

    @Test func aConnectionLostBeforeAPipelineIsSentFailsCleanly() async throws {
        let connection = try await PGConnection.connect(TestServer.owner)
        defer { Task { await connection.close() } }
        try await Self.terminate(connection.backendPID)
        try await Task.sleep(for: .milliseconds(100))
        // 16 MB of parameters: more than the socket takes at once, so the send must wait and
        // find the peer gone rather than hang.
        let big = String(repeating: "y", count: 16 << 20)
        let started = ContinuousClock.now
        await #expect(throws: PGError.self) {
            try await connection.pipeline([PGQuery(PGStatement("SELECT length($1::text) AS n"), [big])])
        }
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func aCancelledRequestStopsWaitingAndItsSessionIsReplaced() async throws {
        try await withPool(TestDatabase.pool(TestServer.owner, maxConnections: 1)) { pool in
            let first = try await pool.withConnection { $0.backendPID }
            let waiting = Task {
                try await pool.withConnection { try await $0.pipeline([PGQuery(PGStatement("SELECT pg_sleep(10)"))]) }
            }
            try await Task.sleep(for: .milliseconds(300))
            let cancelled = ContinuousClock.now
            waiting.cancel()
            await #expect(throws: CancellationError.self) { _ = try await waiting.value }
            #expect(ContinuousClock.now - cancelled < .seconds(2))
            // The session had results on their way: the pool discards it and opens another.
            let next = try await pool.withConnection { connection in
                (connection.backendPID, try await connection.query(PGQuery(PGStatement("SELECT 7 AS n")))[0].decode(Int.self, column: "n"))
            }
            #expect(next.1 == 7)
            #expect(next.0 != first)
        }
    }
}
