import FoundationEssentials
import Hummingbird

extension ContactsController {
    /// `GET /api/v1/contacts/{id}`: 404 when it is not in the caller's workspace or not a ULID.
    @Sendable func getContact(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let tenant = context.tenant
        guard let text = context.parameters.get("id"), let id = ULID(string: text),
            let contact = try await store.contact(id: id, tenant: tenant)
        else { throw APIError.notFound }
        return Self.contactResponse(contact, status: .ok, includeCreated: false)
    }

    /// `GET /api/v1/contacts?phone=&email=&tag=&updated_since=&limit=&cursor=`.
    @Sendable func listContacts(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let tenant = context.tenant
        let filter = try ListQuery.filter(from: request.uri.queryParameters, cursors: cursors, tenant: tenant)
        let (contacts, hasMore) = try await store.list(filter, tenant: tenant)
        var writer = JSONWriter(capacity: 256 * max(1, contacts.count))
        writer.beginObject()
        writer.key("data")
        writer.beginArray()
        for contact in contacts { contact.write(to: &writer, includeCreated: false) }
        writer.endArray()
        writer.key("next_cursor")
        writer.optionalString(hasMore ? contacts.last.map { cursors.issue(after: $0.id, scope: filter.cursorScope(tenant: tenant)) } : nil)
        writer.endObject()
        return JSONResponse.make(status: .ok, bytes: writer.bytes)
    }
}
