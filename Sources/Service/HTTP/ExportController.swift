import FoundationEssentials
import HTTPTypes
public import Hummingbird
import Logging
import NIOCore

/// `GET /api/v1/contacts/export`: every contact of the workspace, streamed in id order as CSV (the
/// import's columns, then `id,created_at,updated_at`) or NDJSON (`Accept: application/x-ndjson`),
/// in constant memory whatever the workspace's size.
///
/// The body is chunked: an export that fails midway ends the connection without the final chunk,
/// so the client sees a truncated transfer, never a short file that looks complete.
public struct ExportController: Sendable {
    let store: ContactStore

    public init(store: ContactStore) { self.store = store }

    public func addRoutes(to routes: some RouterMethods<TenantRequestContext>) {
        routes.get("/api/v1/contacts/export", use: export)
    }

    enum Format { case csv, ndjson }

    /// The format `Accept` asks for: CSV by default and for `text/csv` or `*/*`; NDJSON for
    /// `application/x-ndjson`; anything else is a 406.
    static func format(accept: String?) throws -> Format {
        guard let accept, !accept.isEmpty else { return .csv }
        let types = accept.split(separator: ",").map { $0.split(separator: ";")[0].trimmingWhitespace().lowercased() }
        for type in types {
            switch type {
            case "text/csv", "text/*", "*/*": return .csv
            case "application/x-ndjson": return .ndjson
            default: continue
            }
        }
        throw APIError(.notAcceptable, code: "not_acceptable", message: "The export is text/csv or application/x-ndjson.")
    }

    @Sendable func export(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let format = try Self.format(accept: request.headers[.accept])
        let tenant = context.tenant
        let store = self.store
        let logger = context.logger
        let body = ResponseBody { writer in
            var buffer = ByteBuffer()
            if format == .csv { buffer.writeString(ExportCSV.header) }
            do {
                try await store.export(tenant: tenant) { contacts in
                    for contact in contacts {
                        switch format {
                        case .csv: ExportCSV.write(contact, to: &buffer)
                        case .ndjson:
                            var json = JSONWriter(capacity: 256)
                            contact.write(to: &json, includeCreated: false)
                            buffer.writeBytes(json.bytes)
                            buffer.writeInteger(UInt8(ascii: "\n"))
                        }
                    }
                    try await writer.write(buffer)
                    buffer.clear()
                }
                if buffer.readableBytes > 0 { try await writer.write(buffer) }
            } catch {
                logger.error("export failed", metadata: ["error": .string(String(describing: error))])
                throw error
            }
            try await writer.finish(nil)
        }
        let contentType = format == .csv ? "text/csv; charset=utf-8" : "application/x-ndjson"
        return Response(status: .ok, headers: [.contentType: contentType], body: body)
    }
}

/// The export's CSV: RFC 4180, `\r\n` line ends, a cell quoted when it holds a comma, a quote or a
/// line break. Cells are written as stored (no spreadsheet-formula escaping), so the file imports
/// back unchanged; `tags` comma-joined, `metadata` its JSON text, a null an empty cell.
enum ExportCSV {
    static let header = "phone,name,email,tags,metadata,id,created_at,updated_at\r\n"

    static func write(_ contact: Contact, to buffer: inout ByteBuffer) {
        cell(contact.phone, &buffer, first: true)
        cell(contact.name ?? "", &buffer)
        cell(contact.email ?? "", &buffer)
        cell(contact.tags.joined(separator: ","), &buffer)
        cell(contact.metadataJSON, &buffer)
        cell(contact.id.description, &buffer)
        cell(Contact.timestamp(contact.createdAt), &buffer)
        cell(Contact.timestamp(contact.updatedAt), &buffer)
        buffer.writeStaticString("\r\n")
    }

    static func cell(_ text: String, _ buffer: inout ByteBuffer, first: Bool = false) {
        if !first { buffer.writeInteger(UInt8(ascii: ",")) }
        let needsQuotes = text.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }
        guard needsQuotes else {
            buffer.writeString(text)
            return
        }
        buffer.writeInteger(UInt8(ascii: "\""))
        for byte in text.utf8 {
            if byte == UInt8(ascii: "\"") { buffer.writeInteger(byte) }
            buffer.writeInteger(byte)
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }
}
