import CLibPQ
import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// One libpq connection.
///
/// Statements run through the non-blocking extension (``pipelineNonBlocking(_:transaction:)``),
/// from whatever thread the caller is on. The methods here block on network I/O (connecting,
/// scripts, COPY, pings), so they must only be called from a thread that may block (the pool's
/// `NIOThreadPool`), never from an event loop or Swift's cooperative pool. It is used by one task
/// at a time (a pool lease, or ``PGConnection``'s lock), which is why it may be `@unchecked Sendable`.
final class LibPQConnection: @unchecked Sendable {
    let handle: OpaquePointer
    /// Names of the statements prepared on this session.
    var prepared: Set<String> = []
    /// The socket as libpq has it now (-1 once closed). Never kept: libpq closes the socket of a
    /// connection that broke, and its number may then belong to another connection.
    var socket: Int32 { PQsocket(handle) }
    /// Whether the session is idle, in a transaction, or in a failed one, as of the last call.
    var transactionStatus: PGTransactionStatus = .idle
    /// True once the session broke; a broken connection is discarded, never repaired.
    var isBroken = false
    /// The server's process id (`pg_backend_pid()`), for operators and tests.
    let backendPID: Int32

    private init(handle: OpaquePointer) {
        self.handle = handle
        self.backendPID = PQbackendPID(handle)
    }

    private(set) var finished = false

    deinit {
        if !finished { PQfinish(handle) }
    }

    /// Closes the session; every later call fails as a lost connection.
    func markClosed() {
        guard !finished else { return }
        PQfinish(handle)
        finished = true
        isBroken = true
    }

