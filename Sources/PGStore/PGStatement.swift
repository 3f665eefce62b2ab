/// A SQL statement that is prepared once per connection and then reused by name.
///
/// The name is derived from the SQL text, so two values with the same text share one server-side
/// prepared statement, and a connection knows which ones it has already prepared.
public struct PGStatement: Sendable, Hashable {
    public let sql: String
    public let name: String
    /// Found while hashing, so a statement's text is not scanned again on every run.
    let containsNUL: Bool

    public init(_ sql: String) {
        self.sql = sql
        // FNV-1a, 64 bits: stable across processes (unlike `hashValue`), collisions negligible.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var containsNUL = false
        for byte in sql.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
            containsNUL = containsNUL || byte == 0
        }
        self.name = "pgstore_" + String(hash, radix: 16)
        self.containsNUL = containsNUL
    }
}

/// A statement with its parameters, ready to run.
public struct PGQuery: Sendable {
    public let statement: PGStatement
    public let binds: [String?]

    public init(_ statement: PGStatement, _ binds: [any PGEncodable] = []) {
        self.statement = statement
        self.binds = binds.map { $0.pgEncoded() }
    }

    public init(_ statement: PGStatement, encoded binds: [String?]) {
        self.statement = statement
        self.binds = binds
    }
}
