/// A SQL statement that is prepared once per connection and then reused by name.
///
/// The name is derived from the SQL text, so two values with the same text share one server-side
/// prepared statement, and a connection knows which ones it has already prepared.
public struct PGStatement: Sendable, Hashable {
    public let sql: String
    public let name: String
    /// Found while hashing, so a statement's text is not scanned again on every run.
    let containsNUL: Bool
    /// Sent as libpq's unnamed statement each time, never prepared: for text that changes from one
    /// transaction to the next (a `SET LOCAL` naming a tenant), which would otherwise leave one
    /// prepared statement per value in every session.
    public let isPrepared: Bool

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
        self.isPrepared = true
    }

    private init(unprepared sql: String) {
        self.sql = sql
        self.name = ""
        self.containsNUL = sql.utf8.contains(0)
        self.isPrepared = false
    }

    /// A statement sent as it is each time (see ``isPrepared``).
    public static func unprepared(_ sql: String) -> PGStatement {
        PGStatement(unprepared: sql)
    }

    /// `SET LOCAL name = 'value'`: a setting for the rest of the transaction. Unlike
    /// `set_config(…, true)`, Citus forwards it to the workers a transaction touches when
    /// `citus.propagate_set_commands` is `local`. `name` is a dotted identifier and `value` is
    /// written as a quoted literal (quotes doubled), so neither can end the statement.
    public static func setLocal(_ name: String, _ value: String) -> PGStatement {
        precondition(
            !name.isEmpty
                && name.utf8.allSatisfy {
                    $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || ($0 >= 0x30 && $0 <= 0x39)
                        || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7a)
                },
            "a setting's name is a dotted identifier")
        return .unprepared("SET LOCAL \(name) = '\(value.replacing("'", with: "''"))'")
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
