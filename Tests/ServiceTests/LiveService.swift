import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import PGStore
import Service
import ServiceLifecycle
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A raw TCP client on loopback, for clients that misbehave below HTTP.
struct RawClient {
    let fd: Int32

    /// `receiveBuffer`: the socket's receive buffer in bytes, set before connecting (a client that
    /// stops reading then stalls the server after little data).
    init(port: Int, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBuffer { setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size)) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    /// Sends bytes; false once the server has closed the connection.
    @discardableResult
    func send(_ text: String) -> Bool {
        text.utf8CString.withUnsafeBufferPointer { Glibc.send(fd, $0.baseAddress, $0.count - 1, Int32(MSG_NOSIGNAL)) } > 0
    }

    /// Whether the server closed the connection: drains what has arrived, then a read returns 0
    /// (or fails other than by having nothing yet). Never blocks: callers wait with `Task.sleep`,
    /// so a test waiting on a socket does not hold one of Swift's few pool threads.
    func isClosedByServer() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count > 0 { continue }
            return count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)
        }
    }

    /// Waits up to `limit` for the first bytes of an answer.
    func readResponse(within limit: Duration = .seconds(3)) async throws -> String {
        var text = ""
        _ = try await eventually(within: limit) {
            text = readAvailable()
            return !text.isEmpty
        }
        return text
    }

    /// Polls until the server has closed the connection, up to `limit`.
    func closedByServer(within limit: Duration = .seconds(3)) async throws -> Bool {
        try await eventually(within: limit) { isClosedByServer() }
    }

    /// Everything the server sends until it closes the connection, or until `limit` passes; and
    /// whether it closed.
    func readUntilClosed(within limit: Duration = .seconds(5)) async throws -> (text: String, closed: Bool) {
        let deadline = ContinuousClock.now + limit
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while ContinuousClock.now < deadline {
            let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count > 0 {
                received += buffer[..<count]
                continue
            }
            if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) {
                return (String(decoding: received, as: UTF8.self), true)
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return (String(decoding: received, as: UTF8.self), false)
    }

    /// Stops sending (the server sees end of input) but keeps reading.
    func shutdownWrite() { _ = shutdown(fd, Int32(SHUT_WR)) }

    /// Reads what has arrived, without waiting.
    func readAvailable() -> String {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : ""
    }

    func close() { _ = Glibc.close(fd) }
}

/// `contacts serve`, the real binary built beside the tests, on a free port, with the test
/// database's URL and `environment`; and once it accepts connections.
func startServiceProcess(_ environment: [String: String]) throws -> (process: Process, port: Int) {
    let port = try TracingTests.freePort()
    let service = Process()
    service.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("contacts")
    service.arguments = ["serve"]
    // No webhook deliveries unless a test asks: the instance would claim other tests' deliveries
    // from the shared queue and send them under its own settings.
    service.environment = ["DATABASE_URL": TestServer.value("TEST_DATABASE_URL"), "PORT": String(port), "WEBHOOKS_SENDERS": "0"]
        .merging(environment) { $1 }
    try service.run()
    return (service, port)
}

func isListening(port: Int) async throws -> Bool {
    try await eventually {
        (try? RawClient(port: port)).map { client in
            client.close()
            return true
        } ?? false
    }
}

/// The ports of a live service.
struct LiveService {
    /// The API's.
    var port: Int
    /// The metrics listener's.
    var metricsPort: Int
}

/// The real server (`buildApplication`) on ephemeral ports (the API's and the metrics listener's),
/// for the duration of `body`.
func withLiveService(
    applicationName: String? = nil, _ configure: (inout ServiceConfiguration) -> Void = { _ in },
    _ body: (LiveService) async throws -> Void
) async throws {
    var configuration = ServiceConfiguration()
    configuration.port = 0
    configuration.metrics = ListenAddress(host: "127.0.0.1", port: 0)
    configuration.rateLimit = .off
    // No import runner unless a test asks: it would take other tests' jobs from the shared queue.
    configuration.imports.jobsAtOnce = 0
    // Nor webhook deliveries, for the same reason.
    configuration.webhooks.senders = 0
    configure(&configuration)
    var connection = configuration.database(url: TestServer.value("TEST_DATABASE_URL"))
    if let applicationName { connection = connection.with("application_name", applicationName) }
    let pool = ConnectionPool(connection: connection, configuration: configuration.pool)
    // Each listener says its port once bound; the stream ends if the service stops first.
    let ports = NIOLockedValueBox<(api: Int?, metrics: Int?)>((nil, nil))
    let (bindings, bindingsContinuation) = AsyncStream.makeStream(of: Void.self)
    let app = buildApplication(
        pool: pool, configuration: configuration, logger: Logger(label: "live"),
        onServerRunning: { channel in
            ports.withLockedValue { $0.api = channel.localAddress?.port }
            bindingsContinuation.yield()
        },
        onMetricsRunning: { channel in
            ports.withLockedValue { $0.metrics = channel.localAddress?.port }
            bindingsContinuation.yield()
        })
    let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "live")))
    let running = Task {
        defer { bindingsContinuation.finish() }
        try await group.run()
    }
    // Bounded: a service that neither binds nor stops fails the test instead of hanging it.
    let bindTimeout = Task {
        try? await Task.sleep(for: .seconds(30))
        bindingsContinuation.finish()
    }
    defer { bindTimeout.cancel() }
    var bound: LiveService?
    for await _ in bindings {
        let (api, metrics) = ports.withLockedValue { $0 }
        if let api, let metrics {
            bound = LiveService(port: api, metricsPort: metrics)
            break
        }
    }
    do {
        try await body(try #require(bound))
    } catch {
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        throw error
    }
    await group.triggerGracefulShutdown()
    try await running.value
}
