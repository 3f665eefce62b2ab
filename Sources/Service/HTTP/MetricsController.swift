public import Hummingbird
public import PGStore
import Prometheus

/// `GET /metrics`: Prometheus text format.
public struct MetricsController: Sendable {
    let pool: ConnectionPool

    public init(pool: ConnectionPool) {
        self.pool = pool
    }

    public func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        let registry = Observability.registry
        let connections = "Database connections of the pool, by state."
        let open = registry.makeGauge(name: "db_pool_connections", labels: [("state", "open")], help: connections)
        let leased = registry.makeGauge(name: "db_pool_connections", labels: [("state", "in_use")], help: connections)
        let waiting = registry.makeGauge(name: "db_pool_waiting_requests", labels: [], help: "Requests waiting for a connection.")
        let size = registry.makeGauge(name: "db_pool_max_connections", labels: [], help: "The pool's bound.")
        router.get("/metrics") { _, _ in
            let statistics = pool.statistics
            open.set(Double(statistics.open))
            leased.set(Double(statistics.leased))
            waiting.set(Double(statistics.waiting))
            size.set(Double(pool.configuration.maxConnections))
            var bytes: [UInt8] = []
            registry.emit(into: &bytes)
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }
}
