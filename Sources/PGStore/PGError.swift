/// An error from PostgreSQL or from libpq, with the fields a caller needs to act on it.
///
/// `description` names the kind, the SQLSTATE and the constraint only: it never carries the
/// server's message, which may quote a bound value. `debugDescription` has everything.
public struct PGError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What failed, coarsely: what a caller branches on before looking at ``sqlState``.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case connectionFailed, connectionLost, statementFailed, invalidParameter, unexpectedResponse
        }
        private let base: Base

        /// The connection could not be opened (libpq's own message is in ``PGError/message``).
        public static let connectionFailed = Kind(base: .connectionFailed)
        /// The connection broke while in use: the statement may or may not have run.
        public static let connectionLost = Kind(base: .connectionLost)
        /// The server refused or failed the statement; the connection is still usable.
        public static let statementFailed = Kind(base: .statementFailed)
        /// A bound value cannot be sent (PostgreSQL text cannot hold U+0000).
        public static let invalidParameter = Kind(base: .invalidParameter)
        /// libpq answered something the wrapper did not expect.
        public static let unexpectedResponse = Kind(base: .unexpectedResponse)

        public var description: String { base.rawValue }
    }

    public var kind: Kind
    /// The server's SQLSTATE, when the server sent one.
    public var sqlState: SQLState?
    /// The server's primary message, or libpq's message when the server sent none.
    public var message: String
    public var detail: String?
    public var hint: String?
    public var severity: String?
    public var schemaName: String?
    public var tableName: String?
    public var columnName: String?
    public var constraintName: String?

    public init(
        kind: Kind, sqlState: SQLState? = nil, message: String, detail: String? = nil, hint: String? = nil,
        severity: String? = nil, schemaName: String? = nil, tableName: String? = nil,
        columnName: String? = nil, constraintName: String? = nil
    ) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
        self.severity = severity
        self.schemaName = schemaName
        self.tableName = tableName
        self.columnName = columnName
        self.constraintName = constraintName
    }

    /// The constraint a statement broke: the error's own field, or, when the error was relayed
    /// without its fields (Citus passes on a worker's error as SQLSTATE, message, detail and hint
    /// only), the quoted name in the server's message (`… violates check constraint "name"`, as
    /// PostgreSQL writes it with its messages in English, their default).
    public var violatedConstraint: String? {
        if let constraintName { return constraintName }
        guard sqlState?.errorClass == SQLState(rawValue: "23000"),
            let marker = message.firstRange(of: "constraint \""),
            let end = message[marker.upperBound...].firstIndex(of: "\"")
        else { return nil }
        return String(message[marker.upperBound..<end])
    }

    /// True when the connection that raised this error must not be used again.
    public var isConnectionError: Bool {
        kind == .connectionLost || kind == .connectionFailed || (sqlState?.meansConnectionLost ?? false)
    }

    public var description: String {
        var parts = ["kind: \(kind)"]
        if let sqlState { parts.append("sqlState: \(sqlState)") }
        if let constraintName { parts.append("constraint: \(constraintName)") }
        // libpq's connect errors quote no bound value and are what an operator needs.
        if kind == .connectionFailed { parts.append("message: \(message)") }
        return "PGError(\(parts.joined(separator: ", ")))"
    }

    public var debugDescription: String {
        var parts = ["kind: \(kind)", "message: \(message)"]
        if let sqlState { parts.append("sqlState: \(sqlState)") }
        if let severity { parts.append("severity: \(severity)") }
        if let detail { parts.append("detail: \(detail)") }
        if let hint { parts.append("hint: \(hint)") }
        if let tableName { parts.append("table: \(tableName)") }
        if let columnName { parts.append("column: \(columnName)") }
        if let constraintName { parts.append("constraint: \(constraintName)") }
        return "PGError(\(parts.joined(separator: ", ")))"
    }
}
