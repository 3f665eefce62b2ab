import FoundationEssentials
import HTTPTypes
public import Hummingbird
import Logging
import NIOCore

/// The import jobs (API.md, "Bulk over HTTP"): `POST /api/v1/imports` takes the CSV itself as the
/// body, stored while it arrives; `GET` the jobs, one job, and its error report.
public struct ImportsController: Sendable {
    let store: ImportJobStore
    /// An upload's `Idempotency-Key` (API.md "Retrying safely"): its digest is taken while the
    /// body is received, not by ``IdempotencyMiddleware``, which would hold the body in memory.
    let idempotency: IdempotencyStore
    let cursors: PageCursors
    let bodyLimit: Int
    /// Where an upload is received before it is stored, and how many at once.
    let scratchDirectory: String
    let uploads: UploadSlots
    /// Wakes this instance's runner once a job is queued.
    let jobQueued: @Sendable () -> Void

    public init(
        store: ImportJobStore, idempotency: IdempotencyStore, cursors: PageCursors, bodyLimit: Int, scratchDirectory: String,
        uploads: UploadSlots, jobQueued: @escaping @Sendable () -> Void
    ) {
        self.store = store
        self.idempotency = idempotency
        self.cursors = cursors
        self.bodyLimit = bodyLimit
        self.scratchDirectory = scratchDirectory
        self.uploads = uploads
        self.jobQueued = jobQueued
    }

    public func addRoutes(to routes: some RouterMethods<TenantRequestContext>) {
        routes.post("/api/v1/imports", use: create)
        routes.get("/api/v1/imports", use: list)
        routes.get("/api/v1/imports/{id}", use: job)
        routes.get("/api/v1/imports/{id}/errors", use: errors)
    }

    static let unsupportedMediaType = APIError(
        .unsupportedMediaType, code: "unsupported_media_type", message: "The body must be CSV (Content-Type: text/csv).")

    /// 415 unless `text/csv` (and not encoded); 400 for a malformed `Idempotency-Key`; 413 from
    /// `Content-Length` before anything is stored, or as soon as the body passes the limit; 503 when
    /// this instance receives as many uploads as it takes (or the workspace half of them), or its
    /// scratch space fails; `100 Continue` only then; 202 once the upload is committed. With an
    /// `Idempotency-Key`, the whole body is received (and digested) first, then the key decides:
    /// the recorded answer for the same body, 422 for another, 409 while the first still runs, or
    /// the upload stored in one transaction with its answer.
    @Sendable func create(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let mediaType = request.headers[.contentType]?.split(separator: ";", maxSplits: 1).first.map {
            $0.trimmingWhitespace().lowercased()
        }
        guard mediaType == "text/csv" else { throw Self.unsupportedMediaType }
        try RequestReading.refuseContentCoding(request)
        let key = try request.headers[IdempotencyMiddleware.header].map {
            guard let key = IdempotencyKey.parse($0) else { throw APIError.invalidIdempotencyKey }
            return key
        }
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > bodyLimit {
            throw APIError.bodyTooLarge(limit: bodyLimit)
        }
        let tenant = context.tenant
        guard uploads.take(tenant) else { throw Self.uploadsBusy }
        defer { uploads.give(tenant) }
        context.continueGate.open(for: request)
        let response: Response
        do {
            response = try await store.receive(request.body, limit: bodyLimit, scratchDirectory: scratchDirectory) { upload in
                guard let key else { return Self.accepted(try await store.store(upload, tenant: tenant)) }
                let scope = IdempotencyStore.Scope(tenant: tenant, key: key, method: "POST", path: request.uri.path, digest: upload.digest)
                return try await idempotency.run(scope, lease: ImportJobStore.uploadLease(tenant)) {
                    Self.accepted(try await store.store(upload, tenant: tenant))
                }
            }
        } catch ImportJobError.scratch(let path, let errno) {
            context.logger.error("upload scratch file failed", metadata: ["contacts.path": "\(path)", "contacts.errno": "\(errno)"])
            throw APIError.unavailable("The upload cannot be received now; retry later.")
        }
        jobQueued()
        return response
    }

