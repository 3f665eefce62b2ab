public import FoundationEssentials
public import PGStore

/// The contacts SQL. Every write is one transaction in one round trip (a pipeline), with the
/// tenant set transaction-locally so row-level security scopes every statement.
public struct ContactStore: Sendable {
    let pool: ConnectionPool

    public init(pool: ConnectionPool) {
        self.pool = pool
    }

    static let setTenant = PGStatement("SELECT set_config('app.tenant_id', $1, true)")

    /// Upsert by (tenant, phone). `xmax = 0` tells an insert from an update. A second write moves
    /// `updated_at` strictly forward even within the same microsecond.
    static let upsertContact = PGStatement(
        """
        INSERT INTO contacts AS c (tenant_id, id, phone, name, email, metadata)
        VALUES ($1, $2, $3, $4, $5, $6::jsonb)
        ON CONFLICT (tenant_id, phone) DO UPDATE
        SET name = EXCLUDED.name, email = EXCLUDED.email, metadata = EXCLUDED.metadata,
            updated_at = greatest(now(), c.updated_at + interval '1 microsecond')
        RETURNING id, metadata::text AS metadata, created_at, updated_at, (xmax = 0) AS inserted
        """)

    /// Creates missing tags. The names arrive sorted, so concurrent writers lock tag rows in the
    /// same order and cannot deadlock; existing tags are left alone (no read-modify-write).
    static let insertTags = PGStatement(
        """
        INSERT INTO tags (tenant_id, name)
        SELECT $1, name FROM unnest($2::text[]) AS given(name)
        ON CONFLICT (tenant_id, name) DO NOTHING
        """)

    /// Replaces the contact's links set-wise: removes those not wanted, adds or re-orders the rest.
    /// The contact is found by phone: in a pipeline the upsert's id cannot be fed forward.
    static let replaceLinks = PGStatement(
        """
        WITH contact AS (
            SELECT id FROM contacts WHERE tenant_id = $1 AND phone = $2
        ), wanted AS (
            SELECT contact.id AS contact_id, t.id AS tag_id, given.position::smallint AS position
            FROM contact, unnest($3::text[]) WITH ORDINALITY AS given(name, position)
            JOIN tags t ON t.tenant_id = $1 AND t.name = given.name
        )
        \(linkWanted)
        """)

    /// The end of every link statement (create, update, create-contacts): given CTEs `contact`
    /// (the ids of the contacts written) and `wanted` (`contact_id`, `tag_id`, `position`), removes
    /// the links not wanted and adds or re-orders the rest. Driven by those contacts (an index scan
    /// by id, a hashed `NOT IN`), never by a scan of the tenant's links.
    static let linkWanted = """
        , removed AS (
            DELETE FROM contact_tags ct
            WHERE ct.tenant_id = $1 AND ct.contact_id = ANY (ARRAY(SELECT id FROM contact))
              AND (ct.contact_id, ct.tag_id) NOT IN (SELECT contact_id, tag_id FROM wanted)
        )
        INSERT INTO contact_tags (tenant_id, contact_id, tag_id, position)
        SELECT $1, contact_id, tag_id, position FROM wanted
        ON CONFLICT (tenant_id, contact_id, tag_id) DO UPDATE SET position = EXCLUDED.position
        WHERE contact_tags.position <> EXCLUDED.position
        """

    /// The statements of one create-contact, in order: what the service sends, and what the
    /// benchmark replays through pgbench.
    public static func upsertQueries(_ input: ContactInput, tenant: UUID, newID: ULID) -> [PGQuery] {
        var queries = [
            PGQuery(setTenant, [tenant.uuidString]),
            PGQuery(upsertContact, [tenant, newID.uuid, input.phone, input.name, input.email, PGJSON(input.metadataJSON)]),
        ]
        if !input.tags.isEmpty {
            queries.append(PGQuery(insertTags, [tenant, input.tags.sorted()]))
        }
        queries.append(PGQuery(replaceLinks, [tenant, input.phone, input.tags]))
        return queries
    }

    /// Runs a pipeline, again (up to 3 times in all) when it failed on a deadlock or a
    /// serialization failure: the whole transaction was rolled back, so running it again is safe.
    /// `tenant` and `bulk` say whose work it is, for the pool's fair shares.
    func pipeline(_ queries: [PGQuery], tenant: UUID, bulk: Bool = false) async throws -> [PGRows] {
        let lease = PoolLease(owner: tenant, isBulk: bulk)
        var attempt = 1
        while true {
            do {
                return try await pool.withConnection(lease: lease) { try await $0.pipeline(queries) }
            } catch let error as PGError where error.sqlState?.isTransient == true && attempt < 3 {
                attempt += 1
                try await Task.sleep(for: .milliseconds(5 * attempt))
            }
        }
    }

    /// Creates or replaces the contact with `input.phone` in `tenant`.
    public func upsert(_ input: ContactInput, tenant: UUID) async throws -> Contact {
        let results = try await pipeline(Self.upsertQueries(input, tenant: tenant, newID: ULID()), tenant: tenant)
        guard let row = results[1].first else {
            throw PGError(kind: .unexpectedResponse, message: "the upsert returned no row")
        }
        return Contact(
            id: ULID(uuid: try row.decode(UUID.self, column: "id")),
            phone: input.phone,
            name: input.name,
            email: input.email,
            tags: input.tags,
            metadataJSON: try row.decode(String.self, column: "metadata"),
            created: try row.decode(Bool.self, column: "inserted"),
            createdAt: try row.decode(Date.self, column: "created_at"),
            updatedAt: try row.decode(Date.self, column: "updated_at")
        )
    }
}
