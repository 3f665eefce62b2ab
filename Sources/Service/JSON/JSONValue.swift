/// A parsed JSON document that keeps what `JSONDecoder` loses: numbers as their exact text, member
/// order and duplicates, and where each member's value stands in the input (so metadata can be
/// handed to PostgreSQL as the client wrote it).
public indirect enum JSONValue: Sendable, Equatable {
    case object([JSONMember])
    case array([JSONValue])
    case string(String)
    /// The number's literal text, exactly as sent (`8742.00`, `1e400`).
    case number(String)
    case bool(Bool)
    case null

    /// The value of the last member called `key` (JSON's usual "last one wins").
    public subscript(key: String) -> JSONMember? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.key == key }
    }

    /// Nesting depth: a scalar is 0, `{}` or `[]` is 1, `{"a": []}` is 2.
    public var depth: Int {
        switch self {
        case .object(let members): 1 + (members.map(\.value.depth).max() ?? 0)
        case .array(let elements): 1 + (elements.map(\.depth).max() ?? 0)
        default: 0
        }
    }

    /// True when a string or a key anywhere inside contains U+0000, which PostgreSQL cannot store.
    public var containsNUL: Bool {
        switch self {
        case .string(let text): text.utf8.contains(0)
        case .object(let members): members.contains { $0.key.utf8.contains(0) || $0.value.containsNUL }
        case .array(let elements): elements.contains { $0.containsNUL }
        default: false
        }
    }

    /// The JSON type's name, for error messages.
    public var typeName: String {
        switch self {
        case .object: "object"
        case .array: "array"
        case .string: "string"
        case .number: "number"
        case .bool: "boolean"
        case .null: "null"
        }
    }
}

/// One `"key": value` of an object, with the byte range of the value's text in the input.
public struct JSONMember: Sendable, Equatable {
    public var key: String
    public var value: JSONValue
    public var rawRange: Range<Int>
}
