import Digests
public import FoundationEssentials

/// One schema change: `sql/migrations/NNN_name.sql`, applied once, in version order, in its own
/// transaction.
public struct Migration: Sendable, Hashable {
    public let version: Int
    public let name: String
    public let sql: String
    /// SHA-256 of the file's bytes, hex: an applied file that changes is refused.
    public let checksum: String
    /// The migrations this one squashes (`-- replaces NNN_name checksum` lines): a database that
    /// applied every one of them, with those checksums, is at this migration without running it.
    public let replaces: [Replaced]

    /// A squashed migration as the database recorded it.
    public struct Replaced: Sendable, Hashable {
        public let version: Int
        public let name: String
        public let checksum: String
    }

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
        self.checksum = SHA256.hexHash(sql.utf8)
        self.replaces = sql.split(separator: "\n").compactMap(Self.replaced)
    }

    /// `-- replaces 004_nfc_tags 5d56…` → (4, "nfc_tags", "5d56…").
    private static func replaced(_ line: Substring) -> Replaced? {
        let words = line.split(separator: " ")
        guard words.count == 4, words[0] == "--", words[1] == "replaces", words[3].count == 64,
            let underscore = words[2].firstIndex(of: "_"), let version = Int(words[2][..<underscore])
        else { return nil }
        return Replaced(version: version, name: String(words[2][words[2].index(after: underscore)...]), checksum: String(words[3]))
    }

    /// Reads every `NNN_name.sql` of `directory`, sorted by version.
    public static func load(from directory: URL) throws -> [Migration] {
        var migrations: [Migration] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path) where file.hasSuffix(".sql") {
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

/// A script applied again whenever its text changes, after the migrations (Flyway's repeatable
/// `R__` files): `sql/functions/*.sql`, each `CREATE OR REPLACE`, and the Citus distribution.
public struct RepeatableScript: Sendable, Hashable {
    /// Its path under `sql/`, the key it is recorded by.
    public let name: String
    public let sql: String
    public let checksum: String
    /// Run whenever anything else was applied, not only when its own text changed (the
    /// distribution: a function dropped and created again loses its distribution).
    public let followsChanges: Bool

    public init(name: String, sql: String, followsChanges: Bool = false) {
        self.name = name
        self.sql = sql
        self.checksum = SHA256.hexHash(sql.utf8)
        self.followsChanges = followsChanges
    }
}

/// What `sql/` holds: versioned migrations, then repeatable functions, then their distribution.
public struct SchemaFiles: Sendable {
    public var migrations: [Migration]
    public var repeatables: [RepeatableScript]

    public init(migrations: [Migration], repeatables: [RepeatableScript] = []) {
        self.migrations = migrations
        self.repeatables = repeatables
    }

    /// `migrations/NNN_name.sql`, `functions/*.sql` in name order, and `distribute_functions.sql`.
    public static func load(from directory: URL) throws -> SchemaFiles {
        let functions = directory.appendingPathComponent("functions")
        var repeatables: [RepeatableScript] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: functions.path).sorted() where file.hasSuffix(".sql") {
            let sql = try String(contentsOf: functions.appendingPathComponent(file), encoding: .utf8)
            repeatables.append(RepeatableScript(name: "functions/\(file)", sql: sql))
        }
        let distribution = directory.appendingPathComponent("distribute_functions.sql")
        if FileManager.default.fileExists(atPath: distribution.path) {
            let sql = try String(contentsOf: distribution, encoding: .utf8)
            repeatables.append(RepeatableScript(name: "distribute_functions.sql", sql: sql, followsChanges: true))
        }
        return SchemaFiles(migrations: try Migration.load(from: directory.appendingPathComponent("migrations")), repeatables: repeatables)
    }
}

/// Why migrations were refused.
public enum MigrationError: Error, Sendable, Hashable, CustomStringConvertible {
    case badFileName(String)
    case duplicateVersion(Int)
    /// The file of an applied migration changed since it was applied: fix the file, never the database.
    case checksumMismatch(version: Int, name: String)
    /// The database applied part of what a squashed migration replaces, or another version of it:
    /// it must first be brought to the end of that history by a release that still has its files.
    case partOfSquashedHistory(squashedInto: Int, missing: [Int], changed: [Int])
    case failed(version: Int, name: String, PGErrorSummary)
    case repeatableFailed(name: String, PGErrorSummary)

    public var description: String {
        switch self {
        case .badFileName(let file): "migration file name \(file) is not NNN_name.sql"
        case .duplicateVersion(let version): "two migration files have version \(version)"
        case .checksumMismatch(let version, let name):
            "migration \(version)_\(name) was changed after it was applied; refusing to start"
        case .partOfSquashedHistory(let version, let missing, let changed):
            "migration \(version) squashes a history this database applied only part of (missing \(missing), changed \(changed)): "
                + "migrate it first with a release from before the squash"
        case .failed(let version, let name, let error): "migration \(version)_\(name) failed: \(error)"
        case .repeatableFailed(let name, let error): "sql/\(name) failed: \(error)"
        }
    }
}

/// The parts of a ``PGError`` worth keeping in a ``MigrationError`` (which must be `Hashable`).
public struct PGErrorSummary: Sendable, Hashable, CustomStringConvertible {
    public var sqlState: SQLState?
    public var message: String
    public var description: String { "\(message) (SQLSTATE \(sqlState?.rawValue ?? "none"))" }
}
