public import ServiceLifecycle

/// Run the pool in a `ServiceGroup`: it closes itself on graceful shutdown, after the services
/// started after it (the HTTP server) have stopped.
extension ConnectionPool: Service {
    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }
}
