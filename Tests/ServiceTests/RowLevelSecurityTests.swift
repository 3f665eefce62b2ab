import Foundation
import PGStore
import TestSupport
import Testing

/// Connected as the application role: what row-level security lets through, and what it stops.
@Suite("Row-level security on the tenant tables")
struct RowLevelSecurityTests {
    static let setTenant = PGStatement("SELECT set_config('app.tenant_id', $1, true)")
    static let insert = PGStatement(
        "INSERT INTO contacts (tenant_id, id, phone, name) VALUES ($1, $2, $3, $4) RETURNING id")

    func insertContact(_ pool: ConnectionPool, tenant: UUID, phone: String) async throws {
        _ = try await pool.withConnection { connection in
            try await connection.pipeline([
                PGQuery(Self.setTenant, [tenant.uuidString]),
                PGQuery(Self.insert, [tenant, UUID(), phone, "n"]),
            ])
        }
    }

    @Test func tenantsSeeAndTouchOnlyTheirOwnRows() async throws {
        let a = try await TestEnvironment.tenant().tenant
        let b = try await TestEnvironment.tenant().tenant
        try await withPool(ConnectionPool(connection: TestServer.app, configuration: .init(maxConnections: 4, acquireTimeout: .seconds(2)))) { pool in
            try await insertContact(pool, tenant: a, phone: "+33612345678")
            try await insertContact(pool, tenant: b, phone: "+33612345678")
            try await insertContact(pool, tenant: b, phone: "+33612345679")

            let results = try await pool.withConnection { connection in
                try await connection.pipeline([
                    PGQuery(Self.setTenant, [a.uuidString]),
                    PGQuery(PGStatement("SELECT tenant_id FROM contacts")),
                    PGQuery(PGStatement("UPDATE contacts SET name = 'changed'")),
                    PGQuery(PGStatement("DELETE FROM contacts WHERE phone = '+33612345679'")),
                ])
            }
            let seen = try results[1].map { try $0.decode(UUID.self, column: "tenant_id") }
            #expect(seen == [a])
            #expect(results[2].affectedRowCount == 1)
            #expect(results[3].affectedRowCount == 0)

            // B's rows are intact.
            let bRows = try await pool.withConnection { connection in
                try await connection.pipeline([
                    PGQuery(Self.setTenant, [b.uuidString]),
                    PGQuery(PGStatement("SELECT name FROM contacts ORDER BY phone")),
                ])[1]
            }
            #expect(try bRows.map { try $0.decode(String.self, at: 0) } == ["n", "n"])
        }
    }

    @Test func insertingForAnotherTenantFails() async throws {
        let a = try await TestEnvironment.tenant().tenant
        let b = try await TestEnvironment.tenant().tenant
        try await withPool(ConnectionPool(connection: TestServer.app, configuration: .init(maxConnections: 4, acquireTimeout: .seconds(2)))) { pool in
            let error = await #expect(throws: PGError.self) {
                try await pool.withConnection { connection in
                    try await connection.pipeline([
                        PGQuery(Self.setTenant, [a.uuidString]),
                        PGQuery(Self.insert, [b, UUID(), "+14155550123", "intruder"]),
                    ])
                }
            }
            #expect(error?.sqlState == .insufficientPrivilege)
        }
    }

    @Test func withNoTenantSetEveryQueryOnATenantTableFails() async throws {
        let a = try await TestEnvironment.tenant().tenant
        try await withPool(ConnectionPool(connection: TestServer.app, configuration: .init(maxConnections: 1, acquireTimeout: .seconds(2)))) { pool in
            try await insertContact(pool, tenant: a, phone: "+4915112345678")
            for sql in [
                "SELECT * FROM contacts", "SELECT * FROM tags", "SELECT * FROM contact_tags",
                "UPDATE contacts SET name = 'x'", "DELETE FROM contacts",
                "SELECT * FROM import_jobs", "SELECT * FROM import_uploads", "SELECT * FROM import_errors",
            ] {
                // On a session that had a tenant in an earlier transaction, and on a fresh one.
                await #expect(throws: PGError.self, "\(sql)") {
                    try await pool.withConnection { try await $0.query(unprepared: sql) }
                }
                let fresh = try await PGConnection.connect(TestServer.app)
                await #expect(throws: PGError.self, "\(sql) on a fresh session") { try await fresh.query(unprepared: sql) }
                await fresh.close()
            }
        }
    }

    @Test func applicationRoleCannotBypassSecurity() async throws {
        try await TestEnvironment.migration.value
        let connection = try await PGConnection.connect(TestServer.app)
        defer { Task { await connection.close() } }
        let role = try await connection.query(
            unprepared: """
                SELECT rolsuper, rolbypassrls,
                       (SELECT count(*) FROM pg_class WHERE relowner = r.oid) AS owned
                FROM pg_roles r WHERE rolname = current_user
                """)[0]
        #expect(try role.decode(Bool.self, column: "rolsuper") == false)
        #expect(try role.decode(Bool.self, column: "rolbypassrls") == false)
        #expect(try role.decode(Int.self, column: "owned") == 0)
        // Nor can it read accounts or write tokens.
        await #expect(throws: PGError.self) { try await connection.query(unprepared: "SELECT * FROM accounts") }
        await #expect(throws: PGError.self) { try await connection.query(unprepared: "DELETE FROM api_tokens") }
        // The import staging takes its rows (COPY) but shows and gives up none of them: only the
        // owner's functions read and remove a batch, each for its own (tenant, writer).
        await #expect(throws: PGError.self) { try await connection.query(unprepared: "SELECT * FROM import_staging") }
        await #expect(throws: PGError.self) { try await connection.query(unprepared: "DELETE FROM import_staging") }
    }
}
