public import Hummingbird

/// A workspace's tags (API.md "Tags, paginated and managed"): `GET /api/v1/tags` by name a page at
/// a time, `rename-tag` (merging into a tag that exists) and `delete-tag`. Both changes answer
/// when done: steps of at most 10,000 contacts in one transaction (``ContactStore/changeTag``).
public struct TagsController: Sendable {
    let store: ContactStore
    let cursors: PageCursors

    public init(store: ContactStore, cursors: PageCursors) {
        self.store = store
        self.cursors = cursors
    }

    static let maximumLimit = 1000

    public func addRoutes(to routes: some RouterMethods<TenantRequestContext>) {
        routes.get("/api/v1/tags", use: listTags)
        routes.post("/api/v1/actions/rename-tag", use: renameTag)
        routes.post("/api/v1/actions/delete-tag", use: deleteTag)
    }

    /// `GET /api/v1/tags?prefix=&limit=&cursor=`: tags by name (bytewise), with their contact counts.
    @Sendable func listTags(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let tenant = context.tenant
        var values: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { values[String(key)] = String(value) }
        var errors = FieldErrors()
        var prefix: String?
        if let text = values["prefix"] {
            let trimmed = text.trimmingWhitespace().nfc
            if trimmed.isEmpty || trimmed.unicodeScalars.count > TagList.maximumTagLength
                || trimmed.unicodeScalars.contains(where: \.isControl)
            {
                errors.add("prefix", "prefix must be the start of a tag name (1 to \(TagList.maximumTagLength) characters)")
            } else {
                prefix = trimmed
            }
        }
        let limit = ListQuery.limit(values["limit"], maximum: Self.maximumLimit, errors: &errors) ?? Self.maximumLimit
        guard errors.isEmpty else { throw APIError.validation(errors) }
        let scope = PageCursors.Scope(tenant: tenant, filters: [prefix])
        var after: String?
        if let cursor = values["cursor"] {
            guard let name = cursors.readName(cursor, scope: scope) else {
                throw APIError(
                    .badRequest, code: "invalid_cursor",
                    message: "The cursor was not issued by this server for this workspace and these filters.")
            }
            after = name
        }
        let tags = try await store.tags(tenant: tenant, prefix: prefix, after: after, limit: limit + 1)
        let page = tags.prefix(limit)
        var writer = JSONWriter(capacity: 48 * max(1, page.count))
        writer.beginObject()
        writer.key("data")
        writer.beginArray()
        for tag in page {
            writer.beginObject()
            writer.field("name", tag.name)
            writer.key("contacts")
            writer.int(tag.contacts)
            writer.endObject()
        }
        writer.endArray()
        writer.key("next_cursor")
        writer.optionalString(tags.count > limit ? page.last.map { cursors.issue(afterName: $0.name, scope: scope) } : nil)
        writer.endObject()
        return JSONResponse.make(status: .ok, bytes: writer.bytes)
    }

    /// `POST /api/v1/actions/rename-tag` `{"from", "to"}`: 200 `{"name", "contacts"}`, or 404.
    @Sendable func renameTag(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let (body, _) = try await RequestReading.jsonObject(of: request, context: context)
        var errors = FieldErrors()
        let from = TagList.name(body["from"]?.value, field: "from", errors: &errors)
        let to = TagList.name(body["to"]?.value, field: "to", errors: &errors)
        guard errors.isEmpty, let from, let to else { throw APIError.validation(errors) }
        guard let contacts = try await store.renameTag(from: from, to: to, tenant: context.tenant) else { throw APIError.notFound }
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("name", to)
        writer.key("contacts")
        writer.int(contacts)
        writer.endObject()
        return JSONResponse.make(status: .ok, bytes: writer.bytes)
    }

    /// `POST /api/v1/actions/delete-tag` `{"name"}`: 200 `{"deleted": true, "contacts": N}`, or 404.
    @Sendable func deleteTag(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let (body, _) = try await RequestReading.jsonObject(of: request, context: context)
        var errors = FieldErrors()
        let name = TagList.name(body["name"]?.value, field: "name", errors: &errors)
        guard errors.isEmpty, let name else { throw APIError.validation(errors) }
        guard let contacts = try await store.deleteTag(name, tenant: context.tenant) else { throw APIError.notFound }
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("deleted")
        writer.bool(true)
        writer.key("contacts")
        writer.int(contacts)
        writer.endObject()
        return JSONResponse.make(status: .ok, bytes: writer.bytes)
    }
}
