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
    let cursors: PageCursors
    /// How long the database side waits for the client to take a page (``ExportSession``).
    let stallTimeout: Duration

    public init(store: ContactStore, cursors: PageCursors, stallTimeout: Duration = .seconds(30)) {
        self.store = store
        self.cursors = cursors
        self.stallTimeout = stallTimeout
    }

    public func addRoutes(to routes: some RouterMethods<TenantRequestContext>) {
        routes.get("/api/v1/contacts/export", use: export)
    }

    enum Format { case csv, ndjson }

    /// The change feed's cursor at the export's snapshot (API.md "Resync from a snapshot").
    static let changesCursor = HTTPField.Name("X-Changes-Cursor")!

    /// What the body is written in at most (a page of large contacts weighs megabytes).
    static let writeBytes = 256 * 1024

    /// The format `Accept` asks for, per RFC 9110 §12.5.1: each of ours gets the quality of the
    /// most specific range that matches it (`text/csv` over `text/*` over `*/*`), `q=0` refuses
    /// it, the higher quality wins and CSV wins a tie. No `Accept` is CSV; nothing acceptable, 406.
    static func format(accept: String?) throws -> Format {
        guard let accept, !accept.trimmingWhitespace().isEmpty else { return .csv }
        let ranges = MediaRange.parseList(accept)
        let csv = MediaRange.quality(of: "text", "csv", in: ranges)
        let ndjson = MediaRange.quality(of: "application", "x-ndjson", in: ranges)
        if csv > 0, csv >= ndjson { return .csv }
        if ndjson > 0 { return .ndjson }
        throw APIError(.notAcceptable, code: "not_acceptable", message: "The export is text/csv or application/x-ndjson.")
    }

    /// 406 and 503 (no bulk connection free) come before any byte: the snapshot is taken here,
    /// and only then does the response start.
    @Sendable func export(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let format = try Self.format(accept: request.headers[.accept])
        let session = try await store.beginExport(tenant: context.tenant)
        let logger = context.logger
        let (stallTimeout, channel) = (stallTimeout, context.channel)
        let body = ResponseBody { writer in
            var buffer = ByteBuffer()
            if format == .csv { buffer.writeString(ExportCSV.header) }
            let progress = ExportProgress()
            do {
                // On Swift's pool, not the connection's event loop (``EventLoopTaskExecutor``):
                // streaming megabytes to a fast reader kept that loop busy, and the export's own
                // watch for a lost database session waited its turn for seconds (ExportTests).
                try await withTaskExecutorPreference(globalConcurrentExecutor) {
                    try await session.run(
                        stallTimeout: stallTimeout, progress: progress,
                        whenAbandoned: { reason in
                            // The database side gave up: end the client's side too (a write stuck on a
                            // stalled client fails at once); a stall is said here, since that write then
                            // fails as a closed channel.
                            if case ExportError.clientStalled(let bound) = reason {
                                logger.notice(
                                    "export ended: the client took no data", metadata: ["contacts.stall_seconds": "\(bound.inSeconds)"])
                            }
                            channel?.close(promise: nil)
                        }
                    ) { contacts in
                        for contact in contacts {
                            // Written in pieces, so the stall bound sees a slow reader's progress.
                            if buffer.readableBytes >= Self.writeBytes {
                                try await writer.write(buffer)
                                buffer.clear()
                                progress.touch()
                            }
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
                        progress.touch()
                    }
                }
                if buffer.readableBytes > 0 { try await writer.write(buffer) }
            } catch let error as ChannelError {
                // The client left, or a stall closed its side (said above).
                logger.debug("export response ended", metadata: ["error": .string(String(describing: error))])
                throw error
            } catch ExportError.clientStalled(let bound) {
                throw ExportError.clientStalled(bound)  // said above
            } catch {
                logger.error("export failed", metadata: ["error": .string(String(describing: error))])
                throw error
            }
            try await writer.finish(nil)
        }
        let contentType = format == .csv ? "text/csv; charset=utf-8" : "application/x-ndjson"
        return Response(
            status: .ok, headers: [.contentType: contentType, Self.changesCursor: cursors.issue(session.changes, tenant: context.tenant)],
            body: body)
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
