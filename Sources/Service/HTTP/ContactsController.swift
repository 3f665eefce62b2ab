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
        let contact = try await Self.refusedValuesAs422(context.logger) {
            try await store.upsert(input, tenant: tenant)
        }
        return Self.contactResponse(contact, status: .created)
    }

    static func contactResponse(_ contact: Contact, status: HTTPResponse.Status, includeCreated: Bool = true) -> Response {
        var writer = JSONWriter()
        contact.write(to: &writer, includeCreated: includeCreated)
        return JSONResponse.make(status: status, bytes: writer.bytes)
    }

    /// A value the validation let through but the database refused (data exception or integrity
    /// class) is the client's input, not a server fault: 422, logged for us to tighten validation.
    static func refusedValuesAs422<T>(_ logger: Logger, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PGError where error.kind == .statementFailed
            && (error.sqlState?.errorClass == SQLState("22000") || error.sqlState?.errorClass == .integrityConstraintViolation)
        {
            if let errors = storedLimitErrors(error) { throw APIError.validation(errors) }
            logger.warning("the database refused a validated value", metadata: ["pg.error": "\(error)"])
            throw APIError(.unprocessableContent, code: "invalid_value", message: "A value was refused by the database.")
        }
    }

    /// The limits only the database can check, on what a write computes there (migration 003):
    /// an update-contact merge patch's result, and the tag list after `add_tags`.
    static func storedLimitErrors(_ error: PGError) -> FieldErrors? {
        guard error.sqlState == .checkViolation else { return nil }
        var errors = FieldErrors()
        switch error.violatedConstraint {
        case "contacts_metadata_size":
            errors.add("metadata", Metadata.tooLongAsStored)
        case "contact_tags_at_most_100":
            errors.add("add_tags", "too many tags (at most \(TagList.maximumCount) after add_tags)")
        default:
            return nil
        }
        return errors
    }
}
