import AsyncAlgorithms
import Synchronization
import FoundationEssentials
import PGStore

/// One of the import's database sessions: takes staged batches from its channel one at a time and
/// writes each: COPY into `import_staging` under its own key, then one call that upserts the batch
/// set-wise and removes it.
///
/// Each writer gets the rows of its own share of phones, in file order, so the last row of a phone
/// wins even with several writers running at once.
struct ImportWriter: Sendable {
    struct Totals: Sendable {
        var created = 0
        var updated = 0
        var unchanged = 0
    }

    let connection: PGConnection
    let tenant: UUID
    /// This writer's key in `import_staging`, for this run.
    let writer: UUID

    /// Writes every batch the channel yields until it is finished. After a failure the writer
    /// keeps taking batches without writing them, so the reader never waits on it forever, and
    /// throws the first error at the end; `failed` tells the reader to stop early.
    func drain(_ batches: AsyncChannel<PGCopyText>, failed: ImportFailure) async throws -> Totals {
        var totals = Totals()
        var firstError: (any Error)?
        do {
            try await connection.query(ImportSQL.discardAbandoned, [tenant])
        } catch {
            firstError = error
            failed.signal()
        }
        for await batch in batches where firstError == nil {
            do {
                try await write(batch, into: &totals)
            } catch {
                firstError = error
                failed.signal()
            }
        }
        if let firstError { throw firstError }
        return totals
    }

    /// Two round trips, each its own transaction: the COPY under this writer's key, then the call
    /// that writes the batch and removes it (all or nothing). When the call fails, the staged rows
    /// are removed.
    private func write(_ batch: PGCopyText, into totals: inout Totals) async throws {
        guard batch.rowCount > 0 else { return }
        do {
            try await connection.copyIn(ImportSQL.copy, data: batch.bytes)
            let counts = try await connection.query(ImportSQL.writeBatch, [tenant, writer])
            let created = try counts[0].decode(Int.self, column: "created")
            let updated = try counts[0].decode(Int.self, column: "updated")
            totals.created += created
            totals.updated += updated
            totals.unchanged += try counts[0].decode(Int.self, column: "phones") - created - updated
        } catch {
            _ = try? await connection.query(ImportSQL.discardBatch, [tenant, writer])
            throw error
        }
    }
}

/// Set by the first writer that fails, read by the reader between chunks.
final class ImportFailure: Sendable {
    private let flag = Mutex(false)

    func signal() { flag.withLock { $0 = true } }
    var happened: Bool { flag.withLock { $0 } }
}
