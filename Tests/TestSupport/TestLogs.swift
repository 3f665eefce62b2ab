public import InMemoryLogging
public import Logging

/// Where the test process's logs go: into memory, not onto the terminal, so that a green
/// `make test` prints the test results a person reads and not thousands of request lines. A test
/// that checks what is logged gives its code a logger of its own (``capture()``) and reads it.
public enum TestLogs {
    /// Every line logged through the global logging system (loggers made without a handler of
    /// their own: Hummingbird's, the pool's, the migrator's).
    public static let all = InMemoryLogHandler()

    private static let installed: Void = {
        LoggingSystem.bootstrap { _ in
            var handler = all
            handler.logLevel = .info
            return handler
        }
    }()

    /// Sends the global logging system to ``all``, once per process.
    public static func install() {
        _ = installed
    }

    /// A logger that keeps its lines for one test, and its store.
    public static func capture(label: String = "test", level: Logger.Level = .trace) -> (Logger, InMemoryLogHandler) {
        var handler = InMemoryLogHandler()
        handler.logLevel = level
        return (Logger(label: label) { _ in handler }, handler)
    }
}

extension InMemoryLogHandler.Entry {
    /// `level message key=value …`, the metadata sorted: one line to search.
    public var line: String {
        "\(level) \(message) " + metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }
}
