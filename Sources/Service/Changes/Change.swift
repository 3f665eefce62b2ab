public import FoundationEssentials

/// One entry of the change feed (API.md "Sync"): what happened to one contact, and the contact
/// as `GET /api/v1/contacts/{id}` returned it right after, or its tombstone.
public struct Change: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case created = "contact.created"
        case updated = "contact.updated"
        case deleted = "contact.deleted"
    }

    /// Its place in the workspace's feed.
    public var position: Int64
    /// The same for every reader and every webhook retry (`webhook-id`).
    public var id: ULID
    public var kind: Kind
    /// The contact after the change; for a deletion only `id` and `phone` mean anything.
    public var contact: Contact
    /// When it happened: the contact's new `updated_at`, or the deletion's instant (after the
    /// contact's last `updated_at`).
    public var occurredAt: Date { contact.updatedAt }

    /// The contract's JSON shape, with the cursor that points just after it.
    public func write(to writer: inout JSONWriter, cursor: String) {
        writer.beginObject()
        writer.field("id", id.description)
        writer.field("cursor", cursor)
        writer.field("type", kind.rawValue)
        writer.field("occurred_at", Contact.timestamp(occurredAt))
        writer.key("contact")
        if kind == .deleted {
            writer.beginObject()
            writer.field("id", contact.id.description)
            writer.field("phone", contact.phone)
            writer.field("deleted_at", Contact.timestamp(occurredAt))
            writer.field("updated_at", Contact.timestamp(occurredAt))
            writer.endObject()
        } else {
            contact.write(to: &writer, includeCreated: false)
        }
        writer.endObject()
    }
}
