import Hummingbird

extension ContactsController {
    /// `POST /api/v1/actions/update-contact`: partial update by phone or id, perhaps to a new
    /// phone; 200, 404, 409 `phone_taken` (naming the contact that has it), or 422.
    @Sendable func updateContact(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let tenant = context.tenant
        let (body, text) = try await RequestReading.jsonObject(of: request, context: context)
        let patch: ContactPatch
        switch ContactPatch.validate(body, text: text) {
        case .success(let valid): patch = valid
        case .failure(let errors): throw APIError.validation(errors)
        }
        switch try await store.update(patch, tenant: tenant) {
        case .updated(let contact): return Self.contactResponse(contact, status: .ok, includeCreated: false)
        case .notFound: throw APIError.notFound
        case .mismatch:
            var errors = FieldErrors()
            errors.add("id", "id and phone name two different contacts")
            throw APIError.validation(errors)
        case .phoneTaken(let other): throw APIError.phoneTaken(by: other)
        }
    }

    /// `POST /api/v1/actions/delete-contact`: by `phone` or `id`; 200, or 404.
    @Sendable func deleteContact(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let tenant = context.tenant
        let (body, _) = try await RequestReading.jsonObject(of: request, context: context)
        var errors = FieldErrors()
        var phone: String?
        var id: ULID?
        // A null is neither a phone nor an id: refused, as the document's schema says.
        if let member = body["phone"] {
            phone = ContactInput.validatePhone(member.value, errors: &errors)
        }
        if let member = body["id"] {
            if case .string(let text) = member.value, let ulid = ULID(string: text) {
                id = ulid
            } else {
                errors.add("id", "id must be a contact id (a 26-character ULID)")
            }
        }
        if errors.isEmpty, phone == nil, id == nil {
            errors.add("phone", "give the phone or the id of the contact to delete")
        }
        guard errors.isEmpty else { throw APIError.validation(errors) }
        guard let deleted = try await store.delete(phone: phone, id: id, tenant: tenant) else { throw APIError.notFound }
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("deleted")
        writer.bool(true)
        writer.field("id", deleted.description)
        writer.endObject()
        return JSONResponse.make(status: .ok, bytes: writer.bytes)
    }
}
