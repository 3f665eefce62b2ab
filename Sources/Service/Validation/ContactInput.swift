/// A create-contact body after validation: every field normalized, ready to write.
public struct ContactInput: Sendable, Equatable {
    /// E.164.
    public var phone: String
    public var name: String?
    public var email: String?
    /// Trimmed, de-duplicated, in the order given.
    public var tags: [String]
    /// The metadata object's JSON text as the client sent it (`{}` when absent or null).
    public var metadataJSON: String

    public static let maximumNameLength = 255

    public init(phone: String, name: String? = nil, email: String? = nil, tags: [String] = [], metadataJSON: String = "{}") {
        self.phone = phone
        self.name = name
        self.email = email
        self.tags = tags
        self.metadataJSON = metadataJSON
    }

    /// Validates a parsed body; `text` is the body it was parsed from (for metadata's raw text).
    /// Collects every invalid field, not just the first.
    public static func validate(_ body: JSONValue, text: String) -> Result<ContactInput, FieldErrors> {
        var errors = FieldErrors()
        let phone = validatePhone(body["phone"]?.value, errors: &errors)
        let name = validateName(body["name"]?.value, errors: &errors)
        let email = validateEmail(body["email"]?.value, errors: &errors)
        let tags = body["tags"].map { TagList.parse($0.value, errors: &errors) } ?? []
        var metadata: String? = "{}"
        if let member = body["metadata"] {
            metadata = Metadata.validate(member.value, rawText: member.raw(in: text), errors: &errors)
        }
        guard errors.isEmpty, let phone, let metadata else { return .failure(errors) }
        return .success(ContactInput(phone: phone, name: name, email: email, tags: tags, metadataJSON: metadata))
    }

    /// A phone as `field` sends it (`phone`, or update-contact's `new_phone`), in E.164; `nil` with
    /// the reason added to `errors` under `field`.
    static func validatePhone(_ value: JSONValue?, field: String = "phone", errors: inout FieldErrors) -> String? {
        guard let value, value != .null else {
            errors.add(field, "\(field) is required")
            return nil
        }
        guard case .string(let text) = value else {
            errors.add(field, "\(field) must be a string")
            return nil
        }
        if text.utf8.contains(0) {
            errors.add(field, "\(field) must not contain the character U+0000")
            return nil
        }
        switch PhoneNumber.normalize(text) {
        case .success(let e164): return e164
        case .failure(let problem):
            // The messages name "phone"; under another field, that field.
            errors.add(field, problem.message.hasPrefix("phone") ? field + problem.message.dropFirst("phone".count) : problem.message)
            return nil
        }
    }

    static func validateName(_ value: JSONValue?, errors: inout FieldErrors) -> String? {
        guard let value, value != .null else { return nil }
        guard case .string(let text) = value else {
            errors.add("name", "name must be a string or null")
            return nil
        }
        if text.utf8.contains(0) {
            errors.add("name", "name must not contain the character U+0000")
            return nil
        }
        let trimmed = text.trimmingWhitespace()
        if trimmed.unicodeScalars.count > maximumNameLength {
            errors.add("name", "name is too long (at most \(maximumNameLength) characters)")
            return nil
        }
        return trimmed.isEmpty ? nil : trimmed
    }

    static func validateEmail(_ value: JSONValue?, errors: inout FieldErrors) -> String? {
        guard let value, value != .null else { return nil }
        guard case .string(let text) = value else {
            errors.add("email", "email must be a string or null")
            return nil
        }
        if text.utf8.contains(0) {
            errors.add("email", "email must not contain the character U+0000")
            return nil
        }
        let trimmed = text.trimmingWhitespace()
        if trimmed.isEmpty { return nil }
        switch EmailAddress.normalize(trimmed) {
        case .success(let email): return email
        case .failure(let problem):
            errors.add("email", problem.message)
            return nil
        }
    }
}
