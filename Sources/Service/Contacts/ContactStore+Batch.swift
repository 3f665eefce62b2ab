public import FoundationEssentials
import PGStore

extension ContactStore {
    static let upsertMany = PGStatement(
        """
        INSERT INTO contacts AS c (tenant_id, id, phone, name, email, metadata)
        SELECT $1, given.id, given.phone, given.name, given.email, given.metadata
        FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::jsonb[]) AS given(id, phone, name, email, metadata)
        ON CONFLICT (tenant_id, phone) DO UPDATE
        SET name = EXCLUDED.name, email = EXCLUDED.email, metadata = EXCLUDED.metadata,
            updated_at = greatest(now(), c.updated_at + interval '1 microsecond')
        RETURNING id, phone, metadata::text AS metadata, created_at, updated_at, (xmax = 0) AS inserted
        """)

    /// Every contact's links replaced set-wise in one statement; `$2…$4` are (phone, tag,
    /// position) triples, `$5` the phones written. `wanted` looks each given row's contact up by
    /// index rather than joining the `contact` CTE: the planner guesses 10 rows for an `unnest`,
    /// and a join between two computed row sets became a nested loop over 1,000 × 2,000 rows.
    static let replaceManyLinks = PGStatement(
        """
        WITH contact AS (
            SELECT id FROM contacts WHERE tenant_id = $1 AND phone = ANY($5::text[])
        ), wanted AS MATERIALIZED (
            SELECT c.id AS contact_id, t.id AS tag_id, g.position::smallint AS position
            FROM unnest($2::text[], $3::text[], $4::int[]) AS g(phone, name, position)
            JOIN contacts c ON c.tenant_id = $1 AND c.phone = g.phone
            JOIN tags t ON t.tenant_id = $1 AND t.name = g.name
        )
        \(linkWanted)
        """)

    /// Upserts many contacts set-wise: four statements, one round trip, one transaction, whatever
    /// the count. The same phone twice: the last one wins, and every input gets the result.
    /// Rows are written in phone order, so concurrent batches lock in the same order.
    public func upsert(many inputs: [ContactInput], tenant: UUID) async throws -> [String: Contact] {
        var last: [String: ContactInput] = [:]
        for input in inputs { last[input.phone] = input }
        let unique = last.values.sorted { $0.phone < $1.phone }
        guard !unique.isEmpty else { return [:] }
        var linkPhones: [String] = []
        var linkTags: [String] = []
        var linkPositions: [Int] = []
        for input in unique {
            for (offset, tag) in input.tags.enumerated() {
                linkPhones.append(input.phone)
                linkTags.append(tag)
                linkPositions.append(offset + 1)
            }
        }
        let allTags = Array(Set(linkTags)).sorted()
        var queries = [
            PGQuery(Self.setTenant, [tenant.uuidString]),
            PGQuery(
                Self.upsertMany,
                [
                    tenant, PGArray(unique.map { _ in ULID().uuid }), PGArray(unique.map(\.phone)),
                    PGArray(unique.map(\.name)), PGArray(unique.map(\.email)), PGArray(unique.map(\.metadataJSON)),
                ]),
        ]
        if !allTags.isEmpty { queries.append(PGQuery(Self.insertTags, [tenant, allTags])) }
        queries.append(
            PGQuery(Self.replaceManyLinks, [tenant, PGArray(linkPhones), PGArray(linkTags), PGArray(linkPositions), PGArray(unique.map(\.phone))]))
        let results = try await pipeline(queries, tenant: tenant, bulk: true)
        var contacts: [String: Contact] = [:]
        for row in results[1] {
            let phone = try row.decode(String.self, column: "phone")
            guard let input = last[phone] else { continue }
            contacts[phone] = Contact(
                id: ULID(uuid: try row.decode(UUID.self, column: "id")), phone: phone, name: input.name, email: input.email,
                tags: input.tags, metadataJSON: try row.decode(String.self, column: "metadata"),
                created: try row.decode(Bool.self, column: "inserted"),
                createdAt: try row.decode(Date.self, column: "created_at"), updatedAt: try row.decode(Date.self, column: "updated_at"))
        }
        return contacts
    }
}
