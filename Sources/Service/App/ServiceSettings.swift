public import Configuration
import Logging
import PGStore

/// Every setting of `contacts serve`, in one table: its key, what it does, how its text is read,
/// and where its default lives (``ServiceConfiguration``, written there once).
///
/// swift-configuration reads each key from the command line first (`pool.size` is
/// `--pool-size`), then from the environment (`POOL_SIZE`); keys are lowercase words so both
/// spellings follow from the key alone (the table prints them in `serve --help` and the README).
public struct ServiceSetting: Sendable {
    /// Dot-separated lowercase words: `pool.size`.
    public let key: String
    public let help: String
    /// Never printed or logged (URLs with passwords, signing secrets).
    public let isSecret: Bool
    /// The default, as text, read off a default ``ServiceConfiguration``.
    public let defaultText: @Sendable (ServiceConfiguration) -> String
    let apply: @Sendable (inout ServiceConfiguration, String) throws(ServiceSettingError) -> Void

    public var flag: String { "--" + key.split(separator: ".").joined(separator: "-") }
    public var environmentVariable: String { key.split(separator: ".").joined(separator: "_").uppercased() }
}

/// A setting's value that does not read: which setting, what was given, what it takes.
public struct ServiceSettingError: Error, Sendable, Equatable, CustomStringConvertible {
    public var flag: String
    public var environmentVariable: String
    public var value: String
    public var expected: String

    public var description: String { "\(flag) (\(environmentVariable)): \"\(value)\" is not \(expected)" }
}

extension ServiceConfiguration {
    /// The configuration `reader` describes (flags, then environment, then the defaults).
    /// Each setting's value is checked; the first that does not read is thrown.
    public static func load(from reader: ConfigReader) throws(ServiceSettingError) -> ServiceConfiguration {
        var configuration = ServiceConfiguration()
        for setting in ServiceSetting.all {
            // Read as a list and joined back: the command-line provider splits a value at its
            // commas (`--cursor-secret a,b`), and a setting's value is one text.
            guard let values = reader.stringArray(forKey: ConfigKey(setting.key), isSecret: setting.isSecret) else { continue }
            try setting.apply(&configuration, values.joined(separator: ","))
        }
        return configuration
    }

    /// Whether `reader` sets `key` at all (a default that depends on the mode, such as the rate
    /// limit on the embedded database, yields to an explicit value).
    public static func isSet(_ key: String, in reader: ConfigReader) -> Bool {
        reader.stringArray(forKey: ConfigKey(key)) != nil
    }
}

