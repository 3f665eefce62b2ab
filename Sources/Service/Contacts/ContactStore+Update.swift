public import FoundationEssentials
import PGStore

extension ContactStore {
    /// The whole update, one call of `update_contact` (`sql/functions/update_contact.sql`): the row lock, the merge
    /// patch, the tag edits and the links; nothing written when the patch changes nothing.
    static let updateContact = PGStatement(
        """
        SELECT id, phone, name, email, metadata, created_at, updated_at, tags, outcome, other_id
        FROM update_contact($1, $2, $3::uuid, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12::text[], $13::text[], $14::text[])
        """)

    /// What an update did.
    public enum UpdateOutcome: Sendable, Equatable {
        /// The contact as it is after the call (unchanged when the patch changed nothing).
        case updated(Contact)
        /// No contact of the workspace has that phone or id.
        case notFound
        /// The phone and the id name two different contacts.
        case mismatch
        /// Another contact of the workspace has the new phone: nothing changed.
        case phoneTaken(by: ULID)
    }

    /// Applies `patch` in one round trip, one statement.
    public func update(_ patch: ContactPatch, tenant: UUID) async throws -> UpdateOutcome {
        let rows = try await single(Self.updateQuery(patch, tenant: tenant), tenant: tenant)
        guard let row = rows.first else { return .notFound }
        switch try row.decode(String.self, column: "outcome") {
        case "updated":
            signals.changed(tenant)
            return .updated(try ContactQueries.contact(row))
        case "mismatch": return .mismatch
        case "phone_taken": return .phoneTaken(by: ULID(uuid: try row.decode(UUID.self, column: "other_id")))
        default: return .notFound
        }
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
                tenant.uuidString, patch.phone, patch.id?.uuid.uuidString, patch.newPhone, setName ? "t" : "f", name, setEmail ? "t" : "f",
                email, metadataMode, metadataPatch,
                patch.tags != nil ? "t" : "f", (patch.tags ?? []).pgEncoded(), patch.addTags.pgEncoded(), patch.removeTags.pgEncoded(),
            ])
    }
}
