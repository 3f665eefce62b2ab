import Foundation
import PGStore
import TestSupport
import Testing

/// `sql/` as a squashed baseline, repeatable functions and their distribution: a database that
/// today's main built with migrations 001–017 migrates forward with no manual step, to exactly the
/// schema a new database gets, with its data. On one PostgreSQL, and on Citus (every node).
/// One test at a time, after the shared database's own migration: on Citus, migrations in several
/// databases at once update the same role rows on every node ("tuple concurrently updated").
@Suite("The squashed schema history", .serialized)
struct SchemaHistoryTests {
    @Test func aDatabaseBuiltByTheSquashedMigrationsMigratesForwardToTheSameSchemaWithItsData() async throws {
        let history = try Self.squashedHistory()
        let (old, new) = (try await ScratchDatabase.create(), try await ScratchDatabase.create())
        try await old.asOwner { try await Migrator(migrations: Migration.load(from: history)).run(on: $0) }
        let tenant = try await Self.addData(to: old)
        let before = try await Self.data(of: old, tenant: tenant)
        #expect(before.count == 4)  // two contacts, their tags, their changes
        var built: [Set<String>] = []
        for node in old.nodes.indices { built.append(try await old.fingerprint(node: node)) }

        let schema = try SchemaFiles.load(from: TestServer.migrationsDirectory)
        // The new database at the baseline first (017), as a new database was on the day of the squash.
        let baseline = schema.migrations.filter { $0.version <= 17 }
        try await new.asOwner { try await Migrator(migrations: baseline, repeatables: schema.repeatables).run(on: $0) }
        // The baseline is what the history built: every table, column, index, constraint, policy,
        // grant and placement. (The functions are the files', which move on after the squash; they
        // were the history's, function by function, when it was squashed, at d8484d2.)
        func schemaOnly(_ lines: Set<String>) -> Set<String> {
            lines.filter { !$0.hasPrefix("function ") && !$0.hasPrefix("delegated ") && !$0.contains("schema_repeatables") }
        }
        for node in old.nodes.indices {
            let fresh = schemaOnly(try await new.fingerprint(node: node))
            #expect(schemaOnly(built[node]).subtracting(fresh) == [], "node \(node): only built by the history")
            #expect(fresh.subtracting(schemaOnly(built[node])) == [], "node \(node): only in the new database")
        }

        try await new.asOwner { try await Migrator(schema: schema).run(on: $0) }
        let applied = try await old.asOwner { try await Migrator(schema: schema).run(on: $0) }
        #expect(applied.map(\.version) == schema.migrations.map(\.version).filter { $0 > 17 })
        for node in old.nodes.indices {
            let (was, fresh) = (try await old.fingerprint(node: node), try await new.fingerprint(node: node))
            #expect(was.count > 100)
            #expect(was.filter { !fresh.contains($0) } == [], "node \(node): only in the migrated database")
            #expect(fresh.filter { !was.contains($0) } == [], "node \(node): only in the new database")
        }
        #expect(try await Self.data(of: old, tenant: tenant) == before)
        let recorded = try await old.asOwner { try await $0.query(unprepared: "SELECT version, name FROM schema_migrations ORDER BY 1") }
        #expect(
            try recorded.map { "\(try $0.decode(Int.self, at: 0))_\(try $0.decode(String.self, at: 1))" }
                == schema.migrations.map { "\($0.version)_\($0.name)" })
        // The functions that run are the files': a write through them works and is recorded.
        try await old.asOwner { connection in
            _ = try await connection.query(
                unprepared: "SELECT * FROM upsert_contact($1, $2, '+14155550103', 'Third', NULL, '{}', ARRAY['c'])",
                [tenant, UUID()])
            let changes = try await connection.query(unprepared: "SELECT count(*) FROM read_changes($1, NULL, 100, '{}')", [tenant])
            #expect(try changes[0].decode(Int.self, at: 0) == 3)
        }
        // Nothing left to do the second time.
        #expect(try await old.asOwner { try await Migrator(schema: schema).run(on: $0) } == [])
        try await old.drop()
        try await new.drop()
    }

    /// A database that applied only part of the squashed history cannot be brought forward by
    /// this release: refused, saying what is missing, with nothing applied.
    @Test func aDatabaseWithPartOfTheSquashedHistoryIsRefused() async throws {
        let history = try Migration.load(from: try Self.squashedHistory()).filter { $0.version <= 10 }
        let database = try await ScratchDatabase.create()
        try await database.asOwner { try await Migrator(migrations: history).run(on: $0) }
        let schema = try SchemaFiles.load(from: TestServer.migrationsDirectory)
        await #expect(throws: MigrationError.partOfSquashedHistory(squashedInto: 17, missing: Array(11...17), changed: [])) {
            try await database.asOwner { try await Migrator(schema: schema).run(on: $0) }
        }
        let versions = try await database.asOwner { try await $0.query(unprepared: "SELECT max(version) FROM schema_migrations") }
        #expect(try versions[0].decode(Int.self, at: 0) == 10)
        try await database.drop()
    }

    /// Migrations 001–017 as main had them before the squash (`Tests/Fixtures`), unpacked.
    static func squashedHistory() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("history-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        tar.arguments = [
            "tar", "-xzf", TestServer.repository.appendingPathComponent("Tests/Fixtures/migrations-001-017.tar.gz").path,
            "-C", folder.path,
        ]
        try tar.run()
        tar.waitUntilExit()
        guard tar.terminationStatus == 0 else { throw CocoaError(.fileReadCorruptFile) }
        return folder
    }

    /// A workspace with two contacts, tags and a change each, written by the history's functions.
    static func addData(to database: ScratchDatabase) async throws -> UUID {
        let (account, tenant) = (UUID(), UUID())
        try await database.asOwner { connection in
            try await connection.query(unprepared: "INSERT INTO accounts (id, name) VALUES ($1, 'history')", [account])
            try await connection.query(
                unprepared: "INSERT INTO workspaces (id, account_id, name) VALUES ($1, $2, 'history')", [tenant, account])
            for (phone, tags) in [("+14155550101", "{a,b}"), ("+14155550102", "{b}")] {
                _ = try await connection.query(
                    unprepared: "SELECT * FROM upsert_contact($1, $2, $3, 'Name', 'x@example.com', '{\"k\": 1}', $4::text[])",
                    [tenant, UUID(), phone, tags])
            }
        }
        return tenant
    }

    /// The workspace's rows, as text, in a stable order.
    static func data(of database: ScratchDatabase, tenant: UUID) async throws -> [String] {
        try await database.asOwner { connection in
            try await connection.withTransaction { connection in
                try await connection.query(unprepared: "SELECT set_config('app.tenant_id', $1, true)", [tenant.uuidString])
                return try await connection.query(
                    unprepared: """
                        SELECT (SELECT string_agg(format('%s %s %s %s %s', id, phone, name, metadata, updated_at), '; ' ORDER BY phone)
                                FROM contacts)
                        UNION ALL SELECT (SELECT string_agg(t.name || '@' || ct.position, ',' ORDER BY t.name, ct.position)
                                          FROM contact_tags ct JOIN tags t ON t.tenant_id = ct.tenant_id AND t.id = ct.tag_id)
                        UNION ALL SELECT (SELECT string_agg(format('%s %s %s', type, phone, tags), '; ' ORDER BY phone) FROM contact_changes)
                        UNION ALL SELECT (SELECT string_agg(name, ',' ORDER BY name) FROM tags)
                        """
                ).map { try $0.decode(String.self, at: 0) }
            }
        }
    }
}

