/// The one way a transaction is opened on a ``PGConnection``: ``PGConnection/withTransaction(isolation:readOnly:_:)``
/// for work that fits in a closure, ``PGConnection/beginTransaction(isolation:readOnly:)`` for work
/// that outlives one (an export's snapshot is taken before its response starts and read while the
/// response is written). Nowhere else writes BEGIN, COMMIT or ROLLBACK.
public struct PGTransaction: Sendable {
    let connection: PGConnection
    /// Set when this transaction is a savepoint of one already open on the connection.
    let savepoint: String?

    /// Commits; a failure is ``PGTransactionError/commit(_:)`` (the work is not saved, or not
    /// known to be: a lost connection).
    public func commit() async throws {
        do {
            try await connection.execute(script: savepoint.map { "RELEASE SAVEPOINT \($0)" } ?? "COMMIT")
        } catch let error as PGError {
            throw PGTransactionError.commit(error)
        }
    }

    /// Runs `queries` and commits, in one round trip (one pipeline ending with the COMMIT, or the
    /// savepoint's RELEASE): the last writes of a transaction whose answer is known. A failing
    /// query leaves the transaction open and aborted, for the caller's rollback, and throws its
    /// error as it is; a failing commit is ``PGTransactionError/commit(_:)``.
    @discardableResult
    public func commit(after queries: [PGQuery]) async throws -> [PGRows] {
        let end = PGQuery(.unprepared(savepoint.map { "RELEASE SAVEPOINT \($0)" } ?? "COMMIT"))
        do {
            return Array(try await connection.raw.pipelineNonBlocking(queries + [end], transaction: false).dropLast())
        } catch let error as PGError where !connection.isInTransaction {
            throw PGTransactionError.commit(error)
        }
    }

    private var rollbackScript: String {
        savepoint.map { "ROLLBACK TO SAVEPOINT \($0); RELEASE SAVEPOINT \($0)" } ?? "ROLLBACK"
    }

    /// Rolls back because of `cause`, and throws: `cause` itself when the rollback went through,
    /// else ``PGTransactionError/rollback(_:after:)`` with both.
    public func rollback(after cause: any Error) async throws -> Never {
        do {
            try await connection.execute(script: rollbackScript)
        } catch let error as PGError {
            throw PGTransactionError.rollback(error, after: cause)
        }
        throw cause
    }

    /// Rolls back work that is done with (a read-only snapshot, a retry); a failure is
    /// ``PGTransactionError/rollback(_:after:)``.
    public func rollback() async throws {
        do {
            try await connection.execute(script: rollbackScript)
        } catch let error as PGError {
            throw PGTransactionError.rollback(error, after: nil)
        }
    }
}

/// How a transaction sees others' commits (PostgreSQL's levels; READ UNCOMMITTED is READ COMMITTED
/// there).
public enum PGIsolation: String, Sendable {
    case readCommitted = "READ COMMITTED"
    case repeatableRead = "REPEATABLE READ"
    case serializable = "SERIALIZABLE"
}

/// A transaction's own step failed, told apart from its body's error (which a transaction throws
/// as it is, once rolled back).
public enum PGTransactionError: Error, Sendable, CustomStringConvertible {
    /// BEGIN failed: nothing ran.
    case begin(PGError)
    /// COMMIT failed: nothing of the body is saved (or, on a lost connection, not known to be).
    case commit(PGError)
    /// ROLLBACK failed, after the body's error when there was one: the session is unusable and the
    /// pool discards it.
    case rollback(PGError, after: (any Error)?)

    /// The database's error for this step.
    public var databaseError: PGError {
        switch self {
        case .begin(let error), .commit(let error), .rollback(let error, _): error
        }
    }

    public var description: String {
        switch self {
        case .begin(let error): "BEGIN failed: \(error)"
        case .commit(let error): "COMMIT failed: \(error)"
        case .rollback(let error, let cause): "ROLLBACK failed: \(error)" + (cause.map { ", after: \($0)" } ?? "")
        }
    }
}

extension PGConnection {
    /// Opens a transaction that the caller ends with ``PGTransaction/commit()`` or a rollback.
    /// Prefer ``withTransaction(isolation:readOnly:_:)``, which cannot leave one open. Inside a
    /// transaction already open on the connection (a pinned request's), it is a savepoint.
    public func beginTransaction(isolation: PGIsolation? = nil, readOnly: Bool = false) async throws -> PGTransaction {
        if transactionStatus != .idle {
            let name = "nested_\(UInt32.random(in: 0...UInt32.max))"
            do {
                try await execute(script: "SAVEPOINT \(name)")
            } catch let error as PGError {
                throw PGTransactionError.begin(error)
            }
            return PGTransaction(connection: self, savepoint: name)
        }
        var begin = "BEGIN"
        if let isolation { begin += " ISOLATION LEVEL \(isolation.rawValue)" }
        if readOnly { begin += isolation == nil ? " READ ONLY" : ", READ ONLY" }
        do {
            try await execute(script: begin)
        } catch let error as PGError {
            throw PGTransactionError.begin(error)
        }
        return PGTransaction(connection: self, savepoint: nil)
    }

    /// Opens a transaction and runs `queries` in it, in one round trip (one pipeline starting with
    /// the BEGIN): a transaction's first statements, when what follows depends on their answers.
    /// When one fails, the transaction is rolled back and its error thrown as it is. Inside a
    /// transaction already open, it is a savepoint, then the queries.
    public func beginTransaction(then queries: [PGQuery]) async throws -> (PGTransaction, [PGRows]) {
        if transactionStatus != .idle {
            let transaction = try await beginTransaction()
            do {
                return (transaction, try await pipeline(queries))
            } catch {
                try await transaction.rollback(after: error)
            }
        }
        let transaction = PGTransaction(connection: self, savepoint: nil)
        do {
            return (
                transaction,
                Array(try await raw.pipelineNonBlocking([PGQuery(.unprepared("BEGIN"))] + queries, transaction: false).dropFirst())
            )
        } catch {
            if isInTransaction { try await transaction.rollback(after: error) }
            throw error
        }
    }

    /// Runs `body` inside a transaction: committed when it returns, rolled back when it throws.
    ///
    /// The body's own error is thrown as it is once rolled back; the transaction's steps fail
    /// with ``PGTransactionError`` (a failed commit, a failed rollback with the body's error
    /// kept beside it). Each statement is its own round trip; for a hot write, prefer
    /// ``pipeline(_:)``.
    public func withTransaction<T>(
        isolation: PGIsolation? = nil, readOnly: Bool = false,
        actorIsolation: isolated (any Actor)? = #isolation,
        _ body: (PGConnection) async throws -> T
    ) async throws -> T {
        let transaction = try await beginTransaction(isolation: isolation, readOnly: readOnly)
        let result: T
        do {
            result = try await body(self)
        } catch {
            try await transaction.rollback(after: error)
        }
        try await transaction.commit()
        return result
    }
}
