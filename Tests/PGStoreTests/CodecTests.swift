import Foundation
import PGStore
import TestSupport
import Testing

@Suite("Values round-trip through the server")
struct CodecTests {
    private func roundTrip<T: PGEncodable & PGDecodable & Equatable>(_ value: T, as type: String) async throws -> T {
        let connection = try await PGConnection.connect(TestServer.app)
        defer { Task { await connection.close() } }
        let rows = try await connection.query(PGStatement("SELECT $1::\(type) AS v"), [value])
        return try rows[0].decode(T.self, column: "v")
    }

    @Test func strings() async throws {
        for value in ["", "plain", "Ünïcødé ✓ 日本語 🇫🇷", "quote ' and \" and \\ backslash", "line\nbreak\ttab"] {
            #expect(try await roundTrip(value, as: "text") == value)
        }
    }

    @Test func integers() async throws {
        #expect(try await roundTrip(Int.max, as: "int8") == Int.max)
        #expect(try await roundTrip(Int64.min, as: "int8") == Int64.min)
        #expect(try await roundTrip(Int32(-42), as: "int4") == -42)
    }

    /// `bytea` as the server prints it: every byte value back, and anything else refused.
    @Test func byteaReadsTheServersHexForm() async throws {
        let connection = try await PGConnection.connect(TestServer.app)
        defer { Task { await connection.close() } }
        let rows = try await connection.query(
            unprepared:
                "SELECT decode(string_agg(lpad(to_hex(b), 2, '0'), '' ORDER BY b), 'hex') AS v, ''::bytea AS empty FROM generate_series(0, 255) b"
        )
        #expect(try rows[0].decode(PGBytea.self, column: "v").bytes == Array(0...255))
        #expect(try rows[0].decode(PGBytea.self, column: "empty").bytes == [])
        for bad in ["", "41", "\\x4", "\\x4g", "x41"] {
            #expect(throws: PGValueError.self, "\(bad)") { try PGBytea(pgText: bad) }
        }
        #expect(try PGBytea(pgText: "\\x4A4b").bytes == [0x4A, 0x4B])
    }

    @Test func booleans() async throws {
        #expect(try await roundTrip(true, as: "bool") == true)
        #expect(try await roundTrip(false, as: "bool") == false)
    }

    @Test func uuids() async throws {
        let value = UUID()
        #expect(try await roundTrip(value, as: "uuid") == value)
    }

    @Test func timestamps() async throws {
        let value = Date(timeIntervalSince1970: 1_778_141_663.123456)
        let back = try await roundTrip(value, as: "timestamptz")
        #expect(abs(back.timeIntervalSince1970 - value.timeIntervalSince1970) < 0.000_001)
        let old = Date(timeIntervalSince1970: -2_000_000_000.5)
        #expect(abs(try await roundTrip(old, as: "timestamptz").timeIntervalSince1970 - old.timeIntervalSince1970) < 0.000_001)
    }

    @Test func jsonKeepsTextAndExactNumbers() async throws {
        let json = PGJSON(#"{"a": 8742.00, "big": 123456789012345678901234567890, "s": "é"}"#)
        let back = try await roundTrip(json, as: "jsonb")
        #expect(back.text == #"{"a": 8742.00, "s": "é", "big": 123456789012345678901234567890}"#)
    }

    @Test func textArrays() async throws {
        let value = ["vip", "with space", "quote\"d", "back\\slash", "comma,inside", "", "NULL", "{braces}", "ü"]
        #expect(try await roundTrip(value, as: "text[]") == value)
        #expect(try await roundTrip([String](), as: "text[]") == [])
    }

    @Test func nullsDecodeAsOptionalsOnly() async throws {
        let connection = try await PGConnection.connect(TestServer.app)
        defer { Task { await connection.close() } }
        let rows = try await connection.query(
            PGStatement("SELECT $1::text AS t, $2::int8 AS i, $3::uuid AS u"), [String?.none, Int?.none, PGNull()])
        #expect(try rows[0].decode(String?.self, column: "t") == nil)
        #expect(try rows[0].decode(Int?.self, column: "i") == nil)
        #expect(try rows[0].decode(UUID?.self, column: "u") == nil)
        let error = #expect(throws: PGDecodingError.self) { try rows[0].decode(String.self, column: "t") }
        #expect(error?.column == "t")
    }

    @Test func decodingErrorsNameTheColumnAndNeverTrap() async throws {
        let connection = try await PGConnection.connect(TestServer.app)
        defer { Task { await connection.close() } }
        let rows = try await connection.query(
            unprepared: "SELECT 'abc'::text AS word, point(1,2) AS p, 'infinity'::timestamptz AS forever, ARRAY[ARRAY['a']] AS nested")
        let row = rows[0]
        #expect(try row.decode(String.self, column: "p") == "(1,2)")  // an unknown type reads as text
        let notInt = #expect(throws: PGDecodingError.self) { try row.decode(Int.self, column: "word") }
        #expect(notInt?.column == "word")
        #expect(!(notInt?.description.contains("abc") ?? true))
        #expect(throws: PGDecodingError.self) { try row.decode(Date.self, column: "forever") }
        #expect(throws: PGDecodingError.self) { try row.decode([String].self, column: "nested") }
        #expect(throws: PGDecodingError.self) { try row.decode(UUID.self, column: "p") }
        #expect(throws: PGDecodingError.self) { try row.decode(String.self, column: "missing") }
    }

    @Test func parametersAreNeverSplicedIntoSQL() async throws {
        let connection = try await PGConnection.connect(TestServer.owner)
        defer { Task { await connection.close() } }
        try await connection.execute(script: "CREATE TEMP TABLE victims (v text); CREATE TEMP TABLE bystanders (v text)")
        let hostile = "'); DROP TABLE bystanders; --"
        try await connection.query(PGStatement("INSERT INTO victims (v) VALUES ($1)"), [hostile])
        let rows = try await connection.query(PGStatement("SELECT v FROM victims"))
        #expect(try rows[0].decode(String.self, column: "v") == hostile)
        let tables = try await connection.query(unprepared: "SELECT to_regclass('pg_temp.bystanders') IS NOT NULL AS present")
        #expect(try tables[0].decode(Bool.self, column: "present"))
    }

    @Test func nulCharacterIsRefusedBeforeSending() async throws {
        let connection = try await PGConnection.connect(TestServer.app)
        defer { Task { await connection.close() } }
        let error = await #expect(throws: PGError.self) {
            try await connection.query(PGStatement("SELECT $1::text"), ["a\u{0}b"])
        }
        #expect(error?.kind == .invalidParameter)
        // The connection is still usable afterwards.
        #expect(try await connection.query(PGStatement("SELECT 1 AS one"))[0].decode(Int.self, column: "one") == 1)
    }
}
