public import Hummingbird
import Logging
public import PGStore

/// `POST /api/v1/actions/create-contact` (and `/v1/…`): upsert by phone in the caller's workspace.
public struct ContactsController: Sendable {
    let reading: RequestReading
    let store: ContactStore

    public init(reading: RequestReading, store: ContactStore) {
        self.reading = reading
        self.store = store
    }

    public func addRoutes(to router: Router<AppRequestContext>) {
        for prefix in ["/api/v1", "/v1"] {
            router.post(RouterPath("\(prefix)/actions/create-contact"), use: createContact)
        }
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
        var writer = JSONWriter()
        contact.write(to: &writer)
        return JSONResponse.make(status: .created, bytes: writer.bytes)
    }

    /// A value the validation let through but the database refused (data exception or integrity
    /// class) is the client's input, not a server fault: 422, logged for us to tighten validation.
    static func refusedValuesAs422<T>(_ logger: Logger, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PGError where error.kind == .statementFailed
            && (error.sqlState?.errorClass == SQLState("22000") || error.sqlState?.errorClass == .integrityConstraintViolation)
        {
            logger.warning("the database refused a validated value", metadata: ["pg.error": "\(error)"])
            throw APIError(.unprocessableContent, code: "invalid_value", message: "A value was refused by the database.")
        }
    }
}
