public import FoundationEssentials
import PGStore

/// An import job as the API returns it (API.md, "Bulk over HTTP").
public struct ImportJob: Sendable, Equatable {
    public enum Status: String, Sendable { case queued, running, succeeded, failed }

    public var id: ULID
    public var status: Status
    /// The row counts (API.md's `read` is `rows.rows`). `read` moves while the job runs; the
    /// others are set when it ends, and then `read` is their sum.
    public var rows: CSVImporter.Summary
    public var createdAt: Date
    public var finishedAt: Date?
    public var error: String?

    /// The contract's JSON shape.
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("id", id.description)
        writer.field("status", status.rawValue)
        writer.key("rows")
        writer.beginObject()
        for (name, value) in [
            ("read", rows.rows), ("created", rows.created), ("updated", rows.updated), ("unchanged", rows.unchanged),
            ("superseded", rows.superseded), ("invalid", rows.invalid),
        ] {
            writer.key(name)
            writer.int(value)
        }
        writer.endObject()
        writer.field("created_at", Contact.timestamp(createdAt))
        writer.key("finished_at")
        writer.optionalString(finishedAt.map(Contact.timestamp))
        writer.key("error")
        writer.optionalString(error)
        writer.endObject()
    }

    static let columns = """
        id, status, rows_read, rows_created, rows_updated, rows_unchanged, rows_superseded, rows_invalid, created_at, finished_at, error
        """

    init(row: PGRow) throws {
        id = ULID(uuid: try row.decode(UUID.self, column: "id"))
        let status = try row.decode(String.self, column: "status")
        guard let known = Status(rawValue: status) else {
            throw PGError(kind: .unexpectedResponse, message: "an import job's status is not one of the API's")
        }
        self.status = known
        rows = CSVImporter.Summary()
        rows.rows = try row.decode(Int.self, column: "rows_read")
        rows.created = try row.decode(Int.self, column: "rows_created")
        rows.updated = try row.decode(Int.self, column: "rows_updated")
        rows.unchanged = try row.decode(Int.self, column: "rows_unchanged")
        rows.superseded = try row.decode(Int.self, column: "rows_superseded")
        rows.invalid = try row.decode(Int.self, column: "rows_invalid")
        createdAt = try row.decode(Date.self, column: "created_at")
        finishedAt = try row.decode(Date?.self, column: "finished_at")
        error = try row.decode(String?.self, column: "error")
    }
}
