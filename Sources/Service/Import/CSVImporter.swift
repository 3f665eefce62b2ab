import AsyncAlgorithms
public import FoundationEssentials
public import PGStore

/// `contacts import`: a CSV file (header row; columns phone, name, email, tags, metadata in any
/// order) validated row by row exactly as create-contact validates a body, then streamed through
/// `COPY` into `import_staging` and upserted set-wise by one call per batch.
///
/// Bad rows go to the error report and never stop the import. Re-running the same file changes
/// nothing: unchanged contacts are not rewritten and keep their `updated_at`.
public struct CSVImporter: Sendable {
    public struct RowError: Sendable, Equatable {
        /// The record's number in the file, the header being 1.
        public var row: Int
        public var field: String
        public var reason: String
    }

    public struct Summary: Sendable, Equatable {
        public var rows = 0
        public var created = 0
        public var updated = 0
        public var unchanged = 0
        /// Valid rows followed by a later row of the same phone (the last one wins).
        public var superseded = 0
        public var invalid = 0
    }

    public enum ImportError: Error, CustomStringConvertible {
        case unreadable(String)
        case missingPhoneColumn
        /// The header names one of the import's columns twice: which value would count is a guess.
        case duplicateColumn(String)
        /// The header has more than ``CSVImporter/maximumColumns`` columns.
        case tooManyColumns(Int)
        /// The file has more than this many records besides its header (an import job's cap).
        case tooManyRows(Int)
        case malformedCSV(afterRow: Int, reason: String)
        /// The caller asked the import to stop (a job at shutdown): it may run again from the start.
        case stopped

        public var description: String {
            switch self {
            case .unreadable(let path): "cannot read \(path)"
            case .missingPhoneColumn: "the header row has no phone column"
            case .duplicateColumn(let name): "the header row names the column \(name) twice"
            case .tooManyColumns(let limit): "the header row has more than \(limit) columns"
            case .tooManyRows(let limit): "the file has more than \(limit) rows (one job takes at most that many)"
            case .malformedCSV(let row, let reason): "the CSV cannot be read after row \(row): \(reason)"
            case .stopped: "the import was stopped"
            }
        }
    }

    let sessions: [ImportSession]
    let tenant: UUID
    let batchSize: Int

    /// `connections`: one writer each (distinct sessions); more than one writes batches in
    /// parallel, each writer owning a share of the phones. `batchSize`: rows per transaction.
    public init(connections: [PGConnection], tenant: UUID, batchSize: Int = 20_000) {
        precondition(!connections.isEmpty, "an import needs a connection")
        self.sessions = connections.map { .connection($0) }
        self.tenant = tenant
        self.batchSize = batchSize
    }

    /// `writers` writers that lease a connection from `pool` for each batch, under `lease` (an
    /// import job: bulk, so it holds at most the pool's bulk share and waits behind interactive
    /// requests at every batch).
    public init(pool: ConnectionPool, lease: PoolLease, writers: Int, tenant: UUID, batchSize: Int = 20_000) {
        self.sessions = (0..<max(1, writers)).map { _ in .pooled(pool, lease) }
        self.tenant = tenant
        self.batchSize = batchSize
    }

    public init(connection: PGConnection, tenant: UUID, batchSize: Int = 20_000) {
        self.init(connections: [connection], tenant: tenant, batchSize: batchSize)
    }

    /// Records read and validated at a time, in two halves on two cores...
    static let chunkSize = 4_096
    /// ...or fewer, once they take this many bytes of the file: with the field cap below, what a
    /// chunk holds is bounded by bytes, not by what the file's rows are made of.
    static let chunkBytes = 8 << 20
    /// A writer's batch is sent once it holds this many bytes, even short of its row count: a
    /// batch of rows with 64 KiB of metadata each stays this size, not the row count's times that.
    static let batchBytes = 16 << 20
    /// Columns a header may have. A data row may have as many cells as its header, no more and no
    /// fewer (RFC 4180): cells past the header's count are counted, never kept, so a row of
    /// millions of empty cells costs what its bytes cost to read and nothing more.
    public static let maximumColumns = 1_000
    /// The columns the import reads; the header may name each at most once.
    static let knownColumns = ["phone", "name", "email", "tags", "metadata"]