    /// 202 with the job.
    static func accepted(_ job: ImportJob) -> Response {
        var writer = JSONWriter()
        job.write(to: &writer)
        return JSONResponse.make(status: .accepted, bytes: writer.bytes, headers: [.location: "/api/v1/imports/\(job.id)"])
    }

    /// `GET /api/v1/imports?limit=&cursor=`: newest first.
    @Sendable func list(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let parameters = request.uri.queryParameters
        var errors = FieldErrors()
        let limit = ListQuery.limit(parameters["limit"], maximum: ContactFilter.maximumLimit, errors: &errors) ?? ContactFilter.defaultLimit
        guard errors.isEmpty else { throw APIError.validation(errors) }
        let scope = PageCursors.Scope(tenant: context.tenant, filters: ["imports"])
        var before: ULID?
        if let cursor = parameters["cursor"] {
            guard let id = cursors.read(String(cursor), scope: scope) else {
                throw APIError(
                    .badRequest, code: "invalid_cursor", message: "The cursor was not issued by this server for this workspace and listing."
                )
            }
            before = id
        }
        let (jobs, hasMore) = try await store.jobs(before: before, limit: limit, tenant: context.tenant)
        var writer = JSONWriter(capacity: 256 * max(1, jobs.count))
        writer.beginObject()
        writer.key("data")
        writer.beginArray()
        for job in jobs { job.write(to: &writer) }
        writer.endArray()
        writer.key("next_cursor")
        writer.optionalString(hasMore ? jobs.last.map { cursors.issue(after: $0.id, scope: scope) } : nil)
        writer.endObject()
        return JSONResponse.make(status: .ok, bytes: writer.bytes)
    }

    @Sendable func job(_ request: Request, context: TenantRequestContext) async throws -> Response {
        guard let text = context.parameters.get("id"), let id = ULID(string: text),
            let job = try await store.job(id: id, tenant: context.tenant)
        else { throw APIError.notFound }
        var writer = JSONWriter()
        job.write(to: &writer)
        return JSONResponse.make(status: .ok, bytes: writer.bytes)
    }

    static let uploadsBusy = APIError.unavailable("This server receives as many uploads as it takes; retry shortly.")

    static func omittedLine(_ omitted: Int) -> String {
        "\(omitted) more errors are not listed: a report keeps the first \(ImportJobRunner.reportedErrors)"
    }

    static let reportExpired = APIError(
        .gone, code: "report_expired", message: "The error report was deleted with the upload, after the retention period.")

    /// `text/csv`: `row,field,reason` (the upload's header is row 1), streamed in row order.
    @Sendable func errors(_ request: Request, context: TenantRequestContext) async throws -> Response {
        guard let text = context.parameters.get("id"), let id = ULID(string: text) else { throw APIError.notFound }
        let tenant = context.tenant
        let state = try await store.reportState(id: id, tenant: tenant)
        guard state.exists else { throw APIError.notFound }
        guard !state.purged else { throw Self.reportExpired }
        let store = self.store
        let body = ResponseBody { writer in
            var buffer = ByteBuffer(string: "row,field,reason\r\n")
            try await store.errors(job: id, tenant: tenant) { errors in
                for error in errors {
                    ExportCSV.cell(String(error.row), &buffer, first: true)
                    ExportCSV.cell(error.field, &buffer)
                    ExportCSV.cell(error.reason, &buffer)
                    buffer.writeStaticString("\r\n")
                }
                try await writer.write(buffer)
                buffer.clear()
            }
            // Past its cap the report says so in a last line, rather than ending as if complete.
            if state.omitted > 0 {
                ExportCSV.cell("", &buffer, first: true)
                ExportCSV.cell("report", &buffer)
                ExportCSV.cell(Self.omittedLine(state.omitted), &buffer)
                buffer.writeStaticString("\r\n")
            }
            if buffer.readableBytes > 0 { try await writer.write(buffer) }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8"], body: body)
    }
}
