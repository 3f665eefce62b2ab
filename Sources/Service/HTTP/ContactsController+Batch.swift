import Hummingbird

extension ContactsController {
    static let maximumBatch = 1000

    /// `POST /api/v1/actions/create-contacts`: 1–1,000 create-contact bodies; per-item results,
    /// the valid ones written set-wise in one round trip.
    @Sendable func createContacts(_ request: Request, context: AppRequestContext) async throws -> Response {
        let tenant = try await batchReading.tenant(of: request)
        let (body, text) = try await batchReading.jsonObject(of: request)
        guard case .array(let items)? = body["contacts"]?.value, (1...Self.maximumBatch).contains(items.count) else {
            var errors = FieldErrors()
            errors.add("contacts", "contacts must be an array of 1 to \(Self.maximumBatch) contacts")
            throw APIError.validation(errors)
        }
        // Raw ranges are offsets in the whole body, so each item validates against its text.
        var outcomes: [Result<ContactInput, FieldErrors>] = []
        outcomes.reserveCapacity(items.count)
        for item in items {
            guard case .object = item else {
                var errors = FieldErrors()
                errors.add("contact", "each contact must be a JSON object")
                outcomes.append(.failure(errors))
                continue
            }
            outcomes.append(ContactInput.validate(item, text: text))
        }
        let valid = outcomes.compactMap { try? $0.get() }
        let written = try await Self.refusedValuesAs422(context.logger) { try await store.upsert(many: valid, tenant: tenant) }
        var writer = JSONWriter(capacity: 300 * items.count)
        writer.beginObject()
        writer.key("results")
        writer.beginArray()
        for (index, outcome) in outcomes.enumerated() {
            writer.beginObject()
            writer.key("index")
            writer.int(index)
            switch outcome {
            case .success(let input):
                writer.key("status")
                writer.int(201)
                writer.key("contact")
                written[input.phone]?.write(to: &writer)
            case .failure(let errors):
                writer.key("status")
                writer.int(422)
                writer.key("errors")
                APIError.write(errors, to: &writer)
            }
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return JSONResponse.make(status: .ok, bytes: writer.bytes)
    }
}
