import Foundation
import HTTPTypes
import InMemoryLogging
import Logging
import NIOCore
import PGStore
import Service
import TestSupport
import Testing

@Suite("Request ids, logs, metrics, timeouts")
struct ObservabilityTests {
    @Test func requestIDIsTakenFromTheClientOrGeneratedAndEchoed() async throws {
        try await TestAPI.with { api in
            let given = try await api.sendHeaders(
                [HTTPField.Name("X-Request-Id")!: "client-abc-123"], method: .get, uri: "/healthz", body: nil)
            #expect(given.headers[HTTPField.Name("X-Request-Id")!] == "client-abc-123")
            let generated = try await api.sendHeaders([:], method: .get, uri: "/nowhere", body: nil)
            #expect(generated.status == .notFound)
            #expect(generated.headers[HTTPField.Name("X-Request-Id")!]?.count == 26)
            let tooLong = try await api.sendHeaders(
                [HTTPField.Name("X-Request-Id")!: String(repeating: "x", count: 300)], method: .get, uri: "/healthz", body: nil)
            #expect(tooLong.headers[HTTPField.Name("X-Request-Id")!]?.count == 26)
        }
    }

    @Test func logsCarryTheRequestIDAndNeverTheTokenPhoneOrBody() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        let (logger, logs) = TestLogs.capture()
        try await TestAPI.with { api in
            let body = #"{"phone": "+14155550177", "name": "Secret Name", "email": "secret@example.com"}"#
            _ = try await api.sendHeaders(
                [.authorization: "Bearer \(token)", .contentType: "application/json", HTTPField.Name("X-Request-Id")!: "trace-me"],
                body: ByteBuffer(string: body), logger: logger)
            _ = try await api.sendHeaders(
                [.authorization: "Bearer \(token)"], method: .get, uri: "/api/v1/contacts?phone=%2B14155550177&email=secret@example.com",
                body: nil, logger: logger)
        }
        let lines = logs.entries.map(\.line)
        #expect(
            lines.contains {
                $0.contains("request.id=trace-me") && $0.contains("http.route=/api/v1/actions/create-contact")
                    && $0.contains("http.status=201")
            })
        for secret in [token, "14155550177", "Secret Name", "secret@example.com"] {
            #expect(!lines.contains { $0.contains(secret) }, "\(secret) leaked into the logs")
        }
    }

    @Test func metricsArePrometheusOnTheirOwnListenerOnly() async throws {
        try await withLiveService { service in
            let api = try RawClient(port: service.port)
            api.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let fromAPI = try await api.readUntilClosed()
            api.close()
            #expect(fromAPI.text.hasPrefix("HTTP/1.1 200"))
            #expect(fromAPI.text.contains("HTTP/1.1 404"), "the API's port must not serve /metrics")

            let metrics = try RawClient(port: service.metricsPort)
            metrics.send("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let reply = try await metrics.readUntilClosed()
            metrics.close()
            #expect(reply.text.hasPrefix("HTTP/1.1 200"))
            #expect(reply.text.lowercased().contains("content-type: text/plain"))
            #expect(reply.text.contains("db_pool_connections{state=\"open\"}"))
            #expect(reply.text.contains("db_pool_max_connections"))
            #expect(reply.text.contains("db_pool_shared_sessions"))
            #expect(reply.text.contains("db_pool_shared_calls_in_flight"))
            #expect(reply.text.contains("hb_requests"))
            #expect(reply.text.contains("http_server_request_duration"))
        }
    }

    @Test func theMetricsAddressParses() {
        #expect(ListenAddress("127.0.0.1:9090") == ListenAddress(host: "127.0.0.1", port: 9090))
        #expect(ListenAddress("[::1]:9091") == ListenAddress(host: "::1", port: 9091))
        #expect(ListenAddress("0.0.0.0:0") == ListenAddress(host: "0.0.0.0", port: 0))
        for bad in ["9090", ":9090", "host:", "host:70000", "host:x", "off"] { #expect(ListenAddress(bad) == nil, "\(bad)") }
    }

    @Test func noStatementRunsPastTheTimeout() async throws {
        var configuration = ServiceConfiguration()
        configuration.statementTimeout = .milliseconds(200)
        let pool = ConnectionPool(connection: configuration.database(url: TestServer.value("TEST_DATABASE_URL")))
        let started = ContinuousClock.now
        let error = await #expect(throws: PGError.self) {
            try await pool.withConnection { try await $0.query(unprepared: "SELECT pg_sleep(5)") }
        }
        #expect(error?.sqlState == .queryCanceled)
        // Before the 5 s sleep would have ended (connecting included, on a loaded machine).
        #expect(ContinuousClock.now - started < .milliseconds(4500))
        await pool.close()
    }
}
