import FoundationEssentials
import Logging
import PGStore
import Service

#if canImport(Glibc)
    import Glibc
#endif

/// The development database: a private PostgreSQL in the data folder, with the schema owner and
/// application roles and the `contacts` database created on first start.
struct EmbeddedDatabase {
    let server: EmbeddedPostgres
    /// True when this process started the server (and so stops it on exit).
    let startedHere: Bool

    var ownerURL: String { server.url(user: "contacts_owner", database: "contacts") }
    var appURL: String { server.url(user: "contacts_app", database: "contacts") }

    static func open(dataDirectory: URL, logger: Logger) async throws -> EmbeddedDatabase {
        var directory = dataDirectory.appendingPathComponent("postgres")
        if !EmbeddedPostgres.serverUserCanReach(directory) {
            // Running as root in a folder the postgres user cannot enter (under /root, say).
            let key = String(UInt32(truncatingIfNeeded: dataDirectory.path.hashValueStable), radix: 16)
            directory = URL(fileURLWithPath: "/var/tmp/contacts-embedded-\(key)/postgres")
            logger.notice("the postgres user cannot reach the data folder; using \(directory.path)")
        }
        let server = try EmbeddedPostgres(directory: directory)
        try await server.initializeIfNeeded()
        var startedHere = false
        if await !server.isRunning() {
            logger.info("starting the embedded PostgreSQL", metadata: ["pg.directory": "\(directory.path)"])
            try await server.start()
            startedHere = true
        }
        let database = EmbeddedDatabase(server: server, startedHere: startedHere)
        try await DatabaseBootstrap.createRolesAndDatabase(superuser: PGConnectionConfiguration(url: server.url()))
        return database
    }

    func stopIfStartedHere() async throws {
        if startedHere { try await server.stop() }
    }
}

extension String {
    /// FNV-1a: stable across runs, unlike `hashValue`.
    var hashValueStable: UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }
}
