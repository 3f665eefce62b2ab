import FoundationEssentials
public import Hummingbird

/// `GET /api/v1/changes?after=&limit=&wait=`: the workspace's change feed (API.md "Sync"),
/// oldest first, with long polling that holds no connection while it waits.
public struct ChangesController: Sendable {
    let store: ChangeFeedStore
    let cursors: PageCursors
    let signals: ChangeSignals
    /// The longest `wait` this instance serves, in seconds (at most 30).
    let maximumWait: Double

    public init(store: ChangeFeedStore, cursors: PageCursors, signals: ChangeSignals, maximumWait: Duration = .seconds(30)) {
        self.store = store
        self.cursors = cursors
        self.signals = signals
        self.maximumWait = min(maximumWait.inSeconds, 30)
    }

    public func addRoutes(to routes: some RouterMethods<TenantRequestContext>) {
        routes.get("/api/v1/changes", use: changes)
    }

    static let defaultLimit = 100
    static let maximumLimit = 1000

    @Sendable func changes(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let tenant = context.tenant
        var values: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { values[String(key)] = String(value) }
        var errors = FieldErrors()
        let limit = ListQuery.limit(values["limit"], maximum: Self.maximumLimit, errors: &errors) ?? Self.defaultLimit
        var wait = 0.0
        if let text = values["wait"] {
            if let value = Double(text), value.isFinite, (0...maximumWait).contains(value) {
                wait = value
            } else {
                errors.add("wait", "wait must be a number of seconds from 0 to \(ServiceSetting.figure(maximumWait))")
            }
        }
        guard errors.isEmpty else { throw APIError.validation(errors) }
        var after = ChangeFeedStore.Position(position: nil)
        if let text = values["after"] {
            guard let position = cursors.readChanges(text, tenant: tenant) else {
                throw APIError(.badRequest, code: "invalid_cursor", message: "The cursor was not issued by this server for this workspace.")
            }
            after = position
        }
        let start = after
        let read = { try await store.read(tenant: tenant, after: start, limit: limit) }
        let page: ChangeFeedStore.Page
        do {
            page = try await signals.read(
                tenant: tenant, seen: after.position ?? 0, until: .now + .milliseconds(Int64(wait * 1000)), read,
                hasNews: { $0.next != start || !$0.changes.isEmpty })
        } catch is ChangeFeedStore.CursorExpired {
            throw APIError(
                .gone, code: "cursor_expired",
                message: "Changes after this cursor are past retention and were deleted; export again to resync.")
        }
        var writer = JSONWriter(capacity: 512 * max(1, page.changes.count))
        writer.beginObject()
        writer.key("data")
        writer.beginArray()
        for change in page.changes {
            change.write(to: &writer, cursor: cursors.issue(page.position(after: change), tenant: tenant))
        }
        writer.endArray()
        writer.field("next_cursor", cursors.issue(page.next, tenant: tenant))
        writer.endObject()
        return JSONResponse.make(status: .ok, bytes: writer.bytes)
    }
}
