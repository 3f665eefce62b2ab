public import Hummingbird
import HummingbirdCore
public import Logging
public import NIOCore
public import PGStore
public import ServiceLifecycle

/// The API's router: every route, the error middleware, HEAD for every GET, and 405 with `Allow`
/// for a known path called with a method it does not serve. What the tests drive.
///
/// `importJobQueued` wakes the instance's ``ImportJobRunner`` when an upload has queued a job.
public func buildRouter(
    pool: ConnectionPool, configuration: ServiceConfiguration, importJobQueued: @escaping @Sendable () -> Void = {},
    changeSignals: ChangeSignals = ChangeSignals()
) -> Router<AppRequestContext> {
    Observability.bootstrap()
    let router = Router(context: AppRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.add(middleware: RequestIDMiddleware())
    if configuration.tracing {
        // The query string is left out: it may hold a phone or an e-mail address.
        router.add(middleware: TracingMiddleware(redactingQueryParameters: ["phone", "email", "tag", "cursor", "updated_since", "limit"]))
        router.add(middleware: TraceResponseMiddleware())
    }
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: ErrorMiddleware())
    let authenticator = Authenticator(pool: pool, cacheTTL: configuration.tokenCacheTTL, clock: configuration.clock)
    let rateLimiter = RateLimiter(configuration.rateLimit, clock: configuration.clock)
    HealthController(pool: pool).addRoutes(to: router)
    OpenAPIController(configuration: configuration).addRoutes(to: router)
    DocsController(directory: configuration.docsDirectory).addRoutes(to: router)
    // Every workspace route: the tenant resolved once (401, 422, 429) before any handler runs.
    let tenantRoutes = router.group()
        .add(middleware: TenantMiddleware(authenticator: authenticator, rateLimiter: rateLimiter))
        .group(context: TenantRequestContext.self)
    let store = ContactStore(pool: pool, signals: changeSignals)
    // After each POST group's body limit: an Idempotency-Key's request is read whole, within it.
    let idempotencyStore = IdempotencyStore(pool: pool, clock: configuration.clock)
    let idempotency = IdempotencyMiddleware(store: idempotencyStore)
    let cursors = PageCursors(secret: configuration.cursorSecret)
    ExportController(store: store, cursors: cursors, stallTimeout: configuration.exportStallTimeout).addRoutes(to: tenantRoutes)
    ChangesController(
        store: ChangeFeedStore(pool: pool), cursors: cursors, signals: changeSignals, maximumWait: configuration.changesMaxWait
    ).addRoutes(to: tenantRoutes)
    WebhooksController(
        store: WebhookStore(pool: pool), feed: ChangeFeedStore(pool: pool), cursors: cursors, configuration: configuration.webhooks
    ).addRoutes(to: tenantRoutes.group().add(middleware: BodyLimitMiddleware(bytes: configuration.bodyLimit)).add(middleware: idempotency))
    ImportsController(
        store: ImportJobStore(pool: pool), idempotency: idempotencyStore, cursors: cursors, bodyLimit: configuration.imports.bodyLimit,
        scratchDirectory: configuration.imports.scratchDirectory, uploads: UploadSlots(capacity: configuration.imports.uploadsAtOnce),
        jobQueued: importJobQueued
    ).addRoutes(to: tenantRoutes)
    TagsController(store: store, cursors: cursors).addRoutes(
        to: tenantRoutes.group().add(middleware: BodyLimitMiddleware(bytes: configuration.bodyLimit)).add(middleware: idempotency))
    ContactsController(store: store, cursors: cursors).addRoutes(
        to: tenantRoutes.group().add(middleware: BodyLimitMiddleware(bytes: configuration.bodyLimit)).add(middleware: idempotency),
        batchRoutes: tenantRoutes.group().add(middleware: BodyLimitMiddleware(bytes: configuration.batchBodyLimit)).add(
            middleware: idempotency))
    // Last: it applies to the router's "no route" answer only.
    router.add(middleware: MethodNotAllowedMiddleware(servedBy: router))
    return router
}

/// `GET /metrics` alone, for its own listener: traffic and error rates are not for every client
/// that can reach the API's port.
public func buildMetricsRouter(pool: ConnectionPool) -> Router<AppRequestContext> {
    Observability.bootstrap()
    let router = Router(context: AppRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.add(middleware: ErrorMiddleware())
    MetricsController(pool: pool).addRoutes(to: router)
    return router
}

/// The HTTP application; the pool and the metrics listener run as its services, so they are
/// closed on graceful shutdown after the server has finished its in-flight requests.
public func buildApplication(
    pool: ConnectionPool, configuration: ServiceConfiguration, logger: Logger, tracing: (any Service)? = nil,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in },
    onMetricsRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let (idle, readTimeout) = (configuration.idleTimeout, configuration.requestReadTimeout)
    let minimumUploadRate = configuration.imports.minimumUploadBytesPerSecond
    // The exporter first: services stop in reverse order, so it flushes the last spans after the
    // server and the pool have finished.
    // The runner after the pool: it stops first, and hands its running jobs back to the queue
    // while the pool still serves it.
    let changeSignals = ChangeSignals()
    let imports = ImportJobRunner(
        pool: pool, configuration: configuration.imports, logger: logger, changeSignals: changeSignals, clock: configuration.clock)
    var services: [any Service] = (tracing.map { [$0] } ?? []) + [pool]
    if configuration.imports.jobsAtOnce > 0 { services.append(imports) }
    services.append(
        ChangeFeedWatcher(
            pool: pool, signals: changeSignals, retention: configuration.changesRetention, logger: logger, clock: configuration.clock))
    if configuration.webhooks.senders > 0 {
        services.append(
            WebhookDispatcher(
                pool: pool, cursors: PageCursors(secret: configuration.cursorSecret), signals: changeSignals,
                configuration: configuration.webhooks, retention: configuration.changesRetention, logger: logger,
                clock: configuration.clock))
    }
    if let metrics = configuration.metrics {
        services.append(
            Application(
                router: buildMetricsRouter(pool: pool),
                configuration: .init(address: .hostname(metrics.host, port: metrics.port), serverName: "contacts-metrics"),
                onServerRunning: onMetricsRunning,
                logger: logger))
    }
    return Application(
        router: buildRouter(pool: pool, configuration: configuration, importJobQueued: imports.jobQueued, changeSignals: changeSignals),
        server: HTTPServerBuilder { responder in
            ContactsHTTP1Channel(
                responder: responder, idleTimeout: idle, requestReadTimeout: readTimeout, minimumUploadRate: minimumUploadRate)
        },
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port), serverName: "contacts",
            availableConnectionsDelegate: MaximumAvailableConnections(configuration.maxHTTPConnections)),
        services: services,
        onServerRunning: onServerRunning,
        logger: logger
    )
}
