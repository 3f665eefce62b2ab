public import Logging
public import PGStore

/// Everything `contacts serve` can be told, with its defaults (written here once: the flags, the
/// environment variables, `serve --help` and the README's table come from ``ServiceSetting/all``).
public struct ServiceConfiguration: Sendable {
    /// Listen address. Default `127.0.0.1`.
    public var host = "127.0.0.1"
    /// Listen port. Default 8080.
    public var port = 8080
    /// Largest request body accepted (413 above). Default 256 KiB.
    public var bodyLimit = 256 * 1024
    /// Largest `create-contacts` body (up to 1,000 contacts). Default 4 MiB.
    public var batchBodyLimit = 4 * 1024 * 1024
    /// Signs list cursors; instances behind one load balancer must share it.
    public var cursorSecret = "contacts-development-cursor-secret"
    /// How long a token's resolution is cached: a revoked token works at most this long. Default 5 s.
    public var tokenCacheTTL: Duration = .seconds(5)
    /// No statement runs longer than this (PostgreSQL's `statement_timeout`). Default 5 s.
    public var statementTimeout: Duration = .seconds(5)
    /// Requests per second per workspace (token bucket). Default 100/s in bursts of 200; off on
    /// the embedded development database unless set.
    public var rateLimit = RateLimiter.Configuration(rate: 100)
    /// Most HTTP connections open at once; more wait in the kernel's backlog. Default 1,024.
    public var maxHTTPConnections = 1024
    /// An HTTP connection with no traffic for this long is closed. Default 30 s.
    public var idleTimeout: Duration = .seconds(30)
    /// A request whose head, or whose body, takes longer than this to arrive is dropped (slow
    /// clients holding connections). Default 10 s.
    public var requestReadTimeout: Duration = .seconds(10)
    /// The clock every component reads time from (tests drive a manual one).
    public var clock: any ServiceClock = SystemClock()
    /// The folder of the Swagger UI files `GET /docs` serves (`scripts/install-swagger-ui.sh`).
    /// Default `.build/swagger-ui`, where `make run` puts them.
    public var docsDirectory = ".build/swagger-ui"
    /// Where `GET /metrics` listens, apart from the API; `nil`: nowhere. Default `127.0.0.1:9090`.
    public var metrics: ListenAddress? = ListenAddress(host: "127.0.0.1", port: 9090)
    /// Connection pool size and acquire bound (503 past it).
    public var pool = ConnectionPoolConfiguration()
    /// A span per request (Hummingbird's `TracingMiddleware`, route template and status) and
    /// `traceresponse` headers; set when ``TracingBackend`` bootstrapped an exporter. Off by default.
    public var tracing = false
    /// How long an export's database side waits for its client to take the next page before it
    /// ends the export (and its connection), so a client that stops reading holds a bulk
    /// connection this long at most. Default 30 s.
    public var exportStallTimeout: Duration = .seconds(30)
    /// How long the change feed keeps a change (API.md "Sync"). Default 30 days.
    public var changesRetention: Duration = .seconds(30 * 86_400)
    /// The longest `wait` of a change feed long poll (a proxy in front may cut requests sooner).
    /// Default 30 s, the most.
    public var changesMaxWait: Duration = .seconds(30)
    /// Webhooks: where they may lead, how they are delivered.
    public var webhooks = WebhookConfiguration()
    /// Import jobs: upload limit and rate, retention, how they run.
    public var imports = ImportJobConfiguration()
    /// The least severe log level written. Default `info`.
    public var logLevel: Logger.Level = .info

    public init() {}
}

/// A host and a port to listen on.
public struct ListenAddress: Sendable, Equatable {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `HOST:PORT` (`[::1]:9090` for IPv6), or `nil` when it is not one.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port)
        else { return nil }
        var host = text[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard !host.isEmpty else { return nil }
        self.init(host: String(host), port: port)
    }
}

extension ServiceConfiguration {
    /// The database connection settings for the service: its name in `pg_stat_activity`, and the
    /// statement and idle-in-transaction timeouts, so no query and no forgotten transaction lasts.
    public func database(url: String) -> PGConnectionConfiguration {
        var connection = PGConnectionConfiguration(url: url)
        connection.applicationName = "contacts"
        let milliseconds = String(statementTimeout.wholeMilliseconds)
        return connection.setting("statement_timeout", milliseconds).setting("idle_in_transaction_session_timeout", "60000")
    }
}
