public import Hummingbird
public import Logging
public import PGStore

/// The router with every route and the error middleware; what the tests drive.
public func buildRouter(pool: ConnectionPool, configuration: ServiceConfiguration) -> Router<AppRequestContext> {
    Observability.bootstrap()
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: ErrorMiddleware())
    let authenticator = Authenticator(pool: pool, cacheTTL: configuration.tokenCacheTTL)
    HealthController(pool: pool).addRoutes(to: router)
    OpenAPIController().addRoutes(to: router)
    MetricsController(pool: pool).addRoutes(to: router)
    ContactsController(
        reading: RequestReading(authenticator: authenticator, bodyLimit: configuration.bodyLimit),
        batchReading: RequestReading(authenticator: authenticator, bodyLimit: configuration.batchBodyLimit),
        store: ContactStore(pool: pool),
        cursors: PageCursors(secret: configuration.cursorSecret)
    ).addRoutes(to: router)
    return router
}

/// The HTTP application; the pool runs as one of its services, so it is closed on graceful
/// shutdown after the server has finished its in-flight requests.
public func buildApplication(
    pool: ConnectionPool, configuration: ServiceConfiguration, logger: Logger
) -> some ApplicationProtocol {
    Application(
        router: buildRouter(pool: pool, configuration: configuration),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "contacts"),
        services: [pool],
        logger: logger
    )
}
