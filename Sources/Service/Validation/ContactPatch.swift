/// An update-contact body after validation: what to change on the contact with `phone`.
public struct ContactPatch: Sendable, Equatable {
    /// Absent: leave alone; `null` (or an empty string): clear; a value: set.
    public enum Change<Value: Sendable & Equatable>: Sendable, Equatable {
        case unchanged, clear
        case set(Value)
    }

    public var phone: String
    public var name: Change<String> = .unchanged
    public var email: Change<String> = .unchanged
    /// `.set` holds an RFC 7396 merge patch (an object's JSON text), applied in SQL.
    public var metadata: Change<String> = .unchanged
    /// Replaces the tags when present.
    public var tags: [String]?
    public var addTags: [String] = []
    public var removeTags: [String] = []

    public static func validate(_ body: JSONValue, text: String) -> Result<ContactPatch, FieldErrors> {
        var errors = FieldErrors()
        let phone = ContactInput.validatePhone(body["phone"]?.value, errors: &errors)
        var patch = ContactPatch(phone: phone ?? "")
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
        guard errors.isEmpty, phone != nil else { return .failure(errors) }
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
