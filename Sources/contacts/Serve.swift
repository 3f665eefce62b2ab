import ArgumentParser
import Configuration
import FoundationEssentials
import Hummingbird
import Logging
import PGStore
import Service
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// `contacts serve`: the HTTP API. With no DATABASE_URL it runs on the embedded PostgreSQL, creating
/// a development account, workspace and token on first start.
///
/// Its settings are read by swift-configuration (``ServiceSetting/all``: flags, then environment
/// variables, then defaults), so ArgumentParser only passes them through; unknown flags and
/// unreadable values are refused before anything starts.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the HTTP API.",
        discussion: "Settings (a flag wins over its environment variable):\n" + ServiceSetting.helpText)

    @OptionGroup var database: DatabaseOptions

    @Argument(parsing: .allUnrecognized, help: "Settings, as listed below (--pool-size 8 or --pool-size=8).")
    var settings: [String] = []

    func validate() throws {
        let flags = Set(ServiceSetting.all.map(\.flag))
        for argument in settings where argument.hasPrefix("-") {
            let flag = String(argument.prefix { $0 != "=" })
            guard flags.contains(flag) else { throw ValidationError("unknown option \(flag) (see contacts serve --help)") }
        }
    }

    func run() async throws {
        let reader = ConfigReader(providers: [
            CommandLineArgumentsProvider(arguments: ["contacts"] + settings),
            EnvironmentVariablesProvider(),
        ])
        var configuration: ServiceConfiguration
        do {
            configuration = try ServiceConfiguration.load(from: reader)
        } catch {
            throw ValidationError(error.description)
        }
        let logger = makeLogger(level: configuration.logLevel)
        let tracing = try TracingBackend.bootstrap(environment: ProcessInfo.processInfo.environment, logger: logger)
        configuration.tracing = tracing != nil
        let embedded = try await database.openEmbedded(logger: logger)
        // The embedded database is a laptop's: no rate limit unless asked for.
        if embedded != nil, !ServiceConfiguration.isSet("rate.limit.per.second", in: reader) { configuration.rateLimit = .off }
        defer { BufferedLogHandler.flush() }
        do {
            try await serve(configuration: configuration, embedded: embedded, tracing: tracing, logger: logger)
        } catch {
            try? await embedded?.stopIfStartedHere()
            throw error
        }
        try await embedded?.stopIfStartedHere()
    }

    private func serve(
        configuration: ServiceConfiguration, embedded: EmbeddedDatabase?, tracing: (any ServiceLifecycle.Service)?, logger: Logger
    ) async throws {
        if let ownerURL = embedded?.ownerURL ?? database.explicitOwnerURL {
            let owner = try await PGConnection.connect(PGConnectionConfiguration(url: ownerURL))
            do {
                try await Migrator(schema: database.schema, logger: logger).run(on: owner)
                if let embedded {
                    let token = try await DevelopmentAccount.ensure(
                        admin: AccountAdmin(connection: owner),
                        tokenFile: database.dataDirectory.appendingPathComponent("development-token"))
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
        let app = buildApplication(pool: pool, configuration: configuration, logger: logger, tracing: tracing)
        try await app.runService()
    }
}

func makeLogger(level: Logger.Level) -> Logger {
    var logger = Logger(label: "contacts", factory: BufferedLogHandler.init(label:))
    logger.logLevel = level
    return logger
}
