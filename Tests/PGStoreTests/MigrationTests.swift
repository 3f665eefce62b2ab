import Foundation
import PGStore
import TestSupport
import Testing

@Suite("Migrations")
struct MigrationTests {
    let files = [
        Migration(version: 1, name: "first", sql: "CREATE TABLE m1 (id int PRIMARY KEY);"),
        Migration(version: 2, name: "second", sql: "CREATE TABLE m2 (id int); INSERT INTO m2 VALUES (1), (2);"),
    ]

    @Test func secondRunDoesNothing() async throws {
        let (_, owner) = try await TestDatabase.createDatabase()
        let connection = try await PGConnection.connect(owner)
        defer { Task { await connection.close() } }
        let first = try await Migrator(migrations: files).run(on: connection)
        #expect(first.map(\.version) == [1, 2])
        let second = try await Migrator(migrations: files).run(on: connection)
        #expect(second.isEmpty)
        #expect(try await connection.query(unprepared: "SELECT count(*) FROM m2")[0].decode(Int.self, at: 0) == 2)
    }

    @Test func concurrentRunsApplyEachFileOnce() async throws {
        let (_, owner) = try await TestDatabase.createDatabase()
        let applied = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    let connection = try await PGConnection.connect(owner)
                    let applied = try await Migrator(migrations: files).run(on: connection)
                    await connection.close()
                    return applied.count
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(applied == files.count)
        let connection = try await PGConnection.connect(owner)
        defer { Task { await connection.close() } }
        #expect(try await connection.query(unprepared: "SELECT count(*) FROM schema_migrations")[0].decode(Int.self, at: 0) == 2)
        #expect(try await connection.query(unprepared: "SELECT count(*) FROM m2")[0].decode(Int.self, at: 0) == 2)
    }

    @Test func editedAppliedFileIsRefused() async throws {
        let (_, owner) = try await TestDatabase.createDatabase()
        let connection = try await PGConnection.connect(owner)
        defer { Task { await connection.close() } }
        try await Migrator(migrations: files).run(on: connection)
        var edited = files
        edited[0] = Migration(version: 1, name: "first", sql: "CREATE TABLE m1 (id bigint PRIMARY KEY);")
        edited.append(Migration(version: 3, name: "third", sql: "CREATE TABLE m3 (id int);"))
        await #expect(throws: MigrationError.checksumMismatch(version: 1, name: "first")) {
            try await Migrator(migrations: edited).run(on: connection)
        }
        // Nothing after the refusal was applied.
        #expect(try await connection.query(unprepared: "SELECT to_regclass('m3') IS NULL")[0].decode(Bool.self, at: 0))
    }

    @Test func failingFileIsRolledBackAndReported() async throws {
        let (_, owner) = try await TestDatabase.createDatabase()
        let connection = try await PGConnection.connect(owner)
        defer { Task { await connection.close() } }
        let broken = [Migration(version: 1, name: "broken", sql: "CREATE TABLE half (id int); SELEC 1;")]
        let error = await #expect(throws: MigrationError.self) { try await Migrator(migrations: broken).run(on: connection) }
        guard case .failed(1, "broken", let summary) = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect(summary.sqlState == .syntaxError)
        #expect(try await connection.query(unprepared: "SELECT to_regclass('half') IS NULL")[0].decode(Bool.self, at: 0))
    }

    @Test func loadsTheRepositoryFilesInOrder() throws {
        let migrations = try SchemaFiles.load(from: TestServer.migrationsDirectory).migrations
        #expect(!migrations.isEmpty)
        #expect(migrations.map(\.version) == migrations.map(\.version).sorted())
        #expect(migrations.allSatisfy { $0.checksum.count == 64 })
    }
}
