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
        try await withPool(ConnectionPool(connection: TestServer.app, configuration: .init(maxConnections: 4, acquireTimeout: .seconds(2))))
        { pool in
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
        try await withPool(ConnectionPool(connection: TestServer.app, configuration: .init(maxConnections: 4, acquireTimeout: .seconds(2))))
        { pool in
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

    /// Fail closed: without a tenant (never set, or set in an earlier transaction of the session,
    /// which reads back as '') a statement sees and touches no row, and cannot insert one. It does
    /// not raise: Citus checks a moved shard's foreign keys in a session without our setting.
    @Test func withNoTenantSetNothingIsSeenOrTouched() async throws {
        let a = try await TestEnvironment.tenant().tenant
        try await withPool(ConnectionPool(connection: TestServer.app, configuration: .init(maxConnections: 1, acquireTimeout: .seconds(2))))
        { pool in
            try await insertContact(pool, tenant: a, phone: "+4915112345678")
            let fresh = try await PGConnection.connect(TestServer.app)
            defer { Task { await fresh.close() } }
            for table in ["contacts", "tags", "contact_tags", "import_jobs", "import_uploads", "import_errors"] {
                // The pool's session had a tenant in an earlier transaction; the fresh one never had.
                let afterATenant = try await pool.withConnection { try await $0.query(unprepared: "SELECT * FROM \(table)") }
                #expect(afterATenant.count == 0, "\(table)")
                #expect(try await fresh.query(unprepared: "SELECT * FROM \(table)").count == 0, "\(table) on a fresh session")
            }
            for sql in ["UPDATE contacts SET name = 'x'", "DELETE FROM contacts"] {
                #expect(try await pool.withConnection { try await $0.query(unprepared: sql) }.affectedRowCount == 0, "\(sql)")
                #expect(try await fresh.query(unprepared: sql).affectedRowCount == 0, "\(sql) on a fresh session")
            }
            let error = await #expect(throws: PGError.self) {
                try await pool.withConnection { try await $0.query(Self.insert, [a, UUID(), "+4915112345679", "n"]) }
            }
            #expect(error?.sqlState == .insufficientPrivilege)
            // The row is untouched.
            let rows = try await pool.withConnection { connection in
                try await connection.pipeline([
                    PGQuery(Self.setTenant, [a.uuidString]),
                    PGQuery(PGStatement("SELECT name FROM contacts")),
                ])[1]
            }
            #expect(try rows.map { try $0.decode(String.self, at: 0) } == ["n"])
        }
    }

    /// On one PostgreSQL row-level security is forced: the owner's sessions (migrations, the CLI
    /// import, the SECURITY DEFINER functions the application calls) are held to the tenant they
    /// name too, and see nothing without one. (On Citus it is not forced: `sql/migrations/017_baseline.sql` says why.)
    @Test func theOwnerIsHeldToItsTenantToo() async throws {
        let a = try await TestEnvironment.tenant().tenant
        let b = try await TestEnvironment.tenant().tenant
        try await withPool(ConnectionPool(connection: TestServer.app, configuration: .init(maxConnections: 1, acquireTimeout: .seconds(2))))
        { pool in
            try await insertContact(pool, tenant: a, phone: "+4915112345678")
            try await insertContact(pool, tenant: b, phone: "+4915112345678")
        }
        try await TestEnvironment.asOwner { _, owner in
            let query = "SELECT DISTINCT tenant_id FROM contacts WHERE tenant_id = ANY($1::uuid[])"
            #expect(try await owner.query(unprepared: query, [[a.uuidString, b.uuidString]]).count == 0)
            let scoped = try await owner.pipeline([
                PGQuery(Self.setTenant, [a.uuidString]),
                PGQuery(.unprepared(query), [[a.uuidString, b.uuidString]]),
            ])[1]
            #expect(try scoped.map { try $0.decode(UUID.self, at: 0) } == [a])
            await #expect(throws: PGError.self) { try await owner.query(Self.insert, [a, UUID(), "+4915112345679", "n"]) }
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
