/// How to open a connection: libpq connection keywords, passed as keyword arrays
/// (`PQconnectdbParams`), never spliced into a connection string.
public struct PGConnectionConfiguration: Sendable {
    /// libpq keywords and values, in order; a later keyword overrides an earlier one.
    public var keywords: [(String, String)]
    /// Session settings applied right after connecting (`set_config(name, value, false)`).
    /// The defaults make `timestamptz` text unambiguous for the decoder.
    public var sessionSettings: [(String, String)] = [("TimeZone", "UTC"), ("DateStyle", "ISO, YMD")]

    /// From a `postgres://` or `postgresql://` URL, or a `key=value` string: libpq parses it.
    public init(url: String) {
        self.keywords = [("dbname", url)]
    }

    /// From explicit keywords (`host`, `port`, `dbname`, `user`, `password`, …).
    public init(keywords: [(String, String)]) {
        self.keywords = keywords
    }

    /// Seconds libpq waits for the server to answer a connection attempt. Default 5.
    public var connectTimeout: Int = 5
    /// Shown in `pg_stat_activity`. Default `pgstore`.
    public var applicationName: String = "pgstore"

    /// A copy with one more keyword (it overrides any earlier value of the same keyword).
    public func with(_ keyword: String, _ value: String) -> PGConnectionConfiguration {
        var copy = self
        copy.keywords.append((keyword, value))
        return copy
    }

    /// A copy with one more session setting applied at connect time.
    public func setting(_ name: String, _ value: String) -> PGConnectionConfiguration {
        var copy = self
        copy.sessionSettings.append((name, value))
        return copy
    }

    /// The keyword list handed to libpq: ours first, so the caller's keywords override them.
    var libpqKeywords: [(String, String)] {
        [
            ("connect_timeout", String(connectTimeout)),
            ("application_name", applicationName),
            ("client_encoding", "UTF8"),
        ] + keywords
    }
}
