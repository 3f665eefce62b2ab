import PGStore
import TestSupport
import Testing

@Suite("The schema stays distributable by tenant")
struct SchemaCatalogTests {
    static let tenantTables = [
        "contacts", "tags", "contact_tags", "import_jobs", "import_uploads", "import_errors", "contact_changes", "change_feeds",
    ]
    /// Tenant rows that stay on the coordinator (Citus) and that the owner's functions claim across
    /// workspaces: row-level security for the application role, not forced on the owner.
    static let coordinatorTables = ["webhook_endpoints", "webhook_deliveries", "webhook_attempts"]

    @Test func everyKeyOfATenantTableStartsWithTenantID() async throws {
        try await TestEnvironment.migration.value
        let connection = try await PGConnection.connect(TestServer.owner)
        defer { Task { await connection.close() } }
        let rows = try await connection.query(
            unprepared: """
                SELECT c.conrelid::regclass::text AS tbl, c.conname, c.contype,
                       (SELECT attname FROM pg_attribute WHERE attrelid = c.conrelid AND attnum = c.conkey[1]) AS first_column,
                       CASE WHEN c.contype = 'f' THEN
                           (SELECT attname FROM pg_attribute WHERE attrelid = c.confrelid AND attnum = c.confkey[1])
                       END AS first_referenced
                FROM pg_constraint c
                WHERE c.conrelid::regclass::text = ANY($1) AND c.contype IN ('p', 'u', 'f')
                """, [Self.tenantTables + Self.coordinatorTables])
        var tablesWithPrimaryKey = Set<String>()
        for row in rows {
            let table = try row.decode(String.self, column: "tbl")
            let name = try row.decode(String.self, column: "conname")
            #expect(try row.decode(String.self, column: "first_column") == "tenant_id", "\(table).\(name)")
            if try row.decode(String.self, column: "contype") == "f" {
                let referenced = try row.decode(String?.self, column: "first_referenced")
                #expect(referenced == "tenant_id" || referenced == "id", "\(table).\(name) references \(referenced ?? "?")")
            }
            if try row.decode(String.self, column: "contype") == "p" { tablesWithPrimaryKey.insert(table) }
        }
        #expect(tablesWithPrimaryKey == Set(Self.tenantTables + Self.coordinatorTables))
    }

    @Test func rowLevelSecurityIsEnabledAndForced() async throws {
        try await TestEnvironment.migration.value
        let connection = try await PGConnection.connect(TestServer.owner)
        defer { Task { await connection.close() } }
        let rows = try await connection.query(
            unprepared: "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = ANY($1)",
            [Self.tenantTables])
        #expect(rows.count == Self.tenantTables.count)
        for row in rows {
            #expect(try row.decode(Bool.self, column: "relrowsecurity"))
            #expect(try row.decode(Bool.self, column: "relforcerowsecurity"))
        }
        let coordinator = try await connection.query(
            unprepared: "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = ANY($1)",
            [Self.coordinatorTables])
        #expect(coordinator.count == Self.coordinatorTables.count)
        for row in coordinator {
            #expect(try row.decode(Bool.self, column: "relrowsecurity"))
            #expect(try row.decode(Bool.self, column: "relforcerowsecurity") == false)
        }
    }
}
