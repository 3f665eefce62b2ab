import Foundation
import HTTPTypes
import PGStore
import TestSupport
import Testing

@testable import Service

/// What only a Citus cluster can show: the migrations distributed the schema, every statement of
/// the request routes goes to one node, and row-level security holds on the workers' shards.
///
/// Run by `make test` against a coordinator and two workers (`scripts/with-citus.sh`), with the
/// HTTP contract suites; the plain PostgreSQL run leaves this suite out (`--skip CitusTests`), as it
/// has no cluster to ask.
@Suite("Citus: distributed schema, single-node routing, RLS on the workers")
struct CitusTests {
    /// The workers' URLs (application role).
    static var workers: [String] {
        TestServer.value("TEST_CITUS_WORKER_URLS").split(separator: " ").map(String.init)
    }

    @Test func migrationsDistributeTheTenantTablesAndReplicateTheAccountTables() async throws {
        try await TestEnvironment.migration.value
        let admin = try await PGConnection.connect(TestServer.admin)
        defer { Task { await admin.close() } }
        let tables = try await admin.query(
            unprepared: """
                SELECT logicalrelid::text AS name, partmethod::text AS method, colocationid,
                       coalesce(column_to_column_name(logicalrelid, partkey), '') AS key
                FROM pg_dist_partition ORDER BY 1
                """)
        var byName: [String: (method: String, colocation: Int, key: String)] = [:]
        for row in tables {
            byName[try row.decode(String.self, column: "name")] = (
                try row.decode(column: "method"), try row.decode(column: "colocationid"), try row.decode(column: "key")
            )
        }
        let tenantTables = [
            "contacts", "tags", "contact_tags", "import_staging", "import_jobs", "import_uploads", "import_errors", "idempotency_keys",
        ]
        for name in tenantTables {
            #expect(byName[name]?.method == "h", "\(name) is hash-distributed")
            #expect(byName[name]?.key == "tenant_id")
        }
        #expect(Set(tenantTables.map { byName[$0]?.colocation }).count == 1, "co-located")
        for name in ["accounts", "workspaces", "api_tokens"] {
            #expect(byName[name]?.method == "n", "\(name) is a reference table")
        }
        let functions = try await admin.query(
            unprepared: """
                SELECT p.proname::text AS name, d.distribution_argument_index AS argument,
                       d.colocationid = (SELECT colocationid FROM pg_dist_partition WHERE logicalrelid = 'contacts'::regclass) AS colocated
                FROM pg_dist_object d JOIN pg_proc p ON p.oid = d.objid
                WHERE d.classid = 'pg_proc'::regclass AND d.distribution_argument_index IS NOT NULL
                ORDER BY 1
                """)
        #expect(
            try functions.map { try $0.decode(String.self, column: "name") } == [
                "begin_tag_change", "delete_contact", "discard_abandoned_staging", "discard_staged_batch", "end_tag_change",
                "import_staged_contacts", "list_contacts", "list_tags", "move_tag_links", "number_feed", "prune_changes",
                "prune_idempotency_keys", "read_changes", "read_contact", "update_contact", "upsert_contact", "upsert_contacts",
            ])
        // The queues are the coordinator's own tables, not distributed: the import jobs', and the
        // webhooks' (endpoints, deliveries due, attempts), claimed across workspaces.
        for name in ["import_queue", "webhook_endpoints", "webhook_deliveries", "webhook_attempts"] {
            #expect(byName[name] == nil, "\(name) stays on the coordinator")
        }
        for row in functions {
            #expect(try row.decode(Int.self, column: "argument") == 0, "delegated by p_tenant")
            #expect(try row.decode(Bool.self, column: "colocated"))
        }
    }

    /// What the rebalancer needs to move every shard group online (`sql/migrations/017_baseline.sql`): each
    /// distributed table has a primary key and is logged (PostgreSQL refuses unlogged tables in a
    /// publication), row-level security is not forced (Citus applies a moving shard's changes as a
    /// member of the owner), the policies see no row without a tenant instead of raising, and the
    /// write functions set their tenant in the way that reaches a shard's new node.
    @Test func everyDistributedTableCanMoveOnline() async throws {
        try await TestEnvironment.migration.value
        let admin = try await PGConnection.connect(TestServer.admin)
        defer { Task { await admin.close() } }
        let tables = try await admin.query(
            unprepared: """
                SELECT c.relname::text AS name, c.relpersistence::text AS persistence, c.relforcerowsecurity AS forced,
                       EXISTS (SELECT FROM pg_index i WHERE i.indrelid = c.oid AND (i.indisprimary OR i.indisreplident)) AS keyed,
                       coalesce((SELECT string_agg(pg_get_expr(p.polqual, p.polrelid), ' ') FROM pg_policy p WHERE p.polrelid = c.oid), '') AS policy,
                       c.relrowsecurity AS secured
                FROM pg_dist_partition d JOIN pg_class c ON c.oid = d.logicalrelid
                WHERE d.partmethod = 'h'
                """)
        #expect(tables.count == 10)
        for row in tables {
            let name = try row.decode(String.self, column: "name")
            #expect(try row.decode(String.self, column: "persistence") == "p", "\(name) is logged")
            #expect(try row.decode(Bool.self, column: "keyed"), "\(name) has a primary key")
            #expect(try row.decode(Bool.self, column: "forced") == false, "\(name): row-level security not forced")
            if try row.decode(Bool.self, column: "secured") {
                #expect(
                    try row.decode(String.self, column: "policy").contains("NULLIF(current_setting('app.tenant_id'::text, true)"), "\(name)"
                )
            }
        }
        let writers = try await admin.query(
            unprepared: "SELECT proname::text FROM pg_proc WHERE prosrc LIKE '%PERFORM set_tenant(p_tenant)%' ORDER BY 1")
        #expect(
            try writers.map { try $0.decode(String.self, at: 0) } == [
                "begin_tag_change", "delete_contact", "end_tag_change", "finish_webhook_attempt", "import_staged_contacts",
                "list_contacts", "list_tags", "move_tag_links", "number_feed", "prune_changes", "prune_idempotency_keys", "read_changes",
                "read_contact", "update_contact", "upsert_contact", "upsert_contacts",
            ])
    }

    /// Every per-tenant statement the request routes send, planned by the coordinator with its real
    /// parameters: each is one task on one node (a delegated call, or a router query).
    /// Reads are calls on the shared pipelined sessions (no BEGIN, no SET LOCAL): each function
    /// sets its tenant where it runs, so through the coordinator a workspace still reads its own
    /// rows and only them, on whichever worker holds them.
    @Test func readsOnSharedSessionsReturnTheTenantsRowsThroughTheCoordinator() async throws {
        let (tokenA, _, _) = try await TestEnvironment.tenant()
        let (tokenB, _, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let a =
                try JSONSerialization.jsonObject(
                    with: Data(
                        try await api.create(
                            #"{"phone": "+14155550101", "email": "a@example.com", "tags": "vip, a"}"#, token: tokenA
                        ).text.utf8)) as! [String: Any]
            _ = try await api.create(#"{"phone": "+14155550101", "email": "a@example.com", "tags": "vip, b"}"#, token: tokenB)
            _ = try await api.create(#"{"phone": "+14155550102", "tags": "vip"}"#, token: tokenB)
            let id = try #require(a["id"] as? String)
            let get = try await api.send(.get, "/api/v1/contacts/\(id)", token: tokenA)
            #expect(get.status == .ok)
            #expect(get.text.contains(#""tags":["vip","a"]"#))
            #expect(try await api.send(.get, "/api/v1/contacts/\(id)", token: tokenB).status == .notFound)
            for query in ["", "?tag=vip", "?phone=%2B14155550101", "?email=a%40example.com", "?updated_since=2000-01-01T00:00:00Z"] {
                let list = try await api.send(.get, "/api/v1/contacts\(query)", token: tokenA)
                #expect(list.status == .ok)
                #expect(list.text.components(separatedBy: #""phone":"#).count - 1 == 1, "\(query): \(list.text)")
                #expect(list.text.contains(id), "\(query)")
            }
            let tags = try await api.send(.get, "/api/v1/tags", token: tokenB)
            #expect(tags.text.contains(#""name":"b""#) && !tags.text.contains(#""name":"a""#), "\(tags.text)")
            // Every call went through the shared sessions: no connection of its own was leased.
            #expect(api.pool.statistics.open == 0)
            #expect(!api.pool.sharedInFlight.isEmpty)
        }
    }

    @Test func everyStatementOfTheRequestRoutesRunsOnOneNode() async throws {
        let (_, tenant, _) = try await TestEnvironment.tenant()
        var filtered = ContactFilter()
        filtered.phone = "+14155550123"
        filtered.email = "a@example.com"
        filtered.tag = "vip"
        filtered.updatedSince = Date(timeIntervalSince1970: 0)
        filtered.after = ULID()
        var patch = ContactPatch(phone: "+14155550123")
        patch.name = .set("A")
        patch.metadata = .set(#"{"a": 1}"#)
        patch.addTags = ["vip"]
        let job = ULID().uuid
        // Writes: one call each, on its own (as ContactStore.single sends it: Citus delegates a
        // call only outside an explicit transaction).
        let calls: [(String, PGQuery)] = [
            ("create-contact", ContactStore.upsertQuery(ContactInput(phone: "+14155550123", tags: ["vip"]), tenant: tenant, newID: ULID())),
            ("update-contact", ContactStore.updateQuery(patch, tenant: tenant)),
            (
                "create-contacts",
                ContactStore.upsertManyQuery(
                    [ContactInput(phone: "+14155550123"), ContactInput(phone: "+14155550124", tags: ["a"])], tenant: tenant)
            ),
            ("delete-contact", ContactStore.deleteQuery(phone: "+14155550123", id: ULID(), tenant: tenant)),
            ("changes", PGQuery(ChangeFeedStore.readStatement, [tenant, Int64(10), 100, [ULID().uuid.uuidString]])),
            ("changes, numbering", PGQuery(ContactStore.numberChanges, [tenant])),
            ("get-contact", ContactStore.readQuery(id: ULID(), tenant: tenant)),
            ("list-contacts", ContactStore.listQuery(ContactFilter(), tenant: tenant)),
            ("list-contacts, every filter", ContactStore.listQuery(filtered, tenant: tenant)),
            ("tags", PGQuery(ContactStore.listTags, [tenant, "v", String?.none, 1000])),
            // rename-tag's and delete-tag's steps: in the service they run in one transaction,
            // where Citus runs each call from the coordinator; alone, each is delegated whole.
            ("rename-tag and delete-tag: begin", PGQuery(ContactStore.beginTagChange, [tenant, "vip", "vip-2"])),
            ("rename-tag and delete-tag: a step", PGQuery(ContactStore.moveTagLinks, [tenant, Int64(1), Int64(2), ULID().uuid, 10_000])),
            ("rename-tag and delete-tag: end", PGQuery(ContactStore.endTagChange, [tenant, Int64(1), Int64?.none])),
        ]
        // Reads and deletes: after the tenant's SET LOCAL, in one transaction (ContactStore.inTenant).
        let scoped: [(String, PGQuery)] = [
            ("export, the feed's head", PGQuery(ContactStore.changesHead, [tenant])),
            ("import upload: the job", PGQuery(ImportJobSQL.insertJob, [tenant, job])),
            ("import upload: a chunk", PGQuery(ImportJobSQL.insertChunk, [tenant, job, 0, "\\x41"])),
            ("import upload: sealed", PGQuery(ImportJobSQL.sealUpload, [tenant, job, 1, 1])),
            ("get-import", PGQuery(ImportJobSQL.byID, [tenant, job])),
            ("list-imports", PGQuery(ImportJobSQL.firstPage, [tenant, 51])),
            ("list-imports, next page", PGQuery(ImportJobSQL.pageBefore, [tenant, job, 51])),
            ("import errors, a page", PGQuery(ImportJobSQL.errorsPage, [tenant, job, 0, -1, 5_000])),
            ("import run: start", PGQuery(ImportJobSQL.start, [tenant, job])),
            ("import run: a chunk", PGQuery(ImportJobSQL.chunk, [tenant, job, 0])),
            ("import run: progress", PGQuery(ImportJobSQL.progress, [tenant, job, 10])),
            ("import run: errors", PGQuery(ImportJobSQL.insertErrors, [tenant, job, ["2"], ["0"], ["phone"], ["bad"]])),
            ("export, a page", ContactStore.exportQuery(after: ULID(), tenant: tenant)),
        ]
        let connection = try await PGConnection.connect(TestServer.app)
        defer { Task { await connection.close() } }
        func expectOneTask(_ route: String, _ query: PGQuery, _ plan: [String]) {
            #expect(plan.first?.hasPrefix("Custom Scan (Citus") == true, "\(route): \(plan.first ?? "no plan")")
            #expect(
                plan.contains { $0.trimmingCharacters(in: .whitespaces) == "Task Count: 1" },
                "\(route): \(Self.withValuesWritten(query))\n\(plan.joined(separator: "\n"))")
        }
        for (route, query) in calls {
            let plan = try await connection.query(PGQuery(.unprepared("EXPLAIN " + Self.withValuesWritten(query))))
            expectOneTask(route, query, try plan.map { try $0.decode(String.self, at: 0) })
        }
        for (route, query) in scoped {
            let plan = try await connection.pipeline([
                ContactStore.tenantScope(tenant),
                PGQuery(.unprepared("EXPLAIN " + Self.withValuesWritten(query))),
            ])[1]
            expectOneTask(route, query, try plan.map { try $0.decode(String.self, at: 0) })
        }
    }

    /// The statement with its parameters written in as literals: what the coordinator plans when
    /// it runs the prepared statement with these values (a custom plan, parameters as constants).
    /// EXPLAIN of the statement with bound parameters would show Citus's generic plan instead.
    static func withValuesWritten(_ query: PGQuery) -> String {
        var sql = query.statement.sql
        for (index, value) in query.binds.enumerated().reversed() {
            let literal = value.map { "'" + $0.replacingOccurrences(of: "'", with: "''") + "'" } ?? "NULL"
            sql = sql.replacingOccurrences(of: "$\(index + 1)", with: literal)
        }
        return sql
    }

    /// A worker's shard, read and written directly as the application role: it sees only the
    /// tenant set, and refuses a row of another tenant.
    @Test func aWorkersShardRefusesAnotherTenantsRows() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        let (_, other, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let created = try await api.create(#"{"phone": "+14155550123", "name": "mine"}"#, token: token)
            #expect(created.status == .created)
        }
        let admin = try await PGConnection.connect(TestServer.admin)
        let placement = try await admin.query(
            unprepared: """
                SELECT s.shard_name::text AS shard, s.nodeport
                FROM citus_shards s
                WHERE s.table_name = 'contacts'::regclass
                  AND s.shardid = get_shard_id_for_distribution_column('contacts', '\(tenant.uuidString)'::uuid)
                """)
        await admin.close()
        let row = try #require(placement.first)
        let shard = try row.decode(String.self, column: "shard")
        let port = try row.decode(Int.self, column: "nodeport")
        let worker = try #require(Self.workers.first { $0.contains("port=\(port)") })
        let connection = try await PGConnection.connect(PGConnectionConfiguration(url: worker))
        defer { Task { await connection.close() } }

        // Citus hides shards from the catalog unless asked.
        // Enabled on the shard (not forced on the owner: `sql/migrations/017_baseline.sql`).
        let secured = try await connection.pipeline([
            PGQuery(.setLocal("citus.override_table_visibility", "off")),
            PGQuery(.unprepared("SELECT relrowsecurity FROM pg_class WHERE relname = $1"), [shard]),
        ])[1]
        #expect(try #require(secured.first).decode(Bool.self, at: 0))

        let asOwner = try await connection.pipeline([
            PGQuery(.setLocal("app.tenant_id", tenant.uuidString)),
            PGQuery(.unprepared("SELECT name FROM \(shard)")),
        ])[1]
        #expect(try asOwner.map { try $0.decode(String.self, at: 0) } == ["mine"])
        let asOther = try await connection.pipeline([
            PGQuery(.setLocal("app.tenant_id", other.uuidString)),
            PGQuery(.unprepared("SELECT count(*) FROM \(shard)")),
        ])[1]
        #expect(try #require(asOther.first).decode(Int.self, at: 0) == 0)

        let error = await #expect(throws: PGError.self) {
            try await connection.pipeline([
                PGQuery(.setLocal("app.tenant_id", other.uuidString)),
                PGQuery(
                    .unprepared("INSERT INTO \(shard) (tenant_id, id, phone) VALUES ($1, $2, '+14155550199')"),
                    [tenant, ULID().uuid]),
            ])
        }
        #expect(error?.sqlState == .insufficientPrivilege)
        // No tenant set (the session keeps an empty value after the transactions that did): the
        // shard shows nothing, and takes nothing.
        let noTenant = try await connection.query(unprepared: "SELECT count(*) FROM \(shard)")
        #expect(try #require(noTenant.first).decode(Int.self, at: 0) == 0)
        let fresh = try await PGConnection.connect(PGConnectionConfiguration(url: worker))
        defer { Task { await fresh.close() } }
        #expect(try #require(try await fresh.query(unprepared: "SELECT count(*) FROM \(shard)").first).decode(Int.self, at: 0) == 0)
        await #expect(throws: PGError.self) {
            try await fresh.query(
                unprepared: "INSERT INTO \(shard) (tenant_id, id, phone) VALUES ($1, $2, '+14155550198')", [tenant, ULID().uuid])
        }
    }
}
