import PGStore

/// The columns every contact read returns, tags in the order they were given.
enum ContactQueries {
    /// `$1` is the tenant in every statement that uses these columns. The tag subquery names it
    /// itself rather than following `c.tenant_id`: Citus sends a statement to one node only when
    /// each of its tables is filtered on the tenant by value.
    static let columns = """
        c.id, c.phone, c.name, c.email, c.metadata::text AS metadata, c.created_at, c.updated_at,
        coalesce((SELECT array_agg(t.name ORDER BY ct.position)
                  FROM contact_tags ct JOIN tags t ON t.tenant_id = $1 AND t.id = ct.tag_id
                  WHERE ct.tenant_id = $1 AND ct.contact_id = c.id), '{}') AS tags
        """

    static let byID = PGStatement("SELECT \(columns) FROM contacts c WHERE c.tenant_id = $1 AND c.id = $2")

    /// A contact from a row of ``columns``.
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
