/// Validation failures by top-level field, in the order they were found; one message per problem,
/// naming the rule broken. Rendered as the `errors` object of a 422.
public struct FieldErrors: Error, Sendable, Equatable {
    public private(set) var entries: [(field: String, messages: [String])] = []

    public init() {}

    public var isEmpty: Bool { entries.isEmpty }

    public mutating func add(_ field: String, _ message: String) {
        if let index = entries.firstIndex(where: { $0.field == field }) {
            entries[index].messages.append(message)
        } else {
            entries.append((field, [message]))
        }
    }

    public subscript(field: String) -> [String]? {
        entries.first { $0.field == field }?.messages
    }

    public static func == (lhs: FieldErrors, rhs: FieldErrors) -> Bool {
        lhs.entries.elementsEqual(rhs.entries) { $0.field == $1.field && $0.messages == $1.messages }
    }
}