/// A database of its own on the test server: on Citus, on every node, the workers registered.
struct ScratchDatabase {
    let name: String
    /// The superuser's configuration of each node (the coordinator first).
    let nodes: [PGConnectionConfiguration]

    static func create() async throws -> ScratchDatabase {
        try await TestEnvironment.migration.value
        let name = "h_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        let workers =
            ProcessInfo.processInfo.environment["TEST_CITUS_WORKER_URLS"].map {
                $0.split(separator: " ").map { PGConnectionConfiguration(url: String($0)).with("user", "postgres") }
            } ?? []
        let nodes = [TestServer.admin] + workers
        for node in nodes {
            let connection = try await PGConnection.connect(node)
            try await connection.execute(script: "CREATE DATABASE \(name) OWNER contacts_owner")
            await connection.close()
            if !workers.isEmpty {
                let inside = try await PGConnection.connect(node.with("dbname", String(name)))
                try await inside.execute(script: "SET client_min_messages = warning; CREATE EXTENSION citus")
                await inside.close()
            }
        }
        if !workers.isEmpty {
            let coordinator = try await PGConnection.connect(nodes[0].with("dbname", String(name)))
            let socket = TestServer.socketDirectory
            try await coordinator.query(unprepared: "SELECT citus_set_coordinator_host($1, 5432)", [socket])
            for worker in workers {
                let port = try await PGConnection.connect(worker).query(unprepared: "SELECT current_setting('port')::int")[0].decode(
                    Int.self, at: 0)
                try await coordinator.query(unprepared: "SELECT citus_add_node($1, $2)", [socket, port])
            }
            await coordinator.close()
        }
        return ScratchDatabase(name: String(name), nodes: nodes)
    }

