import Foundation
import PGStore
import TestSupport
import Testing

@Suite("Server errors keep their SQLSTATE and fields")
struct ErrorTests {
    @Test func uniqueViolationHasCodeAndConstraint() async throws {
        let connection = try await PGConnection.connect(TestServer.owner)
        defer { Task { await connection.close() } }
        try await connection.execute(script: "CREATE TEMP TABLE uniq (k text CONSTRAINT uniq_k UNIQUE)")
        let insert = PGStatement("INSERT INTO uniq (k) VALUES ($1)")
        try await connection.query(insert, ["secret-value"])
        let error = await #expect(throws: PGError.self) { try await connection.query(insert, ["secret-value"]) }
        #expect(error?.kind == .statementFailed)
        #expect(error?.sqlState == .uniqueViolation)
        #expect(error?.sqlState?.errorClass == .integrityConstraintViolation)
        #expect(error?.constraintName == "uniq_k")
        #expect(error?.tableName == "uniq")
        #expect(error?.isConnectionError == false)
        // The detail quotes the value; description must not.
        #expect(error?.detail?.contains("secret-value") == true)
        #expect(error?.description.contains("secret-value") == false)
        #expect(error?.debugDescription.contains("secret-value") == true)
        // The session survives a failed statement.
        #expect(try await connection.query(PGStatement("SELECT count(*) AS n FROM uniq"))[0].decode(Int.self, column: "n") == 1)
    }

    @Test func syntaxErrorHasCode() async throws {
        let connection = try await PGConnection.connect(TestServer.app)
        defer { Task { await connection.close() } }
        let error = await #expect(throws: PGError.self) { try await connection.query(unprepared: "SELEC 1") }
        #expect(error?.sqlState == .syntaxError)
        #expect(error?.sqlState?.errorClass == SQLState("42000"))
        let prepared = await #expect(throws: PGError.self) { try await connection.query(PGStatement("SELEC 2")) }
        #expect(prepared?.sqlState == .syntaxError)
    }

    @Test func unknownCodesStillCompareAndClassify() {
        let code = SQLState("XX123")
        #expect(code.errorClass == SQLState("XX000"))
        #expect(SQLState("08006").meansConnectionLost)
        #expect(SQLState.adminShutdown.meansConnectionLost)
        #expect(!SQLState.uniqueViolation.meansConnectionLost)
    }

    @Test func connectFailureKeepsLibpqMessage() async throws {
        let configuration = PGConnectionConfiguration(url: TestServer.value("TEST_DATABASE_URL")).with("user", "no_such_role")
        let error = await #expect(throws: PGError.self) { try await PGConnection.connect(configuration) }
        #expect(error?.kind == .connectionFailed)
        #expect(error?.message.contains("no_such_role") == true)
        #expect(error?.isConnectionError == true)
    }
}
