import Foundation
import PGStore
import TestSupport
import Testing

@Suite("Pipelines: one transaction, one round trip")
struct PipelineTests {
    static let create = PGStatement("CREATE TEMP TABLE IF NOT EXISTS items (k int PRIMARY KEY, v text)")
    static let insert = PGStatement("INSERT INTO items (k, v) VALUES ($1, $2) RETURNING k, txid_current() AS tx")
    static let count = PGStatement("SELECT count(*) AS n FROM items")

    @Test func commitsEveryStatementInOneRoundTrip() async throws {
        let relay = try RoundTripRelay(targetDirectory: TestServer.socketDirectory)
        let connection = try await PGConnection.connect(TestServer.owner.with("host", relay.directory))
        defer { Task { await connection.close() } }
        try await connection.query(Self.create)

        let before = relay.clientFlights
        let results = try await connection.pipeline([
            PGQuery(Self.insert, [1, "one"]), PGQuery(Self.insert, [2, "two"]), PGQuery(Self.insert, [3, "three"]),
        ])
        #expect(relay.clientFlights - before == 1)  // statements prepared on first use, same trip
        #expect(results.count == 3)
        let transactions = try Set(results.map { try $0[0].decode(Int64.self, column: "tx") })
        #expect(transactions.count == 1)
        #expect(try results.map { try $0[0].decode(Int.self, column: "k") } == [1, 2, 3])

        // Already prepared: still one trip.
        let again = relay.clientFlights
        _ = try await connection.pipeline([PGQuery(Self.insert, [4, "four"]), PGQuery(Self.insert, [5, "five"])])
        #expect(relay.clientFlights - again == 1)
        #expect(try await connection.query(Self.count)[0].decode(Int.self, column: "n") == 5)
    }

    /// A transaction opened with its first statements and committed after its last ones: one
    /// round trip each, one transaction; a failing statement in either rolls it all back.
    @Test func aTransactionOpensAndCommitsWithItsStatementsInOneRoundTripEach() async throws {
        let relay = try RoundTripRelay(targetDirectory: TestServer.socketDirectory)
        let connection = try await PGConnection.connect(TestServer.owner.with("host", relay.directory))
        defer { Task { await connection.close() } }
        try await connection.query(Self.create)
        _ = try await connection.pipeline([PGQuery(Self.insert, [0, "prepared"])])

        let before = relay.clientFlights
        let (transaction, opened) = try await connection.beginTransaction(then: [PGQuery(Self.insert, [1, "one"]), PGQuery(Self.count)])
        #expect(relay.clientFlights - before == 1)
        #expect(connection.isInTransaction)
        #expect(try opened[1][0].decode(Int.self, column: "n") == 2)
        let closed = try await transaction.commit(after: [PGQuery(Self.insert, [2, "two"])])
        #expect(relay.clientFlights - before == 2)
        #expect(!connection.isInTransaction)
        #expect(try opened[0][0].decode(Int64.self, column: "tx") == closed[0][0].decode(Int64.self, column: "tx"))
        #expect(try await connection.query(Self.count)[0].decode(Int.self, column: "n") == 3)

        // A failure while opening: nothing stays, and the session is usable.
        let opening = await #expect(throws: PGError.self) {
            _ = try await connection.beginTransaction(then: [PGQuery(Self.insert, [3, "three"]), PGQuery(Self.insert, [1, "again"])])
        }
        #expect(opening?.sqlState == .uniqueViolation)
        #expect(!connection.isInTransaction)
        // A failure while committing: the transaction stays open and aborted, for the caller.
        let (second, _) = try await connection.beginTransaction(then: [PGQuery(Self.insert, [4, "four"])])
        await #expect(throws: PGError.self) { try await second.commit(after: [PGQuery(Self.insert, [2, "dup"])]) }
        #expect(connection.isInTransaction)
        try await second.rollback()
        #expect(try await connection.query(Self.count)[0].decode(Int.self, column: "n") == 3)
    }

    @Test func failureInTheMiddleLeavesNothingAndReportsTheRealError() async throws {
        let connection = try await PGConnection.connect(TestServer.owner)
        defer { Task { await connection.close() } }
        try await connection.query(Self.create)
        try await connection.query(Self.insert, [1, "existing"])
        let error = await #expect(throws: PGError.self) {
            try await connection.pipeline([
                PGQuery(Self.insert, [10, "ten"]),
                PGQuery(Self.insert, [1, "duplicate"]),
                PGQuery(Self.insert, [11, "eleven"]),
            ])
        }
        #expect(error?.sqlState == .uniqueViolation)
        #expect(error?.message.contains("aborted") == false)
        #expect(try await connection.query(Self.count)[0].decode(Int.self, column: "n") == 1)
        // The session is usable and out of the failed transaction.
        let rows = try await connection.pipeline([PGQuery(Self.insert, [12, "twelve"])])
        #expect(try rows[0][0].decode(Int.self, column: "k") == 12)
    }

    @Test func failingPrepareInsidePipelineReportsSyntaxError() async throws {
        let connection = try await PGConnection.connect(TestServer.owner)
        defer { Task { await connection.close() } }
        let error = await #expect(throws: PGError.self) {
            try await connection.pipeline([PGQuery(PGStatement("SELECT 1")), PGQuery(PGStatement("SELEC oops"))])
        }
        #expect(error?.sqlState == .syntaxError)
        #expect(try await connection.pipeline([PGQuery(PGStatement("SELECT 1 AS one"))])[0][0].decode(Int.self, column: "one") == 1)
    }
}