extension ServiceSetting {
    /// The table. Order matters once: `pool.size` comes before the shares derived from it.
    public static let all: [ServiceSetting] = [
        string("host", "Listen address.", \.host),
        int("port", "Listen port.", \.port, 0...65535),
        int(
            "pool.size", "Database connections (each also takes a thread).", 1...1000,
            read: { $0.pool.maxConnections },
            write: { $0.pool = .init(maxConnections: $1, acquireTimeout: $0.pool.acquireTimeout) }),
        int(
            "pool.share.per.workspace", "Connections one workspace may hold while others wait (default: half the pool).", 1...1000,
            read: { $0.pool.maxConnectionsPerOwner }, write: { $0.pool.maxConnectionsPerOwner = min($1, $0.pool.maxConnections) }),
        int(
            "pool.bulk.connections",
            "Connections bulk work (batches, import jobs and uploads, exports) may hold at once (default: half the pool).", 1...1000,
            read: { $0.pool.maxBulkConnections }, write: { $0.pool.maxBulkConnections = min($1, $0.pool.maxConnections) }),
        int(
            "pool.shared.sessions",
            "Sessions shared by interactive calls in pipeline mode, on top of pool.size (0: every call leases a connection).", 0...64,
            read: { $0.pool.sharedSessions }, write: { $0.pool.sharedSessions = $1 }),
        int(
            "pool.pipeline.depth", "Calls in flight on one shared session at most.", 1...1024,
            read: { $0.pool.pipelineDepth }, write: { $0.pool.pipelineDepth = $1 }),
        int(
            "pool.bulk.yield.ms", "While a workspace's request came within this long, bulk work shares one connection (0: never).",
            0...600_000,
            read: { $0.pool.bulkYieldWindow.map { Int($0.wholeMilliseconds) } ?? 0 },
            write: { $0.pool.bulkYieldWindow = $1 > 0 ? .milliseconds($1) : nil }),
        milliseconds("pool.acquire.timeout.ms", "How long a request waits for a free connection before a 503.", \.pool.acquireTimeout),
        milliseconds("statement.timeout.ms", "No statement runs longer (PostgreSQL's statement_timeout).", \.statementTimeout),
        decimal(
            "rate.limit.per.second", "Requests per second per workspace; 0 turns the limit off (default 0 on the embedded database).",
            read: { $0.rateLimit.rate }, write: { $0.rateLimit = .init(rate: $1) }),
        decimal(
            "rate.limit.burst", "Requests a workspace may make at once (default: twice the rate).",
            read: { $0.rateLimit.burst }, write: { $0.rateLimit.burst = max(1, $1) }),
        seconds("token.cache.seconds", "How long a token's lookup is cached: a revoked token works at most this long.", \.tokenCacheTTL),
        int("body.limit.bytes", "Largest request body (413 above).", \.bodyLimit, 1...(1 << 30)),
        int("batch.body.limit.bytes", "Largest create-contacts body (1,000 contacts).", \.batchBodyLimit, 1...(1 << 30)),
        string("docs.directory", "The folder of the Swagger UI files GET /docs serves (scripts/install-swagger-ui.sh).", \.docsDirectory),
        string("cursor.secret", "Signs list cursors; instances behind one load balancer must share it.", \.cursorSecret, secret: true),
        ServiceSetting(
            key: "metrics.address", help: "Where GET /metrics listens, HOST:PORT ([::1]:PORT for IPv6), or off.", isSecret: false,
            defaultText: { $0.metrics.map { "\($0.host):\($0.port)" } ?? "off" },
            apply: { configuration, text throws(ServiceSettingError) in
                if text == "off" {
                    configuration.metrics = nil
                    return
                }
                guard let address = ListenAddress(text) else { throw error("metrics.address", text, "HOST:PORT or off") }
                configuration.metrics = address
            }),
        int(
            "http.max.connections", "HTTP connections open at once; more wait in the kernel's backlog.", \.maxHTTPConnections, 1...1_000_000
        ),
        seconds("http.idle.timeout.seconds", "An HTTP connection with no traffic for this long is closed.", \.idleTimeout),
        seconds(
            "http.read.timeout.seconds", "A request whose head or body takes longer to arrive is dropped (slow clients).",
            \.requestReadTimeout),
        seconds(
            "export.stall.seconds", "An export whose client takes no data for this long ends, and its connection is given back.",
            \.exportStallTimeout),
        int(
            "changes.retention.days", "How long the change feed keeps a change; a cursor older than that gets 410.", 1...3650,
            read: { Int($0.changesRetention.inSeconds / 86_400) }, write: { $0.changesRetention = .seconds($1 * 86_400) }),
        seconds(
            "changes.max.wait.seconds", "The longest wait of a change feed long poll (GET /api/v1/changes?wait=), at most 30.",
            \.changesMaxWait, maximum: 30),
        ServiceSetting(
            key: "webhooks.allow.http", help: "Lets webhook URLs be plain http (development and tests only).", isSecret: false,
            defaultText: { String($0.webhooks.policy.allowHTTP) },
            apply: { configuration, text throws(ServiceSettingError) in
                guard let value = Bool(text.lowercased()) else { throw error("webhooks.allow.http", text, "true or false") }
                configuration.webhooks.policy.allowHTTP = value
            }),
        ServiceSetting(
            key: "webhooks.allow.networks",
            help:
                "Networks webhooks may reach although private, loopback or link-local: comma-separated CIDRs, e.g. 127.0.0.0/8 (development and tests only).",
            isSecret: false,
            defaultText: {
                $0.webhooks.policy.allowedNetworks.isEmpty
                    ? "none" : $0.webhooks.policy.allowedNetworks.map(\.description).joined(separator: ",")
            },
            apply: { configuration, text throws(ServiceSettingError) in
                let parts = text.split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty && $0 != "none" }
                var networks: [IPNetwork] = []
                for part in parts {
                    guard let network = IPNetwork(part) else { throw error("webhooks.allow.networks", text, "comma-separated CIDRs") }
                    networks.append(network)
                }
                configuration.webhooks.policy.allowedNetworks = networks
            }),
        seconds(
            "webhooks.timeout.seconds", "A webhook delivery without a 2xx answer by then has failed (and is retried).",
            \.webhooks.timeout, maximum: 300),
        int("webhooks.max.per.workspace", "Webhook endpoints one workspace may have.", \.webhooks.maximumPerWorkspace, 1...1_000_000),
        int(
            "webhooks.senders", "Webhook deliveries this instance sends at once (0: it sends none; other instances do).",
            \.webhooks.senders, 0...1024),
        int("import.body.limit.bytes", "Largest import upload (413 above).", \.imports.bodyLimit, 1...(1 << 40)),
        int(
            "import.uploads.at.once", "Uploads one instance receives at once (one workspace: half); more get a 503.",
            \.imports.uploadsAtOnce, 1...10_000),
        int(
            "import.min.upload.bytes.per.second", "An import upload slower than this over a read-timeout window is dropped.",
            \.imports.minimumUploadBytesPerSecond, 1...(1 << 30)),
        seconds(
            "import.retention.seconds", "Uploads and error reports are deleted this long after their job ended (default 7 days).",
            \.imports.retention, maximum: 10 * 365 * 86_400),
        int("import.jobs.at.once", "Import jobs one instance runs at once (0: this instance runs none).", \.imports.jobsAtOnce, 0...64),
        int(
            "import.writers", "Database sessions one import job writes with (each a bulk connection per batch).", \.imports.writers, 1...16),
        int("import.batch.rows", "Rows per import batch and writer.", \.imports.batchSize, 1...1_000_000),
        int(
            "import.max.rows", "Rows one import job takes (a failed job above, before any row is written).", \.imports.maximumRows,
            1...1_000_000_000),
        seconds("import.lease.seconds", "A running job's lease: a job whose instance died runs again after it.", \.imports.lease),
        seconds(
            "import.scan.seconds", "How often an instance looks for jobs queued elsewhere and for expired uploads.", \.imports.scanInterval),
        string("import.scratch.dir", "Where a running job keeps its upload while it reads it.", \.imports.scratchDirectory),
        ServiceSetting(
            key: "log.level", help: "trace, debug, info, notice, warning, error or critical.", isSecret: false,
            defaultText: { $0.logLevel.rawValue },
            apply: { configuration, text throws(ServiceSettingError) in
                guard let level = Logger.Level(rawValue: text.lowercased()) else { throw error("log.level", text, "a log level") }
                configuration.logLevel = level
            }),
    ]

    static func error(_ key: String, _ value: String, _ expected: String) -> ServiceSettingError {
        let setting = ServiceSetting(key: key, help: "", isSecret: false, defaultText: { _ in "" }, apply: { _, _ in })
        return ServiceSettingError(flag: setting.flag, environmentVariable: setting.environmentVariable, value: value, expected: expected)
    }

    static func string(
        _ key: String, _ help: String, _ path: any WritableKeyPath<ServiceConfiguration, String> & Sendable, secret: Bool = false
    ) -> ServiceSetting {
        ServiceSetting(
            key: key, help: help, isSecret: secret, defaultText: { secret ? "(a development value)" : $0[keyPath: path] },
            apply: { configuration, text throws(ServiceSettingError) in
                guard !text.isEmpty else { throw error(key, text, "a non-empty text") }
                configuration[keyPath: path] = text
            })
    }

    static func int(
        _ key: String, _ help: String, _ range: ClosedRange<Int>,
        read: @escaping @Sendable (ServiceConfiguration) -> Int, write: @escaping @Sendable (inout ServiceConfiguration, Int) -> Void
    ) -> ServiceSetting {
        ServiceSetting(
            key: key, help: help, isSecret: false, defaultText: { String(read($0)) },
            apply: { configuration, text throws(ServiceSettingError) in
                guard let value = Int(text), range.contains(value) else {
                    throw error(key, text, "an integer from \(range.lowerBound) to \(range.upperBound)")
                }
                write(&configuration, value)
            })
    }

    static func int(
        _ key: String, _ help: String, _ path: any WritableKeyPath<ServiceConfiguration, Int> & Sendable, _ range: ClosedRange<Int>
    ) -> ServiceSetting {
        int(key, help, range, read: { $0[keyPath: path] }, write: { $0[keyPath: path] = $1 })
    }

    static func decimal(
        _ key: String, _ help: String,
        read: @escaping @Sendable (ServiceConfiguration) -> Double, write: @escaping @Sendable (inout ServiceConfiguration, Double) -> Void
    ) -> ServiceSetting {
        ServiceSetting(
            key: key, help: help, isSecret: false, defaultText: { figure(read($0)) },
            apply: { configuration, text throws(ServiceSettingError) in
                guard let value = Double(text), value.isFinite, value >= 0 else { throw error(key, text, "a number ≥ 0") }
                write(&configuration, value)
            })
    }

    static func milliseconds(_ key: String, _ help: String, _ path: any WritableKeyPath<ServiceConfiguration, Duration> & Sendable)
        -> ServiceSetting
    {
        int(key, help, 1...86_400_000, read: { Int($0[keyPath: path].wholeMilliseconds) }, write: { $0[keyPath: path] = .milliseconds($1) })
    }

    static func seconds(
        _ key: String, _ help: String, _ path: any WritableKeyPath<ServiceConfiguration, Duration> & Sendable, maximum: Double = 86_400
    ) -> ServiceSetting {
        ServiceSetting(
            key: key, help: help, isSecret: false, defaultText: { figure($0[keyPath: path].inSeconds) },
            apply: { configuration, text throws(ServiceSettingError) in
                guard let value = Double(text), value.isFinite, value >= 0, value <= maximum else {
                    throw error(key, text, "a number of seconds from 0 to \(figure(maximum))")
                }
                configuration[keyPath: path] = .milliseconds(Int64((value * 1000).rounded()))
            })
    }

    /// `5`, `0.25`: whole figures without decimals.
    static func figure(_ value: Double) -> String {
        value == value.rounded() ? String(Int64(value)) : decimalText(value, fractionDigits: 3)
    }

    /// `serve --help`'s list: each flag, its variable, its default and what it does.
    public static var helpText: String {
        let defaults = ServiceConfiguration()
        return all.map { setting in
            "\(setting.flag) (env \(setting.environmentVariable)), default \(setting.defaultText(defaults))\n  \(setting.help)"
        }.joined(separator: "\n")
    }
}
