import DateTimes
public import FoundationEssentials
import PGStore

/// A contact as the API returns it.
public struct Contact: Sendable, Equatable {
    public var id: ULID
    public var phone: String
    public var name: String?
    public var email: String?
    public var tags: [String]
    /// `jsonb` text from PostgreSQL (exact numbers kept).
    public var metadataJSON: String
    /// True when the call that returned it inserted it.
    public var created: Bool
    public var createdAt: Date
    public var updatedAt: Date

    /// The contract's JSON shape.
    public func write(to writer: inout JSONWriter, includeCreated: Bool = true) {
        writer.beginObject()
        writer.field("id", id.description)
        writer.field("phone", phone)
        writer.key("name")
        writer.optionalString(name)
        writer.key("email")
        writer.optionalString(email)
        writer.key("tags")
        writer.beginArray()
        for tag in tags { writer.string(tag) }
        writer.endArray()
        writer.key("metadata")
        writer.raw(metadataJSON)
        if includeCreated {
            writer.key("created")
            writer.bool(created)
        }
        writer.field("created_at", Self.timestamp(createdAt))
        writer.field("updated_at", Self.timestamp(updatedAt))
        writer.endObject()
    }

    /// RFC 3339, UTC, whole seconds, `+00:00` as in the product page.
    public static func timestamp(_ date: Date) -> String {
        CivilTime(epochSeconds: Int64(date.timeIntervalSince1970.rounded(.down))).isoString + "+00:00"
    }
}
