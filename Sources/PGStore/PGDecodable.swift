public import FoundationEssentials

/// Why one value could not be decoded; ``PGDecodingError`` adds the column.
public struct PGValueError: Error, Sendable, Hashable {
    public var reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    static let unexpectedNull = PGValueError("unexpected NULL")
}

/// A Swift value that can be read from a result column in PostgreSQL's text format.
///
/// Decoding never traps on server data: a value that does not fit throws.
public protocol PGDecodable: Sendable {
    init(pgText: String) throws(PGValueError)
    /// The value for SQL NULL. Only `Optional` has one; everything else throws.
    static func pgNull() throws(PGValueError) -> Self
}

extension PGDecodable {
    public static func pgNull() throws(PGValueError) -> Self { throw .unexpectedNull }
}

extension Optional: PGDecodable where Wrapped: PGDecodable {
    public init(pgText: String) throws(PGValueError) {
        self = .some(try Wrapped(pgText: pgText))
    }

    public static func pgNull() throws(PGValueError) -> Self { .none }
}

extension String: PGDecodable {
    public init(pgText: String) throws(PGValueError) { self = pgText }
}

extension Int: PGDecodable {
    public init(pgText: String) throws(PGValueError) {
        guard let value = Int(pgText) else { throw PGValueError("not an integer") }
        self = value
    }
}

extension Int64: PGDecodable {
    public init(pgText: String) throws(PGValueError) {
        guard let value = Int64(pgText) else { throw PGValueError("not an integer") }
        self = value
    }
}

extension Int32: PGDecodable {
    public init(pgText: String) throws(PGValueError) {
        guard let value = Int32(pgText) else { throw PGValueError("not a 32-bit integer") }
        self = value
    }
}

extension Bool: PGDecodable {
    public init(pgText: String) throws(PGValueError) {
        switch pgText {
        case "t": self = true
        case "f": self = false
        default: throw PGValueError("not a boolean")
        }
    }
}

extension UUID: PGDecodable {
    public init(pgText: String) throws(PGValueError) {
        guard let value = UUID(uuidString: pgText) else { throw PGValueError("not a uuid") }
        self = value
    }
}

extension Date: PGDecodable {
    /// Reads `timestamptz` as the connection prints it (`DateStyle` ISO, any offset).
    public init(pgText: String) throws(PGValueError) {
        guard let value = PGTimestamp.parse(pgText) else { throw PGValueError("not a finite timestamp") }
        self = value
    }
}

extension Array: PGDecodable where Element == String {
    /// Reads a one-dimensional `text[]` with no NULL element.
    public init(pgText: String) throws(PGValueError) {
        self = try PGArrayLiteral.decode(pgText)
    }
}
