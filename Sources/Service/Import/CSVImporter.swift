import CSV
public import Foundation
public import PGStore

/// `contacts import`: a CSV file (header row; columns phone, name, email, tags, metadata in any
/// order) validated row by row exactly as create-contact validates a body, then streamed through
/// `COPY` into a staging table and upserted set-wise, one transaction per batch.
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
        public var invalid = 0
    }

    public enum ImportError: Error, CustomStringConvertible {
        case unreadable(String)
        case missingPhoneColumn
        case malformedCSV(afterRow: Int, reason: String)

        public var description: String {
            switch self {
            case .unreadable(let path): "cannot read \(path)"
            case .missingPhoneColumn: "the header row has no phone column"
            case .malformedCSV(let row, let reason): "the CSV cannot be read after row \(row): \(reason)"
            }
        }
    }

    let connection: PGConnection
    let tenant: UUID
    let batchSize: Int

    public init(connection: PGConnection, tenant: UUID, batchSize: Int = 20_000) {
        self.connection = connection
        self.tenant = tenant
        self.batchSize = batchSize
    }

    /// Imports `file`; `report` gets each invalid field, `progress` the rows read so far.
    public func run(
        file: URL, report: (RowError) -> Void, progress: (Int) -> Void = { _ in }
    ) async throws -> Summary {
        guard let stream = InputStream(url: file) else { throw ImportError.unreadable(file.path) }
        let reader = try CSVReader(stream: stream, hasHeaderRow: true)
        let header = (reader.headerRow ?? []).map {
            $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\u{FEFF}")).lowercased()
        }
        guard let phoneColumn = header.firstIndex(of: "phone") else { throw ImportError.missingPhoneColumn }
        let columns = ImportColumns(
            phone: phoneColumn, name: header.firstIndex(of: "name"), email: header.firstIndex(of: "email"),
            tags: header.firstIndex(of: "tags"), metadata: header.firstIndex(of: "metadata"))

        try await connection.execute(script: ImportSQL.createStaging)
        var summary = Summary()
        var batch = PGCopyText()
        var rowNumber = 1
        while let fields = reader.next() {
            rowNumber += 1
            summary.rows += 1
            if fields.count == 1, fields[0].isEmpty { summary.rows -= 1; continue }  // blank line
            switch columns.validate(fields) {
            case .success(let input):
                batch.column(rowNumber)
                batch.column(ULID().uuid)
                batch.column(input.phone)
                batch.column(input.name)
                batch.column(input.email)
                batch.column(input.tags)
                batch.column(PGJSON(input.metadataJSON))
                batch.endRow()
            case .failure(let errors):
                summary.invalid += 1
                for (field, messages) in errors.entries {
                    for message in messages { report(RowError(row: rowNumber, field: field, reason: message)) }
                }
            }
            if batch.rowCount >= batchSize {
                try await flush(&batch, into: &summary)
                progress(summary.rows)
            }
        }
        // CSV.swift reports `cannotReadFile` on reaching the end of a stream: only an error elsewhere counts.
        if let error = reader.error, stream.streamStatus != .atEnd {
            throw ImportError.malformedCSV(afterRow: rowNumber, reason: "\(error)")
        }
        try await flush(&batch, into: &summary)
        progress(summary.rows)
        return summary
    }

    private func flush(_ batch: inout PGCopyText, into summary: inout Summary) async throws {
        guard batch.rowCount > 0 else { return }
        do {
            try await connection.execute(script: "BEGIN")
            try await connection.query(ContactStore.setTenant, [tenant.uuidString])
            try await connection.execute(script: "TRUNCATE import_staging")
            try await connection.copyIn(ImportSQL.copy, data: batch.bytes)
            let written = try await connection.query(ImportSQL.upsert, [tenant])
            try await connection.query(ImportSQL.insertTags, [tenant])
            try await connection.query(ImportSQL.replaceLinks, [tenant])
            let distinct = try await connection.query(ImportSQL.distinctPhones)
            try await connection.execute(script: "COMMIT")
            let created = try written.filter { try $0.decode(Bool.self, column: "inserted") }.count
            summary.created += created
            summary.updated += written.count - created
            summary.unchanged += try distinct[0].decode(Int.self, at: 0) - written.count
        } catch {
            _ = try? await connection.execute(script: "ROLLBACK")
            throw error
        }
        batch.removeAll()
    }
}

/// Where each field is in a row, and the row's validation (the same rules as create-contact).
struct ImportColumns {
    var phone: Int
    var name: Int?
    var email: Int?
    var tags: Int?
    var metadata: Int?

    func validate(_ fields: [String]) -> Result<ContactInput, FieldErrors> {
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
            if let value = try? JSONParser.parse(Array(text.utf8)) {
                metadataJSON = Metadata.validate(value, rawText: text[...].utf8, errors: &errors)
            } else {
                errors.add("metadata", "metadata is not valid JSON")
                metadataJSON = nil
            }
        }
        guard errors.isEmpty, let phone, let metadataJSON else { return .failure(errors) }
        return .success(ContactInput(phone: phone, name: name, email: email, tags: tags, metadataJSON: metadataJSON))
    }
}
