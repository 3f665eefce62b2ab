import CLibPQ

/// The hot path without a thread of its own: statements sent and results read in libpq's
/// non-blocking mode from the thread the caller already runs on; only socket readiness is awaited
/// (``SocketReactor``). The steps are psycopg 3's (`generators.py`): send, flush until the output
/// is gone (reading meanwhile if the server talks), then consume input until a result is whole.
///
/// The caller holds the connection exclusively (a pool lease), so nothing else uses it while this
/// task is suspended.
extension LibPQConnection {
    /// Runs `queries` in one pipeline with one Sync: one round trip. With `transaction`, inside
    /// `BEGIN` … `COMMIT`; without, the statements run in the pipeline's implicit transaction
    /// (one statement: its own). On failure the first real error is thrown and, after an explicit
    /// `BEGIN`, the transaction is rolled back.
    func pipelineNonBlocking(_ queries: [PGQuery], transaction: Bool) async throws -> [PGRows] {
        try checkOpen()
        for query in queries {
            if query.statement.containsNUL { throw Self.nulError }
            for case let value? in query.binds { try checkNoNUL(value) }
        }
        guard PQsetnonblocking(handle, 1) == 0 else { throw connectionError() }
        // Back to blocking for the calls that run on the pool's threads. Not on a broken session:
        // switching flushes what is still buffered, which could block this thread; it is discarded.
        defer { if !finished, !isBroken { PQsetnonblocking(handle, 0) } }
        do {
            let slots = try sendPipeline(queries, transaction: transaction)
            try await flush()
            let results = try await receive(slots, count: queries.count)
            refreshStatus()
            // Our own BEGIN leaves the session in the aborted transaction after the Sync. Without
            // one, a transaction still open is the caller's (BEGIN sent earlier): theirs to end.
            if transaction, transactionStatus == .failed || transactionStatus == .inTransaction {
                try await rollback()
            }
            if let firstError = results.firstError { throw firstError }
            return results.rows.map { $0 ?? PGRows(columns: [], cells: [], affectedRowCount: 0, commandTag: "") }
        } catch is CancellationError {
            // Results may still be on their way: this session cannot be reused.
            isBroken = true
            throw CancellationError()
        }
    }

    /// What each result read back belongs to.
    enum Slot {
        case control
        case prepare(String)
        case query(Int)
    }

    private func sendPipeline(_ queries: [PGQuery], transaction: Bool) throws(PGError) -> [Slot] {
        guard PQenterPipelineMode(handle) == 1 else { throw connectionError() }
        var slots: [Slot] = []
        var failed = false
        func send(_ ok: Int32, _ slot: Slot) {
            if ok == 1 { slots.append(slot) } else { failed = true }
        }
        if transaction { send(PQsendQueryParams(handle, "BEGIN", 0, nil, nil, nil, nil, 0), .control) }
        var preparing: Set<String> = []
        for (index, query) in queries.enumerated() where !failed {
            let name = query.statement.name
            guard query.statement.isPrepared else {
                let ok = try withCStringsUnchecked(query.binds) { values in
                    PQsendQueryParams(handle, query.statement.sql, Int32(values.count), nil, values, nil, nil, 0)
                }
                send(ok, .query(index))
                continue
            }
            if !prepared.contains(name), !preparing.contains(name) {
                send(PQsendPrepare(handle, name, query.statement.sql, 0, nil), .prepare(name))
                preparing.insert(name)
            }
            guard !failed else { break }
            let ok = try withCStringsUnchecked(query.binds) { values in
                PQsendQueryPrepared(handle, name, Int32(values.count), values, nil, nil, 0)
            }
            send(ok, .query(index))
        }
        if transaction, !failed { send(PQsendQueryParams(handle, "COMMIT", 0, nil, nil, nil, nil, 0), .control) }
        if failed || PQpipelineSync(handle) != 1 {
            let error = connectionError()
            isBroken = true
            throw error
        }
        return slots
    }

    /// Sends what libpq has buffered; while the socket will not take more, waits for it to drain
    /// or for the server to talk (then reads, so neither side blocks on a full buffer).
    private func flush() async throws {
        while true {
            switch PQflush(handle) {
            case 0: return
            case 1:
                try await SocketReactor.shared.wait(for: try currentSocket(), .readableOrWritable)
                guard PQconsumeInput(handle) == 1 else { throw lost() }
            default: throw lost()
            }
        }
    }

    /// The next result, waiting for the socket while libpq has only part of it.
    private func nextResult() async throws -> OpaquePointer? {
        while PQisBusy(handle) == 1 {
            try await SocketReactor.shared.wait(for: try currentSocket(), .readable)
            guard PQconsumeInput(handle) == 1 else { throw lost() }
        }
        return PQgetResult(handle)
    }

    private func receive(_ slots: [Slot], count: Int) async throws -> (rows: [PGRows?], firstError: PGError?) {
        var rows = [PGRows?](repeating: nil, count: count)
        var firstError: PGError?
        for slot in slots {
            guard let result = try await nextResult() else { throw lost(firstError) }
            if PQresultStatus(result) != PGRES_PIPELINE_ABORTED {
                do throws(PGError) {
                    let read = try self.rows(from: result)
                    switch slot {
                    case .prepare(let name): prepared.insert(name)
                    case .query(let index): rows[index] = read
                    case .control: break
                    }
                } catch {
                    if firstError == nil { firstError = error }
                }
            }
            PQclear(result)
            // Each command's results end with a NULL.
            while let extra = try await nextResult() { PQclear(extra) }
        }
        // The Sync's own result.
        while let result = try await nextResult() {
            let status = PQresultStatus(result)
            PQclear(result)
            if status == PGRES_PIPELINE_SYNC { break }
        }
        if PQexitPipelineMode(handle) != 1 { isBroken = true }
        return (rows, firstError)
    }

    /// The socket, or the loss of the connection when libpq has closed it.
    private func currentSocket() throws(PGError) -> Int32 {
        guard socket >= 0 else { throw lost() }
        return socket
    }

    /// `ROLLBACK` after a failed explicit transaction, without blocking.
    private func rollback() async throws {
        guard PQsendQuery(handle, "ROLLBACK") == 1 else { throw lost() }
        try await flush()
        while let result = try await nextResult() { PQclear(result) }
        refreshStatus()
    }

    /// The connection failed mid-exchange: broken for good, with libpq's message (or the
    /// statement's own error, when one came first).
    private func lost(_ earlier: PGError? = nil) -> PGError {
        let error = connectionError()
        isBroken = true
        return earlier ?? error
    }
}
