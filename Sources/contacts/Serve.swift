import ArgumentParser
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import Hummingbird
import Logging
import PGStore
import Service

/// `contacts serve`: the HTTP API. With no DATABASE_URL it runs on the embedded PostgreSQL, creating
/// a development account, workspace and token on first start.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP API.")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Listen address (env HOST). Default 127.0.0.1")
    var host: String?

    @Option(help: "Listen port (env PORT). Default 8080")
    var port: Int?

    @Option(help: "Database connections (env POOL_SIZE). Default 4")
    var poolSize: Int?

    @Option(help: "Connections one workspace may hold while others wait (env POOL_SHARE_PER_WORKSPACE). Default: half the pool")
    var poolSharePerWorkspace: Int?

    @Option(help: "Connections create-contacts batches may hold at once (env POOL_BULK_CONNECTIONS). Default: half the pool")
    var poolBulkConnections: Int?

    @Option(help: "Milliseconds a request waits for a free connection before a 503 (env POOL_ACQUIRE_TIMEOUT_MS). Default 2000")
    var acquireTimeoutMs: Int?

    @Option(help: "Seconds a token's lookup is cached; a revoked token works at most this long (env TOKEN_CACHE_SECONDS). Default 5")
    var tokenCacheSeconds: Double?

    @Option(help: "Largest request body in bytes (env BODY_LIMIT_BYTES). Default 262144")
    var bodyLimit: Int?

    @Option(help: "Requests per second per workspace, 0 for none (env RATE_LIMIT_PER_SECOND). Default: 100, none on the embedded database")
    var rateLimit: Double?

    @Option(help: "Where GET /metrics listens, HOST:PORT or off (env METRICS_ADDRESS). Default 127.0.0.1:9090")
    var metricsAddress: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error (env LOG_LEVEL). Default info")
    var logLevel: String?

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        let logger = makeLogger(level: logLevel ?? env["LOG_LEVEL"] ?? "info")
        var configuration = ServiceConfiguration()
        configuration.host = host ?? env["HOST"] ?? configuration.host
        configuration.port = port ?? env["PORT"].flatMap(Int.init) ?? configuration.port
        configuration.bodyLimit = bodyLimit ?? env["BODY_LIMIT_BYTES"].flatMap(Int.init) ?? configuration.bodyLimit
        if let text = metricsAddress ?? env["METRICS_ADDRESS"] {
            guard text == "off" || ListenAddress(text) != nil else { throw ValidationError("--metrics-address: HOST:PORT or off") }
            configuration.metrics = ListenAddress(text)
        }
        if let secret = env["CURSOR_SECRET"], !secret.isEmpty { configuration.cursorSecret = secret }
        if let milliseconds = env["STATEMENT_TIMEOUT_MS"].flatMap(Int.init) { configuration.statementTimeout = .milliseconds(milliseconds) }
        if let seconds = tokenCacheSeconds ?? env["TOKEN_CACHE_SECONDS"].flatMap(Double.init) {
            configuration.tokenCacheTTL = .milliseconds(Int(seconds * 1000))
        }
        configuration.pool = ConnectionPoolConfiguration(
            maxConnections: poolSize ?? env["POOL_SIZE"].flatMap(Int.init) ?? configuration.pool.maxConnections,
            acquireTimeout: .milliseconds(acquireTimeoutMs ?? env["POOL_ACQUIRE_TIMEOUT_MS"].flatMap(Int.init) ?? 2000),
            maxConnectionsPerOwner: poolSharePerWorkspace ?? env["POOL_SHARE_PER_WORKSPACE"].flatMap(Int.init),
            maxBulkConnections: poolBulkConnections ?? env["POOL_BULK_CONNECTIONS"].flatMap(Int.init)
        )

        let embedded = try await database.openEmbedded(logger: logger)
        let rate = rateLimit ?? env["RATE_LIMIT_PER_SECOND"].flatMap(Double.init) ?? (embedded == nil ? 100 : 0)
        configuration.rateLimit = RateLimiter.Configuration(rate: rate, burst: env["RATE_LIMIT_BURST"].flatMap(Double.init))
        defer { BufferedLogHandler.flush() }
        do {
            try await serve(configuration: configuration, embedded: embedded, logger: logger)
        } catch {
            try? await embedded?.stopIfStartedHere()
            throw error
        }
        try await embedded?.stopIfStartedHere()
    }

    private func serve(configuration: ServiceConfiguration, embedded: EmbeddedDatabase?, logger: Logger) async throws {
        if let ownerURL = embedded?.ownerURL ?? database.explicitOwnerURL {
            let owner = try await PGConnection.connect(PGConnectionConfiguration(url: ownerURL))
            do {
                try await Migrator(migrations: database.migrations, logger: logger).run(on: owner)
                if let embedded {
                    let token = try await DevelopmentAccount.ensure(
                        admin: AccountAdmin(connection: owner), tokenFile: database.dataDirectory.appendingPathComponent("development-token"))
                    DevelopmentAccount.printWelcome(token: token, configuration: configuration, embedded: embedded)
                }
            } catch {
                await owner.close()
                throw error
            }
            await owner.close()
        }
        guard let appURL = embedded?.appURL ?? database.appURL else {
            throw ValidationError("set DATABASE_URL (the application role) to serve")
        }
        let pool = ConnectionPool(connection: configuration.database(url: appURL), configuration: configuration.pool, logger: logger)
        do {
            try await DatabaseRoleCheck.verify(pool)
        } catch {
            await pool.close()
            throw error
        }
        let app = buildApplication(pool: pool, configuration: configuration, logger: logger)
        try await app.runService()
    }
}

func makeLogger(level: String) -> Logger {
    var logger = Logger(label: "contacts", factory: BufferedLogHandler.init(label:))
    logger.logLevel = Logger.Level(rawValue: level.lowercased()) ?? .info
    return logger
}
