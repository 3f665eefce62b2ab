import FoundationEssentials
public import Hummingbird

/// `/api/v1/webhooks…`: a workspace's webhook endpoints (API.md "Webhooks"). A URL is checked
/// when registered (``WebhookURLPolicy``: syntax, and every address its host resolves to) and
/// again at every delivery; the secret is shown when created and when rotated, never after.
public struct WebhooksController: Sendable {
    let store: WebhookStore
    let feed: ChangeFeedStore
    let cursors: PageCursors
    let policy: WebhookURLPolicy
    /// Endpoints a workspace may have.
    let limit: Int

    public init(store: WebhookStore, feed: ChangeFeedStore, cursors: PageCursors, configuration: WebhookConfiguration) {
        self.store = store
        self.feed = feed
        self.cursors = cursors
        self.policy = configuration.policy
        self.limit = configuration.maximumPerWorkspace
    }

    public func addRoutes(to routes: some RouterMethods<TenantRequestContext>) {
        routes.post("/api/v1/webhooks", use: create)
        routes.get("/api/v1/webhooks", use: list)
        routes.get("/api/v1/webhooks/{id}", use: get)
        routes.delete("/api/v1/webhooks/{id}", use: delete)
        routes.post("/api/v1/webhooks/{id}/rotate-secret", use: rotate)
        routes.post("/api/v1/webhooks/{id}/enable", use: enable)
        routes.get("/api/v1/webhooks/{id}/deliveries", use: deliveries)
    }

