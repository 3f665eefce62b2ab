/// An update-contact body after validation: what to change on the contact with `phone`.
public struct ContactPatch: Sendable, Equatable {
    /// Absent: leave alone; `null` (or an empty string): clear; a value: set.
    public enum Change<Value: Sendable & Equatable>: Sendable, Equatable {
        case unchanged, clear
        case set(Value)
    }

    /// The contact: by its phone, its id, or both (they must name the same one).
    public var phone: String?
    public var id: ULID?
    /// The number to move the contact to (update-contact's `new_phone`).
    public var newPhone: String?
    public var name: Change<String> = .unchanged
    public var email: Change<String> = .unchanged
    /// `.set` holds an RFC 7396 merge patch (an object's JSON text), applied in SQL.
    public var metadata: Change<String> = .unchanged
    /// Replaces the tags when present.
    public var tags: [String]?
    public var addTags: [String] = []
    public var removeTags: [String] = []

    public init(phone: String? = nil, id: ULID? = nil) {
        self.phone = phone
        self.id = id
    }

    public static func validate(_ body: JSONValue, text: String) -> Result<ContactPatch, FieldErrors> {
        var errors = FieldErrors()
        var patch = ContactPatch()
        // A null is neither a phone nor an id: refused, as delete-contact does.
        if let member = body["phone"] { patch.phone = ContactInput.validatePhone(member.value, errors: &errors) }
        if let member = body["id"] {
            if case .string(let text) = member.value, let id = ULID(string: text) {
                patch.id = id
            } else {
                errors.add("id", "id must be a contact id (a 26-character ULID)")
            }
        }
        if body["phone"] == nil, body["id"] == nil { errors.add("phone", "give the phone or the id of the contact to update") }
        if let member = body["new_phone"] { patch.newPhone = ContactInput.validatePhone(member.value, field: "new_phone", errors: &errors) }
        if let member = body["name"] {
            patch.name = ContactInput.validateName(member.value, errors: &errors).map(Change.set) ?? .clear
        }
        if let member = body["email"] {
            patch.email = ContactInput.validateEmail(member.value, errors: &errors).map(Change.set) ?? .clear
        }
        if let member = body["metadata"] {
            if member.value == .null {
                patch.metadata = .clear
            } else if let json = Metadata.validate(member.value, rawText: member.raw(in: text), errors: &errors) {
                patch.metadata = .set(json)
            }
        }
        if let member = body["tags"] { patch.tags = TagList.parse(member.value, errors: &errors) }
        if let member = body["add_tags"] { patch.addTags = TagList.parse(member.value, field: "add_tags", errors: &errors) }
        if let member = body["remove_tags"] {
            patch.removeTags = TagList.parse(member.value, field: "remove_tags", errors: &errors)
        }
        guard errors.isEmpty else { return .failure(errors) }
        return .success(patch)
    }
}

extension JSONMember {
    /// The member value's text as sent.
    func raw(in text: String) -> Substring.UTF8View {
        let utf8 = text.utf8
        let start = utf8.index(utf8.startIndex, offsetBy: rawRange.lowerBound)
        let end = utf8.index(start, offsetBy: rawRange.count)
        return text[start..<end].utf8
    }
}
