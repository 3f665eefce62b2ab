import Foundation
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import PGStore
import Service
import ServiceLifecycle
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite("Graceful shutdown", .tags(.realClock))
struct ShutdownTests {
    /// SIGTERM's path (ServiceLifecycle's graceful shutdown) while requests are in flight: the
    /// server stops accepting, finishes them, then the pool closes; nothing in flight fails.
    @Test func inFlightRequestsFinishAndTheServiceStopsWithinABound() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        var configuration = ServiceConfiguration()
        configuration.pool = .init(maxConnections: 1, acquireTimeout: .seconds(5))
        configuration.rateLimit = .off
        let pool = ConnectionPool(
            connection: configuration.database(url: TestServer.value("TEST_DATABASE_URL")), configuration: configuration.pool)
        let port = NIOLockedValueBox<Int?>(nil)
        let app = Application(
            router: buildRouter(pool: pool, configuration: configuration),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            services: [pool],
            onServerRunning: { channel in port.withLockedValue { $0 = channel.localAddress?.port } },
            logger: Logger(label: "shutdown-test")
        )
        let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "shutdown-test")))
        let running = Task { try await group.run() }
        var bound: Int?
        _ = try await eventually {
            bound = port.withLockedValue { $0 }
            return bound != nil
        }
        let base = try #require(bound.map { "http://127.0.0.1:\($0)" })

        // The only connection is busy for a while, so the requests below are in flight when the
        // shutdown starts.
        let holder = Task { try await pool.withConnection { try await $0.query(unprepared: "SELECT pg_sleep(0.8)") } }
        #expect(try await eventually { pool.statistics.leased == 1 })
        let inFlight = (0..<4).map { index in
            Task { () -> Int in
                var request = URLRequest(url: URL(string: "\(base)/api/v1/actions/create-contact")!)
                request.httpMethod = "POST"
                request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                request.httpBody = Data(#"{"phone": "+1415555\#(7000 + index)"}"#.utf8)
                let (_, response) = try await URLSession.shared.data(for: request)
                return (response as? HTTPURLResponse)?.statusCode ?? 0
            }
        }
        try await Task.sleep(for: .milliseconds(200))
        let started = ContinuousClock.now
        await group.triggerGracefulShutdown()
        var statuses: [Int] = []
        for request in inFlight { statuses.append(try await request.value) }
        _ = try await holder.value
        try await running.value
        #expect(statuses == [201, 201, 201, 201])
        #expect(ContinuousClock.now - started < .seconds(5))
        // The pool was closed on the way out.
        await #expect(throws: ConnectionPoolError.closed) { try await pool.withConnection { _ in } }
    }
}
