import Foundation
import PGStore
import TestSupport
import Testing

@testable import Service

/// One workspace's slow or stalled bulk clients against another workspace's work, on a live
/// socket: no connection is held at a client's pace beyond a bound, and no workspace holds every
/// bulk connection while another waits.
@Suite("Bulk neighbours on a live socket", .tags(.realClock))
struct BulkNeighbourTests {
    /// Sends one request with `Connection: close` and reads the whole answer.
    static func exchange(_ port: Int, _ request: String, within limit: Duration = .seconds(20)) async throws -> String {
        let client = try RawClient(port: port)
        defer { client.close() }
        client.send(request)
        return try await client.readUntilClosed(within: limit).text
    }

    static func batch(_ port: Int, token: String, index: Int) async throws -> (status: Int, took: Duration) {
        let body = #"{"contacts": [{"phone": "+1415555\#(String(format: "%04d", index % 10_000))", "name": "n\#(index)"}]}"#
        let started = ContinuousClock.now
        let text = try await exchange(
            port,
            "POST /api/v1/actions/create-contacts HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(token)\r\n"
                + "Content-Type: application/json\r\nConnection: close\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        return (Int(text.dropFirst("HTTP/1.1 ".count).prefix(3)) ?? 0, ContinuousClock.now - started)
    }

    static func exportRequest(_ token: String) -> String {
        "GET /api/v1/contacts/export HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(token)\r\nConnection: close\r\n\r\n"
    }

    /// Two uploads from A trickling in at 40 KB/s (above the 32 KiB/s floor) hold no database
    /// connection: B's batches keep getting 2xx, promptly, the whole time, and A's uploads are
    /// accepted once complete.
    @Test func trickledUploadsHoldNoConnection() async throws {
        let a = try await TestEnvironment.tenant()
        let b = try await TestEnvironment.tenant()
        try await withLiveService { service in
            let line = "+14155550199,a name that makes the row long enough\n"
            var body = "phone,name\n"
            while body.utf8.count < 200_000 { body += line }
            let bytes = Array(body.utf8)
            let head =
                "POST /api/v1/imports HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(a.token)\r\n"
                + "Content-Type: text/csv\r\nConnection: close\r\nContent-Length: \(bytes.count)\r\n\r\n"
            try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        let client = try RawClient(port: service.port)
                        defer { client.close() }
                        client.send(head)
                        for start in stride(from: 0, to: bytes.count, by: 4_000) {  // 40 KB/s
                            client.send(String(decoding: bytes[start..<min(start + 4_000, bytes.count)], as: UTF8.self))
                            try await Task.sleep(for: .milliseconds(100))
                        }
                        return try await client.readUntilClosed(within: .seconds(20)).text
                    }
                }
                // Meanwhile (about 5 s), B's batches one after another.
                var answers: [(status: Int, took: Duration)] = []
                for index in 0..<40 {
                    answers.append(try await Self.batch(service.port, token: b.token, index: index))
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(answers.allSatisfy { $0.status == 200 }, "\(answers.map(\.status))")
                #expect(answers.allSatisfy { $0.took < .seconds(1) }, "\(answers.map(\.took))")
                for try await answer in group { #expect(answer.hasPrefix("HTTP/1.1 202"), "\(answer.prefix(200))") }
            }
        }
    }

