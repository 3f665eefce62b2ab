import Foundation
import PGStore
import TestSupport
import Testing

/// ``ConnectionPool/query(_:lease:)``: many callers' statements in flight on one session at once
/// (libpq's pipeline mode), each its own transaction, each caller answered on its own.
@Suite("Shared sessions: many callers, one pipelined connection", .tags(.realClock))
struct SharedSessionTests {
    static let numbered = PGStatement("SELECT $1::int AS n, pg_backend_pid() AS pid")
    /// `$2` milliseconds of sleep first.
    static let slow = PGStatement("SELECT $1::text AS v, pg_backend_pid() AS pid FROM pg_sleep($2::int / 1000.0)")
    static let divide = PGStatement("SELECT 1 / $1::int AS q")

    /// Waits until `count` calls are in flight on the pool's shared sessions, so that the next
    /// call is sent behind them.
    static func waitForInFlight(_ pool: ConnectionPool, _ count: Int) async throws {
        guard try await eventually(within: .seconds(10), every: .milliseconds(2), { pool.sharedInFlight.reduce(0, +) >= count }) else {
            throw PGError(kind: .unexpectedResponse, message: "calls never got in flight")
        }
    }

    @Test func manyCallersShareOneConnectionAndEachGetsItsOwnAnswer() async throws {
        try await withPool(TestDatabase.pool(sharedSessions: 1, pipelineDepth: 64)) { pool in
            let callers = 300
            let results = try await withThrowingTaskGroup(of: (Int, Int, Int32).self) { group in
                for n in 0..<callers {
                    group.addTask {
                        let row = try await pool.query(PGQuery(Self.numbered, [n]))[0]
                        return (n, try row.decode(Int.self, column: "n"), try row.decode(Int32.self, column: "pid"))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.count == callers)
            #expect(results.allSatisfy { $0.0 == $0.1 })  // nobody got another caller's row
            #expect(Set(results.map(\.2)).count == 1)  // all on one session
            #expect(pool.statistics.open == 0)  // no connection of its own was leased
        }
    }

    @Test func callsOverlapOnTheSession() async throws {
        try await withPool(TestDatabase.pool(sharedSessions: 1, pipelineDepth: 16)) { pool in
            // A call of 3 s, then seven of 50 ms: the server runs them one after another, but
            // all eight are in flight at once on the one session before the first answer comes.
            let started = ContinuousClock.now
            async let calls = withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { _ = try await pool.query(PGQuery(Self.slow, ["first", 3_000])) }
                try await Self.waitForInFlight(pool, 1)
                for _ in 0..<7 { group.addTask { _ = try await pool.query(PGQuery(Self.slow, ["x", 50])) } }
                try await group.waitForAll()
            }
            try await Self.waitForInFlight(pool, 8)
            try await calls
            #expect(ContinuousClock.now - started >= .milliseconds(3_350))
            #expect(pool.sharedInFlight == [0])
        }
    }

    @Test func anErrorInTheMiddleOfThePipelineFailsOnlyItsCaller() async throws {
        let table = "shared_" + UUID().uuidString.prefix(8).lowercased()
        let owner = try await PGConnection.connect(TestServer.owner)
        defer { Task { await owner.close() } }
        try await owner.execute(script: "CREATE TABLE \(table) (k int PRIMARY KEY); GRANT ALL ON \(table) TO contacts_app")
        let insert = PGStatement("INSERT INTO \(table) (k) SELECT $1::int FROM pg_sleep($2::int / 1000.0) RETURNING k")
        try await withPool(TestDatabase.pool(sharedSessions: 1)) { pool in
            async let first = pool.query(PGQuery(insert, [1, 3_000]))  // long enough to queue the rest, also on a loaded machine
            try await Self.waitForInFlight(pool, 1)
            let failing = Task { try await pool.query(PGQuery(Self.divide, [0])) }
            try await Self.waitForInFlight(pool, 2)
            let duplicate = Task { try await pool.query(PGQuery(insert, [1, 0])) }  // fails: its own transaction
            try await Self.waitForInFlight(pool, 3)
            async let last = pool.query(PGQuery(insert, [2, 0]))

            #expect(try await first[0].decode(Int.self, column: "k") == 1)
            let division = await #expect(throws: PGError.self) { try await failing.value }
            #expect(division?.sqlState == SQLState("22012"))
            let unique = await #expect(throws: PGError.self) { try await duplicate.value }
            #expect(unique?.sqlState == .uniqueViolation)
            #expect(try await last[0].decode(Int.self, column: "k") == 2)
            // Each success committed on its own, whatever failed beside it.
            let stored = try await owner.query(unprepared: "SELECT array_agg(k ORDER BY k)::text AS ks FROM \(table)")
            #expect(try stored[0].decode(String.self, column: "ks") == "{1,2}")
            #expect(try await pool.query(PGQuery(Self.numbered, [7]))[0].decode(Int.self, column: "n") == 7)
        }
        try await owner.execute(script: "DROP TABLE \(table)")
    }

    @Test func aCancelledCallerLeavesAtOnceAndTheOthersGetTheirAnswers() async throws {
        try await withPool(TestDatabase.pool(sharedSessions: 1)) { pool in
            let slowCall = Task { try await pool.query(PGQuery(Self.slow, ["cancelled", 4_000])) }
            try await Self.waitForInFlight(pool, 1)
            async let behind = pool.query(PGQuery(Self.slow, ["behind", 0]))
            try await Self.waitForInFlight(pool, 2)
            let cancelledAt = ContinuousClock.now
            slowCall.cancel()
            await #expect(throws: CancellationError.self) { try await slowCall.value }
            #expect(ContinuousClock.now - cancelledAt < .milliseconds(2_500))  // not after the statement (4 s)
            // The statement was not cancelled on the server (it may be another caller's): the call
            // behind it waits for it, then gets its own row, and the session stays in use.
            let row = try await behind[0]
            #expect(try row.decode(String.self, column: "v") == "behind")
            let pid = try row.decode(Int32.self, column: "pid")
            #expect(try await pool.query(PGQuery(Self.numbered, [1]))[0].decode(Int32.self, column: "pid") == pid)
            #expect(pool.sharedInFlight == [0])
        }
    }

    @Test func aLostConnectionFailsEveryCallInFlightAndIsReplaced() async throws {
        try await withPool(TestDatabase.pool(sharedSessions: 1)) { pool in
            let pid = try await pool.query(PGQuery(Self.numbered, [0]))[0].decode(Int32.self, column: "pid")
            let started = ContinuousClock.now
            async let calls = withTaskGroup(of: (any Error)?.self) { group in
                for _ in 0..<5 {
                    group.addTask {
                        do {
                            _ = try await pool.query(PGQuery(Self.slow, ["x", 30_000]))
                            return nil
                        } catch { return error }
                    }
                }
                return await group.reduce(into: [(any Error)?]()) { $0.append($1) }
            }
            try await Self.waitForInFlight(pool, 5)
            let admin = try await PGConnection.connect(TestServer.admin)
            _ = try await admin.query(unprepared: "SELECT pg_terminate_backend($1::int)", [Int(pid)])
            await admin.close()
            let errors = await calls
            #expect(errors.count == 5)
            for error in errors { #expect((error as? PGError)?.isConnectionError == true) }
            #expect(ContinuousClock.now - started < .seconds(10))  // not the 30 s of the statements
            let next = try await pool.query(PGQuery(Self.numbered, [1]))[0].decode(Int32.self, column: "pid")
            #expect(next != pid)
        }
    }

    @Test func aSessionEndedWhileIdleIsReplacedBeforeTheNextCall() async throws {
        try await withPool(TestDatabase.pool(sharedSessions: 1)) { pool in
            let pid = try await pool.query(PGQuery(Self.numbered, [0]))[0].decode(Int32.self, column: "pid")
            let admin = try await PGConnection.connect(TestServer.admin)
            _ = try await admin.query(unprepared: "SELECT pg_terminate_backend($1::int)", [Int(pid)])
            await admin.close()
            try await Task.sleep(for: .milliseconds(1100))  // past the idle check's second
            let next = try await pool.query(PGQuery(Self.numbered, [1]))[0].decode(Int32.self, column: "pid")
            #expect(next != pid)
        }
    }

    @Test func aWorkspaceHoldsAtMostItsShareOfThePlacesWhileOthersWait() async throws {
        // One session of 4 places; a workspace's share is half of them.
        try await withPool(TestDatabase.pool(maxConnections: 4, acquireTimeout: .seconds(10), sharedSessions: 1, pipelineDepth: 4)) {
            pool in
            let noisy = UUID()
            let light = UUID()
            let noisyCalls = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<40 {
                        group.addTask { _ = try await pool.query(PGQuery(Self.slow, ["n", 100]), lease: PoolLease(owner: noisy)) }
                    }
                    try await group.waitForAll()
                }
            }
            try await Self.waitForInFlight(pool, 4)
            let started = ContinuousClock.now
            _ = try await pool.query(PGQuery(Self.numbered, [1]), lease: PoolLease(owner: light))
            // Behind about the 4 calls in flight (0.5 s), not the 36 the noisy workspace still
            // queues (3.6 s); wide for a loaded machine.
            #expect(ContinuousClock.now - started < .milliseconds(2500))
            try await noisyCalls.value
        }
    }

    @Test func unpreparedStatementsAndNULAreHandledAsOnALeasedConnection() async throws {
        try await withPool(TestDatabase.pool(sharedSessions: 1)) { pool in
            let rows = try await pool.query(PGQuery(.setLocal("app.x", "y")))
            #expect(rows.commandTag == "SET")
            let error = await #expect(throws: PGError.self) { try await pool.query(PGQuery(Self.slow, ["a\u{0}b", 0])) }
            #expect(error?.kind == .invalidParameter)
            #expect(try await pool.query(PGQuery(Self.numbered, [3]))[0].decode(Int.self, column: "n") == 3)
        }
    }
}