    /// Runs `body` as the schema owner, on the coordinator.
    func asOwner<T>(_ body: (PGConnection) async throws -> T) async throws -> T {
        let connection = try await PGConnection.connect(TestServer.owner.with("dbname", name))
        do {
            let result = try await body(connection)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }

    /// What the schema is on one node: every table's columns and row-level security, index,
    /// constraint (validated or not), policy, grant, function (its whole definition, grants and
    /// settings), the database's settings, and on a Citus coordinator where each table and
    /// function is placed. Shards (names ending in their shard id) are left out.
    func fingerprint(node: Int) async throws -> Set<String> {
        let connection = try await PGConnection.connect(nodes[node].with("dbname", name))
        defer { Task { await connection.close() } }
        var lines = try await connection.query(unprepared: Self.catalog).map { try $0.decode(String.self, at: 0) }
        if node == 0, nodes.count > 1 {
            lines += try await connection.query(unprepared: Self.placement).map { try $0.decode(String.self, at: 0) }
        }
        return Set(lines.filter { $0.firstMatch(of: /_1\d{5}\b/) == nil })
    }

    func drop() async throws {
        for node in nodes.reversed() {
            let connection = try await PGConnection.connect(node)
            try await connection.execute(script: "DROP DATABASE \(name) WITH (FORCE)")
            await connection.close()
        }
    }

    static let catalog = """
        SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
               || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
               || ' ' || a.attidentity::text || ' #' || a.attnum || coalesce(' acl ' || a.attacl::text, '')
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
        UNION ALL
        SELECT 'table ' || relname || ' ' || relpersistence::text || ' rls ' || relrowsecurity || ' forced ' || relforcerowsecurity
               || ' acl ' || coalesce(relacl::text, '')
        FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p')
        UNION ALL
        SELECT 'index ' || indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
        UNION ALL
        SELECT 'constraint ' || conrelid::regclass || '.' || conname || ' ' || replace(pg_get_constraintdef(oid), ' NOT VALID', '')
        FROM pg_constraint WHERE connamespace = 'public'::regnamespace
        UNION ALL
        SELECT 'policy ' || tablename || '.' || policyname || ' ' || cmd || ' ' || coalesce(qual, '') || ' / ' || coalesce(with_check, '')
        FROM pg_policies WHERE schemaname = 'public'
        UNION ALL
        SELECT 'function ' || p.oid::regprocedure || ' ' || pg_get_functiondef(p.oid) || ' acl ' || coalesce(proacl::text, '')
        FROM pg_proc p WHERE pronamespace = 'public'::regnamespace
        UNION ALL
        SELECT 'setting ' || array_to_string(setconfig, ',') FROM pg_db_role_setting
        WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
        """

    static let placement = """
        SELECT 'placed ' || logicalrelid::text || ' ' || partmethod::text || ' ' || repmodel::text || ' with contacts '
               || (colocationid = (SELECT colocationid FROM pg_dist_partition WHERE logicalrelid = 'contacts'::regclass))::text
        FROM pg_dist_partition
        UNION ALL
        SELECT 'delegated ' || objid::regprocedure::text || ' by ' || coalesce(distribution_argument_index::text, '-') || ' with contacts '
               || (colocationid IS NOT DISTINCT FROM (SELECT colocationid FROM pg_dist_partition WHERE logicalrelid = 'contacts'::regclass))::text
        FROM pg_dist_object WHERE classid = 'pg_proc'::regclass
        """
}
