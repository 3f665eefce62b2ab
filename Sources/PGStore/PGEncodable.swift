public import FoundationEssentials

/// A Swift value that can be bound as a statement parameter, in PostgreSQL's text format.
///
/// Parameters always travel separately from the SQL text (`PQexecPrepared`, `PQsendQueryPrepared`),
/// so no value is ever spliced into a statement.
public protocol PGEncodable: Sendable {
    /// The value's text form, or `nil` for SQL NULL.
    func pgEncoded() -> String?
}

extension String: PGEncodable {
    public func pgEncoded() -> String? { self }
}

extension Substring: PGEncodable {
    public func pgEncoded() -> String? { String(self) }
}

extension Int: PGEncodable {
    public func pgEncoded() -> String? { String(self) }
}

extension Int64: PGEncodable {
    public func pgEncoded() -> String? { String(self) }
}

extension Int32: PGEncodable {
    public func pgEncoded() -> String? { String(self) }
}

extension Bool: PGEncodable {
    public func pgEncoded() -> String? { self ? "t" : "f" }
}

extension UUID: PGEncodable {
    public func pgEncoded() -> String? { uuidString }
}

extension Date: PGEncodable {
    /// RFC 3339 in UTC with microseconds: PostgreSQL's `timestamptz` resolution.
    public func pgEncoded() -> String? { PGTimestamp.format(self) }
}

extension Optional: PGEncodable where Wrapped: PGEncodable {
    public func pgEncoded() -> String? {
        switch self {
        case .none: nil
        case .some(let value): value.pgEncoded()
        }
    }
}

extension Array: PGEncodable where Element == String {
    /// A one-dimensional `text[]` literal: every element quoted, `"` and `\` escaped.
    public func pgEncoded() -> String? { PGArrayLiteral.encode(self) }
}

/// JSON text handed to PostgreSQL as it is (for `json`/`jsonb`), never decoded in Swift, so that
/// numbers keep their exact value.
public struct PGJSON: PGEncodable, PGDecodable, Hashable {
    public var text: String

    public init(_ text: String) {
        self.text = text
    }

    public init(pgText: String) throws(PGValueError) {
        self.text = pgText
    }

    public func pgEncoded() -> String? { text }
}

/// The SQL NULL of no particular type, for statements whose parameter types the server infers.
public struct PGNull: PGEncodable {
    public init() {}
    public func pgEncoded() -> String? { nil }
}

/// A one-dimensional array whose elements may be NULL (`text[]`, `uuid[]`, `jsonb[]`, `int[]`…:
/// the statement's cast decides), in PostgreSQL's text form.
public struct PGArray: PGEncodable {
    public var elements: [String?]

    public init(_ elements: [String?]) {
        self.elements = elements
    }

    public init(_ elements: [some PGEncodable]) {
        self.elements = elements.map { $0.pgEncoded() }
    }

    public func pgEncoded() -> String? { PGArrayLiteral.encode(elements) }
}
