import Metrics
public import Prometheus

/// Metrics for `GET /metrics`: one Prometheus registry behind swift-metrics for the whole process
/// (Hummingbird's request metrics, database errors), plus pool gauges read at scrape time.
public enum Observability {
    public static let registry = PrometheusCollectorRegistry()

    private static let bootstrapped: Bool = {
        var factory = PrometheusMetricsFactory(registry: registry)
        // Prometheus names allow no dots: `http.server.request.duration` → `http_server_request_duration`.
        factory.nameAndLabelSanitizer = { label, dimensions in
            (sanitize(label), dimensions.map { (sanitize($0.0), $0.1) })
        }
        MetricsSystem.bootstrap(factory)
        return true
    }()

    /// Installs the registry as swift-metrics' backend, once per process.
    public static func bootstrap() {
        _ = bootstrapped
    }

    static func sanitize(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" })
    }

    /// Counts a database error by its SQLSTATE class (`08` connection, `40` rollback, …).
    static func recordDatabaseError(sqlStateClass: String) {
        Counter(label: "db_errors_total", dimensions: [("sqlstate_class", sqlStateClass)]).increment()
    }
}
