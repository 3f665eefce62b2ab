public import Logging
public import ServiceLifecycle
import Tracing

#if OTLPTracing
    import OTel
#endif

/// OpenTelemetry tracing: off unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set, and compiled in only
/// with the package trait `OTLPTracing` (the Dockerfile's build enables it; `make test` too). The
/// exporter (swift-otel over OTLP/HTTP) brings AsyncHTTPClient, SwiftNIO SSL and SwiftProtobuf
/// into the build, which a service that does not export traces should not pay for (BENCHMARKS.md).
///
/// The spans themselves are written against swift-distributed-tracing, always: with no tracer
/// bootstrapped they are no-ops.
public enum TracingBackend {
    /// Whether this build can export traces.
    public static var isCompiledIn: Bool {
        #if OTLPTracing
            true
        #else
            false
        #endif
    }

    /// Bootstraps the process's tracer when `environment` names an OTLP endpoint, and returns the
    /// exporter's service (run it beside the server: on shutdown it flushes what is left), or nil.
    /// Every other `OTEL_*` variable of the OpenTelemetry specification applies (protocol,
    /// headers, sampler, batch delays, service name).
    public static func bootstrap(environment: [String: String], logger: Logger) throws -> (any Service)? {
        let endpoint = environment["OTEL_EXPORTER_OTLP_ENDPOINT"] ?? environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] ?? ""
        guard !endpoint.isEmpty else { return nil }
        #if OTLPTracing
            var configuration = OTel.Configuration.default
            configuration.serviceName = "contacts"
            configuration.logs.enabled = false
            configuration.metrics.enabled = false
            configuration.traces.exporter = .otlp
            configuration.traces.otlpExporter.protocol = .httpProtobuf
            let backend = try OTel.makeTracingBackend(configuration: configuration)
            InstrumentationSystem.bootstrap(backend.factory)
            logger.info("tracing", metadata: ["otlp.endpoint": .string(endpoint)])
            return backend.service
        #else
            logger.warning("OTEL_EXPORTER_OTLP_ENDPOINT is set, but this build has no exporter: build with --traits OTLPTracing")
            return nil
        #endif
    }
}
