public import Hummingbird
import Logging
import PGStore

/// `POST /api/v1/actions/create-contact` (and `/v1/…`): upsert by phone in the caller's workspace.
public struct ContactsController: Sendable {
    let reading: RequestReading
    let store: ContactStore
    let cursors: PageCursors
    /// Bodies of `create-contacts` may be larger than single requests' (1,000 contacts).
    let batchReading: RequestReading

    public init(reading: RequestReading, batchReading: RequestReading, store: ContactStore, cursors: PageCursors) {
        self.reading = reading
        self.batchReading = batchReading
        self.store = store
        self.cursors = cursors
    }

    public func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        for prefix in ["/api/v1", "/v1"] {
            router.post(RouterPath("\(prefix)/actions/create-contact"), use: createContact)
        }
        router.post("/api/v1/actions/update-contact", use: updateContact)
        router.post("/api/v1/actions/delete-contact", use: deleteContact)
        router.post("/api/v1/actions/create-contacts", use: createContacts)
        router.get("/api/v1/contacts/{id}", use: getContact)
        router.get("/api/v1/contacts", use: listContacts)
        router.get("/api/v1/tags", use: listTags)
    }

    @Sendable func createContact(_ request: Request, context: AppRequestContext) async throws -> Response {
        let tenant = try await reading.tenant(of: request)
        let (body, text) = try await reading.jsonObject(of: request)
        let input: ContactInput
        switch ContactInput.validate(body, text: text) {
        case .success(let valid): input = valid
        case .failure(let errors): throw APIError.validation(errors)
        }
        let contact = try await store.upsert(input, tenant: tenant)
        return Self.contactResponse(contact, status: .created)
    }

    static func contactResponse(_ contact: Contact, status: HTTPResponse.Status, includeCreated: Bool = true) -> Response {
        var writer = JSONWriter()
        contact.write(to: &writer, includeCreated: includeCreated)
        return JSONResponse.make(status: status, bytes: writer.bytes)
    }
}
