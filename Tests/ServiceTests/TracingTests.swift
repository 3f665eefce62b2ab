import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Service
import ServiceLifecycle
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// OpenTelemetry over OTLP/HTTP, as an operator turns it on: the real `contacts serve` binary
/// with `OTEL_EXPORTER_OTLP_ENDPOINT` pointing at a receiver in this process.
@Suite("Tracing over OTLP")
struct TracingTests {
    /// What an OTLP/HTTP receiver was sent (`/v1/traces`, JSON encoding), body by body.
    final class Receiver: Sendable {
        let bodies = NIOLockedValueBox<[Data]>([])

        /// Every span received: name, ids, and attributes by key (values as text).
        var spans: [(name: String, traceID: String, spanID: String, parentID: String, attributes: [String: String])] {
            bodies.withLockedValue { $0 }.flatMap { body -> [(String, String, String, String, [String: String])] in
                let json = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
                let resourceSpans = json["resourceSpans"] as? [[String: Any]] ?? []
                return resourceSpans.flatMap { ($0["scopeSpans"] as? [[String: Any]] ?? []) }
                    .flatMap { ($0["spans"] as? [[String: Any]] ?? []) }
                    .map { span in
                        let attributes = (span["attributes"] as? [[String: Any]] ?? []).reduce(into: [String: String]()) {
                            result, attribute in
                            let value = attribute["value"] as? [String: Any] ?? [:]
                            result[attribute["key"] as? String ?? ""] = value.values.first.map { "\($0)" }
                        }
                        return (
                            span["name"] as? String ?? "", hex(span["traceId"]), hex(span["spanId"]), hex(span["parentSpanId"]), attributes
                        )
                    }
            }
        }
    }

    /// An id as lowercase hex: OTLP/JSON says hex, swift-otel's encoder writes base64 (protobuf's
    /// JSON form of bytes); both are read.
    static func hex(_ value: Any?) -> String {
        guard let text = value as? String, !text.isEmpty else { return "" }
        if text.count % 16 == 0, text.allSatisfy(\.isHexDigit) { return text.lowercased() }
        guard let bytes = Data(base64Encoded: text) else { return text }
        return bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    @Test func aRequestsSpansReachTheReceiverInTheCallersTrace() async throws {
        #expect(TracingBackend.isCompiledIn, "make test builds with --traits OTLPTracing")
        guard TracingBackend.isCompiledIn else { return }
        let (token, _, _) = try await TestEnvironment.tenant()
        let receiver = Receiver()
        let router = Router()
        router.post("/v1/traces") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 16 << 20)
            receiver.bodies.withLockedValue { $0.append(Data(body.readableBytesView)) }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{}")))
        }
        let receiverPort = NIOLockedValueBox<Int?>(nil)
        let receiverApp = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in receiverPort.withLockedValue { $0 = channel.localAddress?.port } },
            logger: Logger(label: "otlp-receiver"))
        let group = ServiceGroup(configuration: .init(services: [receiverApp], logger: Logger(label: "otlp-receiver")))
        let running = Task { try await group.run() }
        defer { Task { await group.triggerGracefulShutdown() } }
        var otlpPort: Int?
        _ = try await eventually {
            otlpPort = receiverPort.withLockedValue { $0 }
            return otlpPort != nil
        }

        let (service, port) = try startServiceProcess([
            "METRICS_ADDRESS": "off", "LOG_LEVEL": "error", "RATE_LIMIT_PER_SECOND": "0",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:\(try #require(otlpPort))",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json", "OTEL_BSP_SCHEDULE_DELAY": "50",
        ])
        defer { if service.isRunning { service.terminate() } }
        #expect(try await isListening(port: port))

        // The caller's trace: ours must join it, under the caller's span.
        let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
        let callerSpan = "00f067aa0ba902b7"
        let phone = "+14155550142"
        let client = try RawClient(port: port)
        defer { client.close() }
        let body = #"{"phone": "\#(phone)"}"#
        client.send(
            "POST /api/v1/actions/create-contact HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(token)\r\n"
                + "Content-Type: application/json\r\ntraceparent: 00-\(traceID)-\(callerSpan)-01\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        )
        let answer = try await client.readResponse(within: .seconds(5))
        #expect(answer.hasPrefix("HTTP/1.1 201"), "\(answer.prefix(300))")
        #expect(answer.lowercased().contains("traceresponse: 00-\(traceID)-"), "\(answer.prefix(600))")
        let lister = try RawClient(port: port)
        defer { lister.close() }
        lister.send("GET /api/v1/contacts?phone=%2B14155550142 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(token)\r\n\r\n")
        #expect(try await lister.readResponse(within: .seconds(5)).hasPrefix("HTTP/1.1 200"))

        var spans = receiver.spans
        _ = try await eventually {
            spans = receiver.spans
            return spans.contains { $0.name == "/api/v1/contacts" } && spans.contains { $0.name == "db pipeline" }
        }
        let server = spans.first { $0.name == "/api/v1/actions/create-contact" }
        #expect(server?.traceID == traceID)
        #expect(server?.parentID == callerSpan)
        #expect(server?.attributes["http.route"] == "/api/v1/actions/create-contact")
        #expect(server?.attributes["http.response.status_code"] == "201")
        let database = spans.first { $0.name == "db pipeline" && $0.parentID == server?.spanID }
        #expect(database?.traceID == traceID, "\(spans.map { ($0.name, $0.parentID) })")
        #expect(database?.attributes["db.system.name"] == "postgresql")
        // No phone number leaves in a span (the query string is redacted).
        let everything = receiver.bodies.withLockedValue { $0 }.map { String(decoding: $0, as: UTF8.self) }.joined()
        #expect(!everything.contains("4155550142"))
        #expect(spans.contains { $0.name == "/api/v1/contacts" && $0.attributes["url.query"] == "phone=REDACTED" })

        service.terminate()
        service.waitUntilExit()
        #expect(service.terminationStatus == 0)
        await group.triggerGracefulShutdown()
        try await running.value
    }

    /// Off unless configured: no span, no `traceresponse`.
    @Test func offByDefault() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            #expect(!api.configuration.tracing)
            let reply = try await api.send(.get, "/api/v1/tags", token: token)
            #expect(reply.status == .ok)
            #expect(reply.headers[HTTPField.Name("traceresponse")!] == nil)
        }
    }

    /// A port nothing listens on now (bound, read, closed).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