    /// Opens a connection; throws ``PGError`` with libpq's own message when it cannot.
    static func connect(_ configuration: PGConnectionConfiguration) throws(PGError) -> LibPQConnection {
        let pairs = configuration.libpqKeywords
        let keywords = pairs.map { strdup($0.0) }
        let values = pairs.map { strdup($0.1) }
        defer {
            for keyword in keywords { free(keyword) }
            for value in values { free(value) }
        }
        let keywordPointers = keywords.map { UnsafePointer($0) } + [nil]
        let valuePointers = values.map { UnsafePointer($0) } + [nil]
        guard let handle = PQconnectdbParams(keywordPointers, valuePointers, 1) else {
            throw PGError(kind: .connectionFailed, message: "libpq could not allocate a connection")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(handle)).trimmingASCIIWhitespace()
            PQfinish(handle)
            throw PGError(kind: .connectionFailed, message: message)
        }
        // Notices (`NOTICE: relation … already exists, skipping`) would go to stderr: drop them.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        let connection = LibPQConnection(handle: handle)
        if !configuration.sessionSettings.isEmpty {
            let calls = configuration.sessionSettings.indices.map { "set_config($\($0 * 2 + 1), $\($0 * 2 + 2), false)" }
            let binds = configuration.sessionSettings.flatMap { [$0.0, $0.1] }
            do {
                _ = try connection.execute(sql: "SELECT " + calls.joined(separator: ", "), binds: binds)
            } catch {
                throw PGError(kind: .connectionFailed, sqlState: error.sqlState, message: error.message)
            }
        }
        return connection
    }

    // MARK: Statements

    /// Runs one or more statements with no parameters (the simple query protocol); returns the
    /// last statement's rows. For migrations and administration, not the hot path.
    func execute(script: String) throws(PGError) -> PGRows {
        try checkOpen()
        try checkNoNUL(script)
        var last: PGRows?
        var firstError: PGError?
        guard PQsendQuery(handle, script) == 1 else { throw connectionError() }
        while let result = PQgetResult(handle) {
            defer { PQclear(result) }
            do throws(PGError) {
                last = try rows(from: result)
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        refreshStatus()
        if let firstError { throw firstError }
        return last ?? PGRows(columns: [], cells: [], affectedRowCount: 0, commandTag: "")
    }

    /// Runs one statement with parameters, unprepared (`PQexecParams`).
    func execute(sql: String, binds: [String?]) throws(PGError) -> PGRows {
        try checkOpen()
        try checkNoNUL(sql)
        let result = try withCStrings(binds) { values throws(PGError) in
            PQexecParams(handle, sql, Int32(values.count), nil, values, nil, nil, 0)
        }
        return try consume(result)
    }

    // MARK: COPY

    /// Runs `COPY … FROM STDIN` and sends `data` (COPY text format) as its input; returns the
    /// number of rows the server took.
    func copyIn(sql: String, data: [UInt8]) throws(PGError) -> Int {
        try checkOpen()
        try checkNoNUL(sql)
        guard let start = PQexec(handle, sql) else { throw connectionError() }
        let status = PQresultStatus(start)
        if status != PGRES_COPY_IN {
            defer { PQclear(start) }
            _ = try rows(from: start)
            throw PGError(kind: .unexpectedResponse, message: "the statement is not COPY FROM STDIN")
        }
        PQclear(start)
        var offset = 0
        while offset < data.count {
            let count = min(1 << 20, data.count - offset)
            let sent = data.withUnsafeBufferPointer { buffer in
                buffer.baseAddress!.advanced(by: offset).withMemoryRebound(to: CChar.self, capacity: count) {
                    PQputCopyData(handle, $0, Int32(count))
                }
            }
            guard sent == 1 else { throw connectionError() }
            offset += count
        }
        guard PQputCopyEnd(handle, nil) == 1 else { throw connectionError() }
        var firstError: PGError?
        var copied = 0
        while let result = PQgetResult(handle) {
            defer { PQclear(result) }
            do throws(PGError) {
                copied = try rows(from: result).affectedRowCount
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        refreshStatus()
        if let firstError { throw firstError }
        return copied
    }

    // MARK: Health

    /// A check that costs no round trip. An idle session receives nothing unless something
    /// happened to it (the server's FATAL before it closes, a shutdown notice, EOF): this wrapper
    /// never LISTENs, so any unsolicited input means the connection is not to be trusted.
    func isUsableWithoutRoundTrip() -> Bool {
        guard !finished, !isBroken, PQstatus(handle) == CONNECTION_OK else { return false }
        if clibpq_socket_readable(socket) != 0 {
            isBroken = true
            return false
        }
        return true
    }

    /// A round trip that proves the session works: an empty query, the cheapest there is.
    func ping() -> Bool {
        guard isUsableWithoutRoundTrip() else { return false }
        let result = PQexec(handle, "")
        defer { PQclear(result) }
        let ok = result != nil && PQresultStatus(result) == PGRES_EMPTY_QUERY
        if !ok { isBroken = true }
        refreshStatus()
        return ok
    }

    // MARK: Helpers

    func refreshStatus() {
        if PQstatus(handle) != CONNECTION_OK { isBroken = true }
        transactionStatus = PGTransactionStatus(PQtransactionStatus(handle))
    }

    private func consume(_ result: OpaquePointer?) throws(PGError) -> PGRows {
        guard let result else {
            refreshStatus()
            throw connectionError()
        }
        defer { PQclear(result) }
        let rows: PGRows
        do {
            rows = try self.rows(from: result)
        } catch {
            refreshStatus()
            throw error
        }
        refreshStatus()
        return rows
    }

    /// Copies a result into Swift values, or turns it into a ``PGError``.
    func rows(from result: OpaquePointer) throws(PGError) -> PGRows {
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE:
            let columnCount = Int(PQnfields(result))
            let rowCount = Int(PQntuples(result))
            let columns = (0..<columnCount).map { column in
                PGColumn(name: String(cString: PQfname(result, Int32(column))), typeOID: PQftype(result, Int32(column)))
            }
            var cells: [String?] = []
            cells.reserveCapacity(columnCount * rowCount)
            for row in 0..<Int32(rowCount) {
                for column in 0..<Int32(columnCount) {
                    if PQgetisnull(result, row, column) == 1 {
                        cells.append(nil)
                    } else {
                        let length = Int(PQgetlength(result, row, column))
                        let bytes = UnsafeRawPointer(PQgetvalue(result, row, column)!).assumingMemoryBound(to: UInt8.self)
                        cells.append(String(decoding: UnsafeBufferPointer(start: bytes, count: length), as: UTF8.self))
                    }
                }
            }
            return PGRows(columns: columns, cells: cells, affectedRowCount: affectedRows(result), commandTag: commandTag(result))
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return PGRows(columns: [], cells: [], affectedRowCount: affectedRows(result), commandTag: commandTag(result))
        case PGRES_FATAL_ERROR, PGRES_NONFATAL_ERROR, PGRES_BAD_RESPONSE:
            throw error(from: result)
        case PGRES_PIPELINE_ABORTED:
            throw PGError(kind: .statementFailed, message: "pipeline aborted by an earlier error")
        default:
            throw PGError(kind: .unexpectedResponse, message: "unexpected result status \(PQresultStatus(result).rawValue)")
        }
    }

    private func affectedRows(_ result: OpaquePointer) -> Int {
        Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    private func commandTag(_ result: OpaquePointer) -> String {
        String(cString: PQcmdStatus(result))
    }

    private func error(from result: OpaquePointer) -> PGError {
        func field(_ code: Int32) -> String? {
            PQresultErrorField(result, code).map { String(cString: $0) }
        }
        let sqlState = field(CLIBPQ_DIAG_SQLSTATE).map(SQLState.init(rawValue:))
        let message =
            field(CLIBPQ_DIAG_MESSAGE_PRIMARY)
            ?? String(cString: PQresultErrorMessage(result)).trimmingASCIIWhitespace()
        let lost = PQstatus(handle) != CONNECTION_OK || (sqlState?.meansConnectionLost ?? false)
        if lost { isBroken = true }
        return PGError(
            kind: lost ? .connectionLost : .statementFailed,
            sqlState: sqlState,
            message: message,
            detail: field(CLIBPQ_DIAG_MESSAGE_DETAIL),
            hint: field(CLIBPQ_DIAG_MESSAGE_HINT),
            severity: field(CLIBPQ_DIAG_SEVERITY),
            schemaName: field(CLIBPQ_DIAG_SCHEMA_NAME),
            tableName: field(CLIBPQ_DIAG_TABLE_NAME),
            columnName: field(CLIBPQ_DIAG_COLUMN_NAME),
            constraintName: field(CLIBPQ_DIAG_CONSTRAINT_NAME)
        )
    }

    /// libpq's message for a failure that produced no result: the connection is gone.
    func connectionError() -> PGError {
        isBroken = PQstatus(handle) != CONNECTION_OK || isBroken
        let message = String(cString: PQerrorMessage(handle)).trimmingASCIIWhitespace()
        return PGError(kind: .connectionLost, message: message.isEmpty ? "connection lost" : message)
    }

    func checkOpen() throws(PGError) {
        if finished { throw PGError(kind: .connectionLost, message: "connection closed") }
    }

    static let nulError = PGError(kind: .invalidParameter, message: "PostgreSQL text cannot contain U+0000")

    func checkNoNUL(_ text: String) throws(PGError) {
        var text = text
        let found = text.withUTF8 { bytes in bytes.baseAddress.map { memchr($0, 0, bytes.count) != nil } ?? false }
        if found { throw Self.nulError }
    }

    private func withCStrings<R>(
        _ values: [String?], _ body: ([UnsafePointer<CChar>?]) throws(PGError) -> R
    ) throws(PGError) -> R {
        for case let value? in values { try checkNoNUL(value) }
        return try withCStringsUnchecked(values, body)
    }

    func withCStringsUnchecked<R>(
        _ values: [String?], _ body: ([UnsafePointer<CChar>?]) throws(PGError) -> R
    ) throws(PGError) -> R {
        let copies = values.map { $0.map { strdup($0)! } }
        defer { for copy in copies { copy.map { free($0) } } }
        return try body(copies.map { $0.map { UnsafePointer($0) } })
    }
}

/// The session's transaction state as libpq last saw it.
enum PGTransactionStatus: Sendable {
    case idle, active, inTransaction, failed, unknown

    init(_ status: PGTransactionStatusType) {
        switch status {
        case PQTRANS_IDLE: self = .idle
        case PQTRANS_ACTIVE: self = .active
        case PQTRANS_INTRANS: self = .inTransaction
        case PQTRANS_INERROR: self = .failed
        default: self = .unknown
        }
    }
}

extension String {
    /// Without leading and trailing ASCII white space (libpq's messages end with a newline).
    func trimmingASCIIWhitespace() -> String {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || (0x09...0x0D).contains($0) }
        let bytes = Array(utf8)
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }
}