    /// Imports `file`; `report` gets each invalid field, `progress` the rows read so far, `written`
    /// runs after each batch a writer has written; `shouldStop`, asked between chunks, ends the
    /// import with ``ImportError/stopped``.
    ///
    /// Three things overlap: reading and validating the next chunk of records (both cores), and
    /// each writer's transaction in PostgreSQL. A writer takes one batch at a time, so at most one
    /// batch per writer waits in memory.
    /// `maximumRows`: records after the header past which the import stops with
    /// ``ImportError/tooManyRows(_:)`` (what it keeps per phone is bounded by it).
    public func run(
        file: URL, report: (RowError) -> Void, progress: (Int) -> Void = { _ in },
        written: @escaping @Sendable () async throws -> Void = {}, shouldStop: () -> Bool = { false },
        maximumRows: Int = .max
    ) async throws -> Summary {
        var reader: CSVRecordReader
        do { reader = try CSVRecordReader(path: file.path) } catch { throw ImportError.unreadable(file.path) }
        reader.maximumFields = Self.maximumColumns
        let headerFields: [String]
        switch try next(from: &reader, afterRow: 0) {
        case .fields(let fields): headerFields = fields
        case .tooManyFields: throw ImportError.tooManyColumns(Self.maximumColumns)
        case .malformed, nil: throw ImportError.missingPhoneColumn
        }
        let header = headerFields.map { $0.trimmingWhitespace().lowercased() }
        for name in Self.knownColumns where header.count(where: { $0 == name }) > 1 { throw ImportError.duplicateColumn(name) }
        guard let phoneColumn = header.firstIndex(of: "phone") else { throw ImportError.missingPhoneColumn }
        reader.maximumFields = header.count
        let columns = ImportColumns(
            count: header.count, phone: phoneColumn, name: header.firstIndex(of: "name"), email: header.firstIndex(of: "email"),
            tags: header.firstIndex(of: "tags"), metadata: header.firstIndex(of: "metadata"))

        let channels = sessions.map { _ in AsyncChannel<StagedBatch>() }
        let writers = sessions.map { ImportWriter(session: $0, tenant: tenant, writer: UUID(), columns: columns) }
        let staging = StagingKeys(tenant: tenant, writers: writers.map(\.writer))
        let failure = ImportFailure()
        return try await withThrowingTaskGroup(of: PhoneOutcomes.self) { group in
            for (writer, channel) in zip(writers, channels) {
                group.addTask { try await writer.drain(channel, failed: failure, written: written) }
            }
            var summary = Summary()
            do {
                try await read(
                    &reader, columns: columns, staging: staging, into: channels, summary: &summary, failure: failure, report: report,
                    progress: progress, shouldStop: shouldStop, maximumRows: maximumRows)
            } catch {
                for channel in channels { channel.finish() }
                throw error
            }
            for channel in channels { channel.finish() }
            for try await outcomes in group {
                summary.created += outcomes.created
                summary.updated += outcomes.updated
                summary.unchanged += outcomes.unchanged
                summary.superseded += outcomes.superseded
            }
            progress(summary.rows)
            return summary
        }
    }

    /// Reads the file chunk by chunk, validates each chunk on both cores and hands full batches
    /// to the writers.
    private func read(
        _ reader: inout CSVRecordReader, columns: ImportColumns, staging: StagingKeys, into channels: [AsyncChannel<StagedBatch>],
        summary: inout Summary, failure: ImportFailure, report: (RowError) -> Void, progress: (Int) -> Void, shouldStop: () -> Bool,
        maximumRows: Int
    ) async throws {
        var pending = channels.map { _ in StagedBatch() }
        var rowNumber = 1
        var endOfFile = false
        while !endOfFile, !failure.happened {
            var chunk: [(row: Int, record: CSVRecordReader.Record)] = []
            chunk.reserveCapacity(Self.chunkSize)
            var chunkBytes = 0
            while chunk.count < Self.chunkSize, chunkBytes < Self.chunkBytes {
                guard let record = try next(from: &reader, afterRow: rowNumber) else {
                    endOfFile = true
                    break
                }
                rowNumber += 1
                guard rowNumber - 1 <= maximumRows else { throw ImportError.tooManyRows(maximumRows) }
                chunkBytes += reader.lastRecordBytes
                if record == .fields([""]) { continue }  // a blank line
                chunk.append((rowNumber, record))
            }
            let firstHalf = chunk[..<(chunk.count / 2)]
            let secondHalf = chunk[(chunk.count / 2)...]
            async let first = ValidatedChunk(firstHalf, columns: columns, staging: staging)
            let second = ValidatedChunk(secondHalf, columns: columns, staging: staging)
            for half in [await first, second] {
                summary.rows += half.rows
                summary.invalid += half.invalid
                half.errors.forEach(report)
                for (partition, rows) in half.batches.enumerated() { pending[partition].append(rows) }
            }
            for (partition, channel) in channels.enumerated()
            where pending[partition].rows.rowCount >= batchSize || pending[partition].rows.bytes.count >= Self.batchBytes
                || (endOfFile && pending[partition].rows.rowCount > 0)
            {
                await channel.send(pending[partition])
                pending[partition] = StagedBatch()
            }
            try Task.checkCancellation()
            if shouldStop() { throw ImportError.stopped }
            progress(summary.rows)
        }
    }

