import ArgumentParser
import FoundationEssentials
import PGStore
import Service

#if canImport(Glibc)
    import Glibc
#endif

/// `contacts import FILE.csv --account ID`: bulk upsert from CSV (columns phone, name, email, tags,
/// metadata; a header row). Invalid rows are written to an error report and never stop the import.
struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Import contacts from a CSV file into an account's workspace.")

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The CSV file.") var file: String
    @Option(help: "The account whose workspace receives the contacts.") var account: String
    @Option(help: "Where to write the error report (CSV: row,field,reason). Default: FILE.errors.csv")
    var errors: String?
    @Option(help: "Database sessions writing at once (each takes its own share of phones).")
    var jobs = 2
    @Option(help: "Rows per transaction and writer.")
    var batchSize = 20_000

    func run() async throws {
        guard let accountID = UUID(uuidString: account) else { throw ValidationError("--account is not a uuid") }
        let reportPath = errors ?? file + ".errors.csv"
        let report = ErrorReport(path: reportPath)
        let interactive = isatty(STDOUT_FILENO) == 1
        let started = ContinuousClock.now
        guard (1...16).contains(jobs) else { throw ValidationError("--jobs must be between 1 and 16") }
        guard (1...1_000_000).contains(batchSize) else { throw ValidationError("--batch-size must be between 1 and 1000000") }
        let summary = try await database.withOwnerConnections(jobs, logger: quietLogger) { connections in
            guard let tenant = try await AccountAdmin(connection: connections[0]).workspace(of: accountID) else {
                throw ValidationError("account \(account) has no workspace")
            }
            return try await CSVImporter(connections: connections, tenant: tenant, batchSize: batchSize).run(
                file: URL(fileURLWithPath: file),
                report: { report.write($0) },
                progress: { rows in
                    guard interactive else { return }
                    let seconds = (ContinuousClock.now - started).inSeconds
                    writeToStandardOutput("\r\u{1B}[K[import] \(rows) rows, \(Int(Double(rows) / max(seconds, 0.001))) rows/s")
                })
        }
        report.close()
        let seconds = (ContinuousClock.now - started).inSeconds
        if interactive { writeToStandardOutput("\r\u{1B}[K") }
        print(
            "imported \(summary.rows) rows in \(decimalText(seconds)) s (\(Int(Double(summary.rows) / max(seconds, 0.001))) rows/s): "
                + "\(summary.created) created, \(summary.updated) updated, \(summary.unchanged) unchanged, \(summary.superseded) superseded, \(summary.invalid) invalid"
                + (summary.invalid > 0 ? " (report: \(reportPath))" : ""))
    }
}

/// The error report: `row,field,reason`, created on the first error only.
final class ErrorReport: @unchecked Sendable {
    private let path: String
    private var file: UnsafeMutablePointer<FILE>?

    init(path: String) {
        self.path = path
        unlink(path)
    }

    /// Called from the importer's task only (one writer), hence `@unchecked Sendable`.
    func write(_ error: CSVImporter.RowError) {
        if file == nil {
            file = fopen(path, "w")
            fputs("row,field,reason\n", file)
        }
        let reason = "\"" + error.reason.replacing("\"", with: "\"\"") + "\""
        fputs("\(error.row),\(error.field),\(reason)\n", file)
    }

    func close() {
        if let file { fclose(file) }
        file = nil
    }
}
