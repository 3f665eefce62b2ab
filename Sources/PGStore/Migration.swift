import Digests
public import FoundationEssentials

/// One schema change: `sql/NNN_name.sql`, applied once, in version order, in its own transaction.
public struct Migration: Sendable, Hashable {
    public let version: Int
    public let name: String
    public let sql: String
    /// SHA-256 of the file's bytes, hex: an applied file that changes is refused.
    public let checksum: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
        self.checksum = SHA256.hexHash(sql.utf8)
    }

    /// Reads every `NNN_name.sql` of `directory`, sorted by version.
    public static func load(from directory: URL) throws -> [Migration] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".sql") }
        var migrations: [Migration] = []
        for file in files {
            let stem = file.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]), version > 0 else {
                throw MigrationError.badFileName(file)
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            migrations.append(Migration(version: version, name: String(stem[stem.index(after: underscore)...]), sql: sql))
        }
        migrations.sort { $0.version < $1.version }
        for (a, b) in zip(migrations, migrations.dropFirst()) where a.version == b.version {
            throw MigrationError.duplicateVersion(a.version)
        }
        return migrations
    }
}

/// Why migrations were refused.
public enum MigrationError: Error, Sendable, Hashable, CustomStringConvertible {
    case badFileName(String)
    case duplicateVersion(Int)
    /// The file of an applied migration changed since it was applied: fix the file, never the database.
    case checksumMismatch(version: Int, name: String)
    case failed(version: Int, name: String, PGErrorSummary)

    public var description: String {
        switch self {
        case .badFileName(let file): "migration file name \(file) is not NNN_name.sql"
        case .duplicateVersion(let version): "two migration files have version \(version)"
        case .checksumMismatch(let version, let name):
            "migration \(version)_\(name) was changed after it was applied; refusing to start"
        case .failed(let version, let name, let error): "migration \(version)_\(name) failed: \(error)"
        }
    }
}

/// The parts of a ``PGError`` worth keeping in a ``MigrationError`` (which must be `Hashable`).
public struct PGErrorSummary: Sendable, Hashable, CustomStringConvertible {
    public var sqlState: SQLState?
    public var message: String
    public var description: String { "\(message) (SQLSTATE \(sqlState?.rawValue ?? "none"))" }
}
