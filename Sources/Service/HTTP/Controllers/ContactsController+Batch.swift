import Hummingbird

extension ContactsController {
    public static let maximumBatch = 1000

    /// `POST /api/v1/actions/create-contacts`: 1–1,000 create-contact bodies; per-item results,
    /// the valid ones written set-wise in one round trip and answered as if they ran in order.
    @Sendable func createContacts(_ request: Request, context: TenantRequestContext) async throws -> Response {
        try await withTaskExecutorPreference(BulkExecutor.shared) { try await createContactsAtLowPriority(request, context: context) }
    }

    private func createContactsAtLowPriority(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let tenant = context.tenant
        let (body, text) = try await RequestReading.jsonObject(of: request, context: context)
        guard case .array(let items)? = body["contacts"]?.value, (1...Self.maximumBatch).contains(items.count) else {
            var errors = FieldErrors()
            errors.add("contacts", "contacts must be an array of 1 to \(Self.maximumBatch) contacts")
            throw APIError.validation(errors)
        }
        // Half the items on another core: a thousand phone numbers cost about 17 ms of
        // libphonenumber on one. Both halves yield between chunks, so a batch never holds a
        // thread that other requests are waiting for.
        let firstHalf = items[..<(items.count / 2)]
        let secondHalf = items[(items.count / 2)...]
        async let first = Self.validate(firstHalf, text: text)
        let outcomes = await first + Self.validate(secondHalf, text: text)
        let valid = outcomes.compactMap { try? $0.get() }
        let written = try await store.upsert(many: valid, tenant: tenant)
        var writer = JSONWriter(capacity: 300 * items.count)
        writer.beginObject()
        writer.key("results")
        writer.beginArray()
        // One contact per valid item, in the items' order.
        var nextWritten = written.makeIterator()
        for (index, outcome) in outcomes.enumerated() {
            writer.beginObject()
            writer.key("index")
            writer.int(index)
            switch outcome {
            case .success:
                writer.key("status")
                writer.int(201)
                writer.key("contact")
                nextWritten.next()?.write(to: &writer)
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

    /// Each item validated as a create-contact body. Raw ranges are offsets in the whole body, so
    /// each item validates against the whole text.
    static func validate(_ items: ArraySlice<JSONValue>, text: String) async -> [Result<ContactInput, FieldErrors>] {
        var outcomes: [Result<ContactInput, FieldErrors>] = []
        outcomes.reserveCapacity(items.count)
        for (offset, item) in items.enumerated() {
            if offset % 64 == 63 { await Task.yield() }
            guard case .object = item else {
                var errors = FieldErrors()
                errors.add("contact", "each contact must be a JSON object")
                outcomes.append(.failure(errors))
                continue
            }
            outcomes.append(ContactInput.validate(item, text: text))
        }
        return outcomes
    }
}
