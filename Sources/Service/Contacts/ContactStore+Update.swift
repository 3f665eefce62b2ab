public import FoundationEssentials
import PGStore

extension ContactStore {
    /// Changes only what the patch names. The UPDATE takes the contact's row lock first, so
    /// concurrent updates of one contact run one after the other, each on the latest row: a merge
    /// patch or an `add_tags` never loses another's change.
    static let updateContact = PGStatement(
        """
        UPDATE contacts SET
            name = CASE WHEN $3::boolean THEN $4::text ELSE name END,
            email = CASE WHEN $5::boolean THEN $6::text ELSE email END,
            metadata = CASE $7::text WHEN 'clear' THEN '{}'::jsonb
                                     WHEN 'patch' THEN jsonb_merge_patch(metadata, $8::jsonb)
                                     ELSE metadata END,
            updated_at = greatest(now(), updated_at + interval '1 microsecond')
        WHERE tenant_id = $1 AND phone = $2
        RETURNING id
        """)

    /// Tags to create, only if the contact exists (a 404 must create nothing).
    static let insertTagsForExisting = PGStatement(
        """
        INSERT INTO tags (tenant_id, name)
        SELECT $1, name FROM unnest($3::text[]) AS given(name)
        WHERE EXISTS (SELECT 1 FROM contacts WHERE tenant_id = $1 AND phone = $2)
        ON CONFLICT (tenant_id, name) DO NOTHING
        """)

    /// The new tag list, computed in SQL from the current one: replaced (`$3`, `$4`), then
    /// `add_tags` appended after the kept ones in the order given, then `remove_tags` removed.
    static let editLinks = PGStatement(
        """
        WITH contact AS (
            SELECT id FROM contacts WHERE tenant_id = $1 AND phone = $2
        ), current_tags AS (
            SELECT t.name, ct.position::bigint AS position
            FROM contact_tags ct JOIN tags t ON t.tenant_id = ct.tenant_id AND t.id = ct.tag_id
            WHERE ct.tenant_id = $1 AND ct.contact_id = (SELECT id FROM contact)
        ), base AS (
            SELECT name, position FROM current_tags WHERE NOT $3::boolean
            UNION ALL
            SELECT name, position FROM unnest($4::text[]) WITH ORDINALITY AS given(name, position) WHERE $3::boolean
        ), added AS (
            SELECT given.name, (SELECT coalesce(max(position), 0) FROM base) + given.position AS position
            FROM unnest($5::text[]) WITH ORDINALITY AS given(name, position)
            WHERE given.name NOT IN (SELECT name FROM base)
        ), final AS (
            SELECT name, row_number() OVER (ORDER BY position) AS position
            FROM (SELECT name, position FROM base UNION ALL SELECT name, position FROM added) AS all_tags
            WHERE NOT (name = ANY($6::text[]))
        ), wanted AS (
            SELECT contact.id AS contact_id, t.id AS tag_id, final.position::smallint AS position
            FROM contact, final JOIN tags t ON t.tenant_id = $1 AND t.name = final.name
        )
        \(linkWanted)
        """)

    /// Applies `patch` in one round trip; `nil` when the tenant has no contact with that phone.
    public func update(_ patch: ContactPatch, tenant: UUID) async throws -> Contact? {
        func change(_ change: ContactPatch.Change<String>) -> (Bool, String?) {
            switch change {
            case .unchanged: (false, nil)
            case .clear: (true, nil)
            case .set(let value): (true, value)
            }
        }
        let (setName, name) = change(patch.name)
        let (setEmail, email) = change(patch.email)
        let metadataMode: String
        var metadataPatch: String?
        switch patch.metadata {
        case .unchanged: metadataMode = "keep"
        case .clear: metadataMode = "clear"
        case .set(let json):
            metadataMode = "patch"
            metadataPatch = json
        }
        var queries = [
            PGQuery(Self.setTenant, [tenant.uuidString]),
            PGQuery(
                Self.updateContact,
                encoded: [tenant.uuidString, patch.phone, setName ? "t" : "f", name, setEmail ? "t" : "f", email, metadataMode, metadataPatch]),
        ]
        if patch.changesTags {
            let created = Array(Set((patch.tags ?? []) + patch.addTags)).sorted()
            if !created.isEmpty {
                queries.append(PGQuery(Self.insertTagsForExisting, [tenant, patch.phone, created]))
            }
            queries.append(
                PGQuery(Self.editLinks, [tenant, patch.phone, patch.tags != nil, patch.tags ?? [], patch.addTags, patch.removeTags]))
        }
        queries.append(PGQuery(ContactQueries.byPhone, [tenant, patch.phone]))
        let results = try await pipeline(queries, tenant: tenant)
        guard results[1].affectedRowCount == 1, let row = results.last?.first else { return nil }
        return try ContactQueries.contact(row)
    }
}
