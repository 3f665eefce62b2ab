/// Tags as the contract defines them: from a comma-separated string or an array of strings, each
/// trimmed and put in Unicode NFC (so `été` typed either way is one tag), empty ones dropped,
/// duplicates dropped keeping the first, input order kept.
public enum TagList {
    public static let maximumTagLength = 64
    public static let maximumCount = 100

    /// Parses `value`; appends every problem to `errors` under `field`.
    public static func parse(_ value: JSONValue, field: String = "tags", errors: inout FieldErrors) -> [String] {
        var raw: [String] = []
        switch value {
        case .null:
            return []
        case .string(let text):
            raw = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        case .array(let elements):
            for element in elements {
                guard case .string(let text) = element else {
                    errors.add(field, "\(field) must be a string or an array of strings")
                    return []
                }
                if text.contains(",") {
                    errors.add(field, "a tag must not contain a comma")
                    return []
                }
                raw.append(text)
            }
        default:
            errors.add(field, "\(field) must be a string or an array of strings")
            return []
        }
        var seen = Set<String>()
        var tags: [String] = []
        var problems = Set<String>()
        for item in raw {
            // Control characters count where they were sent, at the edges too (a tab or a NEL
            // that trimming would drop), as the document's pattern says.
            if item.unicodeScalars.contains(where: \.isControl) {
                problems.insert("a tag must not contain control characters")
            }
            let tag = item.trimmingWhitespace().nfc
            guard !tag.isEmpty, seen.insert(tag).inserted else { continue }
            if tag.unicodeScalars.count > maximumTagLength {
                problems.insert("a tag is too long (at most \(maximumTagLength) characters)")
            }
            tags.append(tag)
        }
        if tags.count > maximumCount {
            problems.insert("too many tags (at most \(maximumCount))")
        }
        for problem in problems.sorted() { errors.add(field, problem) }
        return tags
    }

    /// One tag name as `field` sends it (rename-tag's `from` and `to`, delete-tag's `name`): a
    /// string, trimmed and in NFC, non-empty, without a comma or a control character, at most
    /// ``maximumTagLength`` characters; `nil` with the reason under `field`.
    public static func name(_ value: JSONValue?, field: String, errors: inout FieldErrors) -> String? {
        guard case .string(let text)? = value else {
            errors.add(field, "\(field) must be a tag name (a string)")
            return nil
        }
        let tag = text.trimmingWhitespace().nfc
        if text.unicodeScalars.contains(where: \.isControl) {
            errors.add(field, "a tag must not contain control characters")
        } else if tag.isEmpty {
            errors.add(field, "\(field) must not be empty")
        } else if tag.contains(",") {
            errors.add(field, "a tag must not contain a comma")
        } else if tag.unicodeScalars.count > maximumTagLength {
            errors.add(field, "a tag is too long (at most \(maximumTagLength) characters)")
        } else {
            return tag
        }
        return nil
    }
}
