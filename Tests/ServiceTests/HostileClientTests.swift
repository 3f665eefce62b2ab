import Foundation
import HTTPTypes
import Hummingbird
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

@Suite("Hostile and noisy clients", .tags(.realClock))
struct HostileClientTests {
    @Test func theBucketRefillsAtItsRate() {
        let clock = ManualClock()
        let limiter = RateLimiter(.init(rate: 2, burst: 3), clock: clock)
        let workspace = UUID()
        let burst = (0..<4).map { _ in limiter.take(workspace) }
        #expect(burst.map(\.allowed) == [true, true, true, false])
        #expect(burst.map(\.remaining) == [2, 1, 0, 0])
        #expect(burst[3].retryAfter == 1)
        #expect(burst[3].limit == 3)
        clock.advance(by: .milliseconds(400))
        #expect(limiter.take(workspace).allowed == false)
        clock.advance(by: .milliseconds(200))
        #expect(limiter.take(workspace).allowed)  // 0.6 s × 2/s ≥ 1
        #expect(limiter.take(UUID()).allowed)  // another workspace has its own bucket
    }

    @Test func aNoisyWorkspaceGets429WithoutSlowingTheOthers() async throws {
        let noisy = try await TestEnvironment.tenant()
        let quiet = try await TestEnvironment.tenant()
        // One token every 10 s: however slow this machine, the burst of 3 is all it gets here.
        try await TestAPI.with(rateLimit: .init(rate: 0.1, burst: 3)) { api in
            var statuses: [HTTPResponse.Status] = []
            var limited: Reply?
            for index in 0..<6 {
                let reply = try await api.create(#"{"phone": "+1415555\#(8000 + index)"}"#, token: noisy.token)
                statuses.append(reply.status)
                if reply.status == .tooManyRequests { limited = reply }
            }
            #expect(statuses == [.created, .created, .created, .tooManyRequests, .tooManyRequests, .tooManyRequests])
            let reply = try #require(limited)
            #expect(reply.code == "rate_limited")
            #expect(Int(reply.headers[.retryAfter] ?? "") ?? 0 >= 1)
            #expect(reply.headers[HTTPField.Name("RateLimit-Limit")!] == "3")
            #expect(reply.headers[HTTPField.Name("RateLimit-Remaining")!] == "0")
            #expect(try await api.create(#"{"phone": "+14155558100"}"#, token: quiet.token).status == .created)
        }
    }

    @Test func slowAndIdleClientsAreDisconnected() async throws {
        // 1 s: long enough that a loaded machine running the whole suite reads the idle
        // connection's answer before the server gives up on it; the head below takes 5.4 s.
        try await withLiveService({ $0.requestReadTimeout = .seconds(1) }) { service in
            let port = service.port
            // Headers a byte at a time: closed once the head is overdue, though bytes keep coming
            // (the whole head takes at least 5.2 s to send; the server must close well before).
            let slow = try RawClient(port: port)
            let head = "POST /api/v1/actions/create-contact HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            var sent = 0
            var closed = false
            for character in head where !closed {
                slow.send(String(character))
                sent += 1
                try await Task.sleep(for: .milliseconds(60))
                closed = slow.isClosedByServer()
            }
            #expect(closed)
            #expect(sent < head.count)
            slow.close()

            // A body that never completes.
            let stalled = try RawClient(port: port)
            stalled.send("POST /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n{")
            #expect(try await stalled.closedByServer(within: .seconds(10)))
            stalled.close()

            // An idle keep-alive connection, after a served request.
            let idle = try RawClient(port: port)
            idle.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            #expect(try await idle.readResponse().hasPrefix("HTTP/1.1 200"))
            #expect(!idle.isClosedByServer())
            #expect(try await idle.closedByServer(within: .seconds(10)))
            idle.close()
        }
    }

    @Test func connectionsBeyondTheCapWaitTheirTurn() async throws {
        try await withLiveService({ $0.maxHTTPConnections = 2 }) { service in
            let port = service.port
            let first = try RawClient(port: port)
            let second = try RawClient(port: port)
            try await Task.sleep(for: .milliseconds(100))
            let third = try RawClient(port: port)  // the kernel accepts it; the server does not yet
            third.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            try await Task.sleep(for: .milliseconds(300))
            #expect(third.readAvailable().isEmpty)
            first.close()
            #expect(try await third.readResponse(within: .seconds(10)).hasPrefix("HTTP/1.1 200"))
            second.close()
            third.close()
        }
    }
}
