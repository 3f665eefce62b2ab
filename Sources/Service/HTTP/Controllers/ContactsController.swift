public import Hummingbird
import Logging
import PGStore

/// `POST /api/v1/actions/create-contact` (and `/v1/…`): upsert by phone in the caller's workspace.
public struct ContactsController: Sendable {
    let store: ContactStore
    let cursors: PageCursors

    public init(store: ContactStore, cursors: PageCursors) {
        self.store = store
        self.cursors = cursors
    }

    /// The routes, on the tenant group (`routes`) and its batch subgroup (`batchRoutes`), whose
    /// bodies may be larger (1,000 contacts).
    public func addRoutes(
        to routes: some RouterMethods<TenantRequestContext>, batchRoutes: some RouterMethods<TenantRequestContext>
    ) {
        for prefix in ["/api/v1", "/v1"] {
            routes.post(RouterPath("\(prefix)/actions/create-contact"), use: createContact)
        }
        routes.post("/api/v1/actions/update-contact", use: updateContact)
        routes.post("/api/v1/actions/delete-contact", use: deleteContact)
        batchRoutes.post("/api/v1/actions/create-contacts", use: createContacts)
        routes.get("/api/v1/contacts/{id}", use: getContact)
        routes.get("/api/v1/contacts", use: listContacts)
    }

    @Sendable func createContact(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let tenant = context.tenant
        let (body, text) = try await RequestReading.jsonObject(of: request, context: context)
        let input: ContactInput
        switch ContactInput.validate(body, text: text) {
        case .success(let valid): input = valid
        case .failure(let errors): throw APIError.validation(errors)
        }
        let contact = try await store.upsert(input, tenant: tenant)
        var response = Self.contactResponse(contact, status: .created)
        // 201 names what it created (RFC 9110 §15.3.2), also when the upsert updated it.
        response.headers[.location] = "/api/v1/contacts/\(contact.id)"
        return response
    }

    static func contactResponse(_ contact: Contact, status: HTTPResponse.Status, includeCreated: Bool = true) -> Response {
        var writer = JSONWriter()
        contact.write(to: &writer, includeCreated: includeCreated)
        return JSONResponse.make(status: status, bytes: writer.bytes)
    }
}
