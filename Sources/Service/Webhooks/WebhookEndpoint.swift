public import FoundationEssentials

/// A workspace's webhook endpoint as the API shows it (never its secret, but once).
public struct WebhookEndpoint: Sendable, Equatable {
    public var id: ULID
    public var url: String
    public var events: [String]
    public var description: String?
    public var enabled: Bool
    public var disabledReason: String?
    public var createdAt: Date

    /// The event types an endpoint may ask for; all of them unless it names some.
    public static let eventTypes = ["contact.created", "contact.updated", "contact.deleted"]
    public static let maximumDescriptionLength = 1000

    /// The contract's JSON; `secret` only in the answers that create or rotate it.
    func write(to writer: inout JSONWriter, secret: String? = nil) {
        writer.beginObject()
        writer.field("id", id.description)
        writer.field("url", url)
        writer.key("events")
        writer.beginArray()
        for event in events { writer.string(event) }
        writer.endArray()
        writer.key("description")
        writer.optionalString(description)
        writer.field("status", enabled ? "enabled" : "disabled")
        writer.key("disabled_reason")
        writer.optionalString(disabledReason)
        if let secret { writer.field("secret", secret) }
        writer.field("created_at", Contact.timestamp(createdAt))
        writer.endObject()
    }
}

/// One attempt to deliver a change to an endpoint, for the deliveries list.
public struct WebhookAttempt: Sendable, Equatable {
    public var id: ULID
    public var changeID: ULID
    public var attempt: Int
    public var statusCode: Int?
    public var error: String?
    public var durationMilliseconds: Int
    public var nextAttemptAt: Date?
    public var attemptedAt: Date

    func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("change_id", changeID.description)
        writer.key("attempt")
        writer.int(attempt)
        writer.key("status_code")
        if let statusCode { writer.int(statusCode) } else { writer.raw("null") }
        writer.key("error")
        writer.optionalString(error)
        writer.key("duration_ms")
        writer.int(durationMilliseconds)
        writer.key("next_attempt_at")
        writer.optionalString(nextAttemptAt.map(Contact.timestamp))
        writer.field("attempted_at", Contact.timestamp(attemptedAt))
        writer.endObject()
    }
}
