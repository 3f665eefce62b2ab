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
        func gauge(_ name: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
        }
        let connections = gauge("db_pool_connections", "Database connections of the pool, by state.")
        let open = registry.makeGauge(descriptor: connections, labels: [("state", "open")])
        let leased = registry.makeGauge(descriptor: connections, labels: [("state", "in_use")])
        let waiting = registry.makeGauge(descriptor: gauge("db_pool_waiting_requests", "Requests waiting for a connection."), labels: [])
        let size = registry.makeGauge(descriptor: gauge("db_pool_max_connections", "The pool's bound."), labels: [])
        let sharedOpen = registry.makeGauge(descriptor: gauge("db_pool_shared_sessions", "Shared pipelined sessions open."), labels: [])
        let sharedInFlight = registry.makeGauge(
            descriptor: gauge("db_pool_shared_calls_in_flight", "Calls in flight on the shared sessions, all of them."), labels: [])
        router.get("/metrics") { _, _ in
            let statistics = pool.statistics
            open.set(Double(statistics.open))
            leased.set(Double(statistics.leased))
            waiting.set(Double(statistics.waiting))
            size.set(Double(pool.configuration.maxConnections))
            let inFlight = pool.sharedInFlight
            sharedOpen.set(Double(inFlight.count))
            sharedInFlight.set(Double(inFlight.reduce(0, +)))
            var bytes: [UInt8] = []
            registry.emit(into: &bytes)
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }
}
