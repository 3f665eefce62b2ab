/// Tags as the contract defines them: from a comma-separated string or an array of strings, each
/// trimmed, empty ones dropped, duplicates dropped keeping the first, input order kept.
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
            let tag = item.trimmingWhitespace()
            guard !tag.isEmpty, seen.insert(tag).inserted else { continue }
            if tag.unicodeScalars.contains(where: \.isControl) {
                problems.insert("a tag must not contain control characters")
            }
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
}

public extension StringProtocol {
    /// Without leading and trailing Unicode white space.
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.isWhitespace }),
            let end = scalars.lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        // Cut at the scalars, not at characters: a combining mark right after the white space
        // must not pull the space back in (slicing the string itself rounds to characters).
        return String(decoding: utf8[start..<scalars.index(after: end)], as: UTF8.self)
    }
}

extension Unicode.Scalar {
    /// Unicode's White_Space, answered without a property lookup for ASCII (nearly every input).
    var isWhitespace: Bool {
        value < 0x80 ? value == 0x20 || (0x09...0x0D).contains(value) : properties.isWhitespace
    }

    /// General category Cc (C0 and C1 controls and DEL), without a property lookup.
    var isControl: Bool {
        value < 0x20 || (0x7F...0x9F).contains(value)
    }
}
