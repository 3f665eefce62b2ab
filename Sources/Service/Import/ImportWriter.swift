import AsyncAlgorithms
import FoundationEssentials
import PGStore
import Synchronization

/// One of the import's database sessions: takes staged batches from its channel one at a time and
/// writes each: COPY into `import_staging` under its own key, then one call that upserts the batch
/// set-wise and removes it.
///
/// Each writer gets the rows of its own share of phones, in file order, so the last row of a phone
/// wins even with several writers running at once, and the writer alone can tell what the import
/// did to each of its phones (``PhoneOutcomes``).
struct ImportWriter: Sendable {
    let session: ImportSession
    let tenant: UUID
    /// This writer's key in `import_staging`, for this run.
    let writer: UUID
    /// Which columns the file has: an absent one leaves that field of existing contacts alone.
    let columns: ImportColumns

    /// Writes every batch the channel yields until it is finished. After a failure the writer
    /// keeps taking batches without writing them, so the reader never waits on it forever, and
    /// throws the first error at the end; `failed` tells the reader to stop early. `written` runs
    /// after each batch (a job's progress and lease).
    func drain(
        _ batches: AsyncChannel<StagedBatch>, failed: ImportFailure, written: @Sendable () async throws -> Void
    ) async throws -> PhoneOutcomes {
        var outcomes = PhoneOutcomes()
        var firstError: (any Error)?
        do {
            try await session.with { try await $0.query(ImportSQL.discardAbandoned, [tenant]) }
        } catch {
            firstError = error
            failed.signal()
        }
        for await batch in batches where firstError == nil {
            do {
                try await write(batch, into: &outcomes)
                try await written()
            } catch {
                firstError = error
                failed.signal()
            }
        }
        if let firstError { throw firstError }
        return outcomes
    }

    /// Two round trips, each its own transaction: the COPY under this writer's key, then the call
    /// that writes the batch and removes it (all or nothing). When the call fails, the staged rows
    /// are removed.
    private func write(_ batch: StagedBatch, into outcomes: inout PhoneOutcomes) async throws {
        guard batch.rows.rowCount > 0 else { return }
        let (created, updated) = try await session.with { connection in
            do {
                try await connection.copyIn(ImportSQL.copy, data: batch.rows.bytes)
                let binds: [any PGEncodable] = [
                    tenant, writer, columns.name != nil, columns.email != nil, columns.tags != nil, columns.metadata != nil,
                ]
                // A batch may outlast the service's statement_timeout (meant for requests): the
                // session's is raised around the call, which stays a statement of its own (Citus
                // delegates a call to the tenant's node only outside a transaction block).
                try await connection.execute(script: "SET statement_timeout = '300s'")
                let answer = try await connection.query(ImportSQL.writeBatch, binds)
                try await connection.execute(script: "RESET statement_timeout")
                return (
                    try answer[0].decode([String].self, column: "created_phones"),
                    try answer[0].decode([String].self, column: "updated_phones")
                )
            } catch {
                _ = try? await connection.execute(script: "RESET statement_timeout")
                _ = try? await connection.query(ImportSQL.discardBatch, [tenant, writer])
                throw error
            }
        }
        outcomes.record(batch: batch.phones, created: created, updated: updated)
    }
}

/// Where a writer's statements run: a connection of its own for the whole import (the CLI), or a
/// connection leased from the pool for each batch (an import job), so that between two batches
/// interactive requests get the connection first.
enum ImportSession: Sendable {
    case connection(PGConnection)
    case pooled(ConnectionPool, PoolLease)

    @discardableResult
    func with<T>(isolation: isolated (any Actor)? = #isolation, _ body: (PGConnection) async throws -> T) async throws -> T {
        switch self {
        case .connection(let connection): try await body(connection)
        case .pooled(let pool, let lease): try await pool.withConnection(lease: lease, body)
        }
    }
}

/// A writer's batch: its COPY rows, and the phone of each row (as ``PhoneOutcomes`` keys them).
struct StagedBatch: Sendable {
    var rows = PGCopyText(capacity: 0)
    var phones: [UInt64] = []

    mutating func append(_ other: StagedBatch) {
        rows.append(other.rows)
        phones += other.phones
    }
}

/// What an import did to each phone of one writer, counted once per phone by its last row, and
/// the rows that a later row of the same phone superseded (API.md: `read` is the sum of the counts).
///
/// A phone that comes back in a later batch keeps what the import did to it first when that was a
/// creation or an update (a new contact that a later row changes again was still created), and
/// takes the later outcome when the first left it unchanged.
struct PhoneOutcomes: Sendable {
    enum Outcome: UInt8 { case created, updated, unchanged }

    private var byPhone: [UInt64: Outcome] = [:]
    private(set) var created = 0
    private(set) var updated = 0
    private(set) var unchanged = 0
    private(set) var superseded = 0

    /// An E.164 number as a key: `+` and at most 15 digits, the first not 0, so the digits read as
    /// one integer name the phone alone (a dictionary of integers, not of strings, for millions of phones).
    static func key(_ phone: String) -> UInt64 {
        var value: UInt64 = 0
        for byte in phone.utf8.dropFirst() { value = value &* 10 &+ UInt64(byte &- UInt8(ascii: "0")) }
        return value
    }

    mutating func record(batch phones: [UInt64], created createdPhones: [String], updated updatedPhones: [String]) {
        var outcomes: [UInt64: Outcome] = [:]
        outcomes.reserveCapacity(phones.count)
        for phone in phones { outcomes[phone] = .unchanged }
        for phone in createdPhones { outcomes[Self.key(phone)] = .created }
        for phone in updatedPhones { outcomes[Self.key(phone)] = .updated }
        superseded += phones.count - outcomes.count
        for (phone, outcome) in outcomes {
            var final = outcome
            if let earlier = byPhone[phone] {
                superseded += 1
                count(earlier, -1)
                if earlier != .unchanged { final = earlier }
            }
            byPhone[phone] = final
            count(final, 1)
        }
    }

    private mutating func count(_ outcome: Outcome, _ delta: Int) {
        switch outcome {
        case .created: created += delta
        case .updated: updated += delta
        case .unchanged: unchanged += delta
        }
    }
}

/// Set by the first writer that fails, read by the reader between chunks.
final class ImportFailure: Sendable {
    private let flag = Mutex(false)

    func signal() { flag.withLock { $0 = true } }
    var happened: Bool { flag.withLock { $0 } }
}
