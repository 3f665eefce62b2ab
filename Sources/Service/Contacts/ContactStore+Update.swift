public import FoundationEssentials
import PGStore

extension ContactStore {
    /// The whole update, one call of `update_contact` (`sql/functions/update_contact.sql`): the row lock, the merge
    /// patch, the tag edits and the links; nothing written when the patch changes nothing.
    static let updateContact = PGStatement(
        """
        SELECT id, phone, name, email, metadata, created_at, updated_at, tags
        FROM update_contact($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10::text[], $11::text[], $12::text[])
        """)

    /// Applies `patch` in one round trip, one statement; `nil` when the tenant has no contact with
    /// that phone.
    public func update(_ patch: ContactPatch, tenant: UUID) async throws -> Contact? {
        let rows = try await single(Self.updateQuery(patch, tenant: tenant), tenant: tenant)
        signals.changed(tenant)
        guard let row = rows.first else { return nil }
        return try ContactQueries.contact(row)
    }

    static func updateQuery(_ patch: ContactPatch, tenant: UUID) -> PGQuery {
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
        return PGQuery(
            Self.updateContact,
            encoded: [
                tenant.uuidString, patch.phone, setName ? "t" : "f", name, setEmail ? "t" : "f", email, metadataMode, metadataPatch,
                patch.tags != nil ? "t" : "f", (patch.tags ?? []).pgEncoded(), patch.addTags.pgEncoded(), patch.removeTags.pgEncoded(),
            ])
    }
}
