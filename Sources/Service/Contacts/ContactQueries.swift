import PGStore

/// The columns every contact read returns (`read_contact`, `list_contacts`, the writes' answers),
/// tags in the order they were given.
enum ContactQueries {
    /// A contact from a row of those columns.
    static func contact(_ row: PGRow, created: Bool = false) throws -> Contact {
        Contact(
            id: ULID(uuid: try row.decode(column: "id")),
            phone: try row.decode(column: "phone"),
            name: try row.decode(column: "name"),
            email: try row.decode(column: "email"),
            tags: try row.decode(column: "tags"),
            metadataJSON: try row.decode(column: "metadata"),
            created: created,
            createdAt: try row.decode(column: "created_at"),
            updatedAt: try row.decode(column: "updated_at")
        )
    }
}