    /// An export from A whose client stops reading: A holds at most all bulk connections but one
    /// that way, so B's batches and B's own export go on; once the client has taken nothing for
    /// the stall bound, the database side lets go (its connection free for A's next export) and
    /// the stalled response is closed without its final chunk.
    @Test func aStalledExportHoldsItsShareOnlyUntilTheBound() async throws {
        let a = try await TestEnvironment.tenant()
        let b = try await TestEnvironment.tenant()
        // About 20 MB: more than the sockets, NIO's buffer and the page waiting in the channel hold.
        try await TestEnvironment.importPaddedContacts(10_000, into: a.tenant)
        _ = try await TestAPI.with { api in try await api.create(#"{"phone": "+14155550100"}"#, token: b.token) }
        try await withLiveService({ $0.exportStallTimeout = .seconds(2) }) { service in
            let stalled = try RawClient(port: service.port, receiveBuffer: 4_096)
            defer { stalled.close() }
            stalled.send(Self.exportRequest(a.token))
            try await Task.sleep(for: .milliseconds(500))
            let started = ContinuousClock.now
            for index in 0..<5 {
                let answer = try await Self.batch(service.port, token: b.token, index: index)
                #expect(answer.status == 200)
                #expect(answer.took < .seconds(1))
            }
            let bExport = try await Self.exchange(service.port, Self.exportRequest(b.token))
            #expect(bExport.hasPrefix("HTTP/1.1 200"), "\(bExport.prefix(200))")
            #expect(bExport.hasSuffix("\r\n0\r\n\r\n"))
            #expect(ContinuousClock.now - started < .seconds(2))

            // A's next export waits for A's one long lease (a 503 after the acquire timeout
            // while the stalled one holds it), then runs whole once the bound let it go.
            var refusals = 0
            var again = ""
            while ContinuousClock.now - started < .seconds(30) {
                again = try await Self.exchange(service.port, Self.exportRequest(a.token), within: .seconds(60))
                guard again.hasPrefix("HTTP/1.1 503") else { break }
                refusals += 1
            }
            #expect(refusals > 0)
            #expect(again.hasPrefix("HTTP/1.1 200"), "\(again.prefix(200))")
            #expect(again.hasSuffix("\r\n0\r\n\r\n"))
            // The stalled client, reading at last: the response was ended, without its final chunk.
            let (text, closed) = try await stalled.readUntilClosed(within: .seconds(10))
            #expect(closed)
            #expect(text.hasPrefix("HTTP/1.1 200"))
            #expect(!text.hasSuffix("\r\n0\r\n\r\n"))
        }
    }

    /// Uploads received at once are bounded (each holds a scratch file of up to the upload limit),
    /// one workspace to half of them: past that a 503 with `Retry-After`, while another
    /// workspace's upload still goes through.
    @Test func uploadsReceivedAtOnceAreBounded() async throws {
        let a = try await TestEnvironment.tenant()
        let b = try await TestEnvironment.tenant()
        try await withLiveService({ $0.imports.uploadsAtOnce = 2 }) { service in
            func upload(_ token: String, length: Int) -> String {
                "POST /api/v1/imports HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(token)\r\n"
                    + "Content-Type: text/csv\r\nConnection: close\r\nContent-Length: \(length)\r\n\r\n"
            }
            let csv = "phone\n+14155550170\n"
            // A's first upload is being received (half its body sent): A's one slot.
            let held = try RawClient(port: service.port)
            defer { held.close() }
            held.send(upload(a.token, length: 2 * csv.utf8.count) + csv)
            try await Task.sleep(for: .milliseconds(300))
            let refused = try await Self.exchange(service.port, upload(a.token, length: csv.utf8.count) + csv)
            #expect(refused.hasPrefix("HTTP/1.1 503"), "\(refused.prefix(200))")
            #expect(refused.lowercased().contains("retry-after: "))
            let other = try await Self.exchange(service.port, upload(b.token, length: csv.utf8.count) + csv)
            #expect(other.hasPrefix("HTTP/1.1 202"), "\(other.prefix(200))")
            // Once A's first upload is whole, A's slot is free again.
            held.send(csv)
            #expect(try await held.readUntilClosed(within: .seconds(10)).text.hasPrefix("HTTP/1.1 202"))
            let again = try await Self.exchange(service.port, upload(a.token, length: csv.utf8.count) + csv)
            #expect(again.hasPrefix("HTTP/1.1 202"), "\(again.prefix(200))")
        }
    }

    /// With no bulk connection free, an export is a 503 with `Retry-After` before any byte, as an
    /// upload is: never a 200 that closes empty.
    @Test func anExportWithNoConnectionFreeIs503BeforeAnyByte() async throws {
        let a = try await TestEnvironment.tenant()
        let b = try await TestEnvironment.tenant()
        try await TestEnvironment.importPaddedContacts(10_000, into: a.tenant)
        // Two connections: one bulk connection, which A's stalled export holds.
        try await withLiveService({
            $0.pool = ConnectionPoolConfiguration(maxConnections: 2, acquireTimeout: .milliseconds(500))
            $0.exportStallTimeout = .seconds(10)
        }) { service in
            let stalled = try RawClient(port: service.port, receiveBuffer: 4_096)
            defer { stalled.close() }
            stalled.send(Self.exportRequest(a.token))
            try await Task.sleep(for: .milliseconds(1_000))
            let refused = try await Self.exchange(service.port, Self.exportRequest(b.token))
            #expect(refused.hasPrefix("HTTP/1.1 503"), "\(refused.prefix(200))")
            #expect(refused.lowercased().contains("retry-after: "))
            #expect(refused.contains(#""code":"#))
        }
    }
}