    private func next(from reader: inout CSVRecordReader, afterRow row: Int) throws -> CSVRecordReader.Record? {
        do { return try reader.next() } catch { throw ImportError.malformedCSV(afterRow: row, reason: "read error \(error.errno)") }
    }
}

/// One chunk of records, validated: COPY rows for each writer's share of phones, and errors.
struct ValidatedChunk: Sendable {
    var batches: [StagedBatch]
    var errors: [CSVImporter.RowError] = []
    var rows = 0
    var invalid = 0

    init(_ records: ArraySlice<(row: Int, record: CSVRecordReader.Record)>, columns: ImportColumns, staging: StagingKeys) {
        let partitions = staging.writers.count
        batches = (0..<partitions).map { _ in StagedBatch(rows: PGCopyText(capacity: records.count * 160 / partitions)) }
        for (row, record) in records {
            rows += 1
            let fields: [String]
            switch record {
            case .fields(let values): fields = values
            case .malformed(let reason):
                invalid += 1
                errors.append(CSVImporter.RowError(row: row, field: "row", reason: reason))
                continue
            case .tooManyFields(let count):
                invalid += 1
                errors.append(
                    CSVImporter.RowError(row: row, field: "row", reason: ImportColumns.cellCountMessage(count, header: columns.count)))
                continue
            }
            switch columns.validate(fields) {
            case .success(let input):
                // Any hash stable for the run will do: a phone must always go to the same writer.
                let partition = Int(UInt(bitPattern: input.phone.hashValue) % UInt(partitions))
                batches[partition].rows.column(staging.tenant)
                batches[partition].rows.column(staging.writers[partition])
                batches[partition].rows.column(row)
                batches[partition].rows.column(ULID().uuid)
                batches[partition].rows.column(input.phone)
                batches[partition].rows.column(input.name)
                batches[partition].rows.column(input.email)
                batches[partition].rows.column(input.tags)
                batches[partition].rows.column(PGJSON(input.metadataJSON))
                batches[partition].rows.endRow()
                batches[partition].phones.append(PhoneOutcomes.key(input.phone))
            case .failure(let fieldErrors):
                invalid += 1
                for (field, messages) in fieldErrors.entries {
                    for message in messages { errors.append(CSVImporter.RowError(row: row, field: field, reason: message)) }
                }
            }
        }
    }
}

/// Whose rows a batch stages: the workspace, and the writer (one per session) that owns them.
struct StagingKeys: Sendable {
    var tenant: UUID
    var writers: [UUID]
}

/// Where each field is in a row, and the row's validation (the same rules as create-contact).
struct ImportColumns: Sendable {
    /// The header's columns: a row must have as many cells (a missing cell is not an empty one).
    var count: Int
    var phone: Int
    var name: Int?
    var email: Int?
    var tags: Int?
    var metadata: Int?

    static func cellCountMessage(_ cells: Int, header: Int) -> String {
        "the row has \(cells) \(cells == 1 ? "cell" : "cells") where the header has \(header)"
    }

    func validate(_ fields: [String]) -> Result<ContactInput, FieldErrors> {
        guard fields.count == count else {
            var errors = FieldErrors()
            errors.add("row", Self.cellCountMessage(fields.count, header: count))
            return .failure(errors)
        }
        func field(_ index: Int?) -> String? {
            guard let index, index < fields.count else { return nil }
            return fields[index]
        }
        var errors = FieldErrors()
        let phoneText = field(phone) ?? ""
        let phone = ContactInput.validatePhone(phoneText.trimmingWhitespace().isEmpty ? nil : .string(phoneText), errors: &errors)
        let name = ContactInput.validateName(field(name).map(JSONValue.string), errors: &errors)
        let email = ContactInput.validateEmail(field(email).map(JSONValue.string), errors: &errors)
        let tags = field(tags).map { TagList.parse(.string($0), errors: &errors) } ?? []
        var metadataJSON: String? = "{}"
        if let text = field(metadata), !text.trimmingWhitespace().isEmpty {
            do {
                let value = try JSONParser.parse(Array(text.utf8))
                metadataJSON = Metadata.validate(value, rawText: text[...].utf8, errors: &errors)
            } catch {
                errors.add("metadata", error.reason == .tooDeep ? Metadata.tooDeep : "metadata is not valid JSON")
                metadataJSON = nil
            }
        }
        guard errors.isEmpty, let phone, let metadataJSON else { return .failure(errors) }
        return .success(ContactInput(phone: phone, name: name, email: email, tags: tags, metadataJSON: metadataJSON))
    }
}