    @Sendable func create(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let tenant = context.tenant
        let (body, _) = try await RequestReading.jsonObject(of: request, context: context)
        var errors = FieldErrors()
        var url: WebhookURLPolicy.Checked?
        switch body["url"]?.value {
        case .string(let text):
            do { url = try policy.parse(text) } catch { errors.add("url", error.description) }
        case nil: errors.add("url", "url is required")
        default: errors.add("url", "url must be a string")
        }
        var events = WebhookEndpoint.eventTypes
        switch body["events"]?.value {
        case nil: break
        case .array(let items):
            let names = items.compactMap { item -> String? in if case .string(let name) = item { return name } else { return nil } }
            if names.count != items.count || names.isEmpty || !names.allSatisfy(WebhookEndpoint.eventTypes.contains)
                || Set(names).count != names.count
            {
                errors.add(
                    "events",
                    "events must be a non-empty list of distinct types among \(WebhookEndpoint.eventTypes.joined(separator: ", "))")
            } else {
                events = WebhookEndpoint.eventTypes.filter(names.contains)
            }
        default: errors.add("events", "events must be a list")
        }
        var description: String?
        switch body["description"]?.value {
        case nil, .null?: break
        case .string(let text):
            if text.unicodeScalars.count > WebhookEndpoint.maximumDescriptionLength {
                errors.add("description", "description must be at most \(WebhookEndpoint.maximumDescriptionLength) characters")
            } else if text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && !["\t", "\n", "\r"].contains($0) })
            {
                errors.add("description", "description must not hold control characters")
            } else {
                description = text
            }
        default: errors.add("description", "description must be a string")
        }
        guard errors.isEmpty, let url else { throw APIError.validation(errors) }
        // Where the URL leads, once its syntax holds: every address the host resolves to.
        do { _ = try await policy.allowedAddresses(of: url.host) } catch {
            errors.add("url", error.description)
            throw APIError.validation(errors)
        }
        let secret = WebhookSignature.newSecret()
        let head = try await feed.head(tenant: tenant)
        guard
            let endpoint = try await store.create(
                tenant: tenant, url: url.url, events: events, description: description, secret: secret, fedThrough: head, limit: limit)
        else {
            throw APIError(
                .unprocessableContent, code: "webhook_limit_reached",
                message: "A workspace has at most \(limit) webhook endpoints; delete one first.")
        }
        var response = Self.response(endpoint, status: .created, secret: WebhookSignature.text(of: secret))
        response.headers[.location] = "/api/v1/webhooks/\(endpoint.id)"
        return response
    }

    @Sendable func list(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let endpoints = try await store.list(tenant: context.tenant)
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("data")
        writer.beginArray()
        for endpoint in endpoints { endpoint.write(to: &writer) }
        writer.endArray()
        writer.endObject()
        return JSONResponse.make(status: .ok, bytes: writer.bytes)
    }

    @Sendable func get(_ request: Request, context: TenantRequestContext) async throws -> Response {
        guard let endpoint = try await store.endpoint(tenant: context.tenant, id: try Self.id(context)) else { throw APIError.notFound }
        return Self.response(endpoint, status: .ok)
    }

    @Sendable func delete(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let id = try Self.id(context)
        guard try await store.delete(tenant: context.tenant, id: id) else { throw APIError.notFound }
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("deleted")
        writer.bool(true)
        writer.field("id", id.description)
        writer.endObject()
        return JSONResponse.make(status: .ok, bytes: writer.bytes)
    }

    @Sendable func rotate(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let secret = WebhookSignature.newSecret()
        guard let endpoint = try await store.rotate(tenant: context.tenant, id: try Self.id(context), secret: secret) else {
            throw APIError.notFound
        }
        return Self.response(endpoint, status: .ok, secret: WebhookSignature.text(of: secret))
    }

    @Sendable func enable(_ request: Request, context: TenantRequestContext) async throws -> Response {
        guard let endpoint = try await store.enable(tenant: context.tenant, id: try Self.id(context)) else { throw APIError.notFound }
        return Self.response(endpoint, status: .ok)
    }

    static let defaultLimit = 50
    static let maximumLimit = 200

    /// `GET /api/v1/webhooks/{id}/deliveries?limit=&cursor=`: the latest attempts, newest first.
    @Sendable func deliveries(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let tenant = context.tenant
        let id = try Self.id(context)
        var limit = Self.defaultLimit
        var after: ULID?
        let scope = PageCursors.Scope(tenant: tenant, filters: ["webhook-deliveries", id.description])
        for (key, value) in request.uri.queryParameters {
            switch key {
            case "limit":
                var errors = FieldErrors()
                guard let value = ListQuery.limit(value, maximum: Self.maximumLimit, errors: &errors) else {
                    throw APIError.validation(errors)
                }
                limit = value
            case "cursor":
                guard let position = cursors.read(String(value), scope: scope) else {
                    throw APIError(.badRequest, code: "invalid_cursor", message: "The cursor was not issued by this server for this list.")
                }
                after = position
            default: break
            }
        }
        guard try await store.endpoint(tenant: tenant, id: id) != nil else { throw APIError.notFound }
        let attempts = try await store.attempts(tenant: tenant, endpoint: id, after: after, limit: limit + 1)
        var writer = JSONWriter(capacity: 256 * max(1, attempts.count))
        writer.beginObject()
        writer.key("data")
        writer.beginArray()
        for attempt in attempts.prefix(limit) { attempt.write(to: &writer) }
        writer.endArray()
        writer.key("next_cursor")
        writer.optionalString(attempts.count > limit ? attempts.prefix(limit).last.map { cursors.issue(after: $0.id, scope: scope) } : nil)
        writer.endObject()
        return JSONResponse.make(status: .ok, bytes: writer.bytes)
    }

    /// The `{id}` of the path: 404 for what is not a ULID, as for contacts.
    static func id(_ context: TenantRequestContext) throws -> ULID {
        guard let text = context.parameters.get("id"), let id = ULID(string: text) else { throw APIError.notFound }
        return id
    }

    static func response(_ endpoint: WebhookEndpoint, status: HTTPResponse.Status, secret: String? = nil) -> Response {
        var writer = JSONWriter()
        endpoint.write(to: &writer, secret: secret)
        return JSONResponse.make(status: status, bytes: writer.bytes)
    }
}
