import Foundation
import HTTPTypes
import Service
import TestSupport
import Testing

/// HTTP/1.1 below the routes, on a real socket: malformed framing answered with the contract's
/// JSON (400, 501), never a 500 or an empty body; Host, Expect, HEAD, HTTP/1.0, 405.
@Suite("HTTP/1.1 conformance on a live socket", .tags(.realClock))
struct HTTPConformanceTests {
    static let head = "POST /api/v1/actions/create-contact HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"

    /// Sends `raw`, optionally half-closes, and reads until the server closes: the first final
    /// response's status and body (after any `100 Continue`), and the whole text.
    static func answer(_ raw: String, port: Int, halfClose: Bool = false) async throws -> (status: Int, text: String, closed: Bool) {
        let client = try RawClient(port: port)
        defer { client.close() }
        client.send(raw)
        if halfClose { client.shutdownWrite() }
        var (text, closed) = try await client.readUntilClosed(within: .seconds(8))
        while text.hasPrefix("HTTP/1.1 100 Continue\r\n\r\n") { text.removeFirst("HTTP/1.1 100 Continue\r\n\r\n".count) }
        let status = Int(text.dropFirst("HTTP/1.1 ".count).prefix(3)) ?? 0
        return (status, text, closed)
    }

    /// The first response's body (by its Content-Length), parsed as the contract's error object.
    static func errorBody(_ text: String) -> [String: Any]? {
        let bytes = Array(text.utf8)
        let separator = Array("\r\n\r\n".utf8)
        guard let end = (0...(bytes.count - separator.count)).first(where: { Array(bytes[$0..<($0 + 4)]) == separator }) else { return nil }
        let head = String(decoding: bytes[..<end], as: UTF8.self).lowercased()
        guard let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
            let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)),
            end + 4 + length <= bytes.count
        else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(bytes[(end + 4)..<(end + 4 + length)]))) as? [String: Any]
    }

    @Test func malformedFramingGetsAJSON400Or501() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        let auth = "Authorization: Bearer \(token)\r\n"
        let cases: [(String, String, Bool, Int)] = [
            ("unknown coding", Self.head + auth + "Transfer-Encoding: xchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", false, 501),
            ("gzip then chunked", Self.head + auth + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", false, 501),
            ("chunk size zz", Self.head + auth + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", false, 400),
            ("huge chunk size", Self.head + auth + "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n{}\r\n0\r\n\r\n", false, 400),
            ("LF-only chunk lines", Self.head + auth + "Transfer-Encoding: chunked\r\n\r\n2\n{}\n0\n\n", true, 400),
            ("chunk shorter than its size", Self.head + auth + "Transfer-Encoding: chunked\r\n\r\n10\r\n{}\r\n", true, 400),
            (
                "body shorter than Content-Length", Self.head + auth + "Content-Length: 100\r\n\r\n" + #"{"phone": "+14155550123"}"#, true,
                400
            ),
            ("two Content-Lengths", Self.head + auth + "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}", false, 400),
            ("NUL in a header", Self.head + auth + "X-Evil: a\u{0}b\r\nContent-Length: 2\r\n\r\n{}", false, 400),
            ("1 MB header", Self.head + "X-Big: " + String(repeating: "a", count: 1_000_000) + "\r\n\r\n", false, 400),
            ("garbage request line", "HELLO\r\n\r\n", false, 400),
        ]
        try await withLiveService { service in
            for (name, raw, halfClose, expected) in cases {
                let started = ContinuousClock.now
                let reply = try await Self.answer(raw, port: service.port, halfClose: halfClose)
                #expect(reply.status == expected, "\(name): \(reply.text.prefix(300))")
                let body = Self.errorBody(reply.text)
                #expect(body?["message"] is String && body?["code"] is String, "\(name): \(reply.text.prefix(300))")
                #expect(reply.text.lowercased().contains("content-type: application/json"), "\(name)")
                #expect(reply.closed, "\(name): the connection stays open")
                #expect(ContinuousClock.now - started < .seconds(5), "\(name)")
            }
            // Nothing half-written, and the server is still well.
            #expect(try await exchange(port: service.port, method: "GET", path: "/healthz").hasPrefix("HTTP/1.1 200"))
        }
    }

    /// 300 generated mutations of a valid request (bytes, line ends, codings, chunk sizes,
    /// repeated headers, bodies cut short): each gets an answer, never a 5xx other than 501, an
    /// error is always the JSON body, and each takes a bounded time.
    @Test func generatedMalformedRequestsGetBoundedJSONAnswers() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        var random = SeededRandom(state: 20_261_125)
        let body = #"{"phone": "+14155550199", "tags": "a, b"}"#
        let codings = ["chunked", "xchunked", "gzip", "chunked, chunked", "identity", " chunked", "CHUNKED", "chunked;q=1", ""]
        let sizes = ["zz", "ffffffffffffffffff", "-1", "2a", "0x10", "1;ext=1", "", " 2", "+2", "\(body.utf8.count + 5)"]
        func mutated() -> String {
            var head = [
                "POST /api/v1/actions/create-contact HTTP/1.1", "Host: localhost", "Authorization: Bearer \(token)",
                "Content-Type: application/json",
            ]
            var payload = body
            switch Int.random(in: 0..<7, using: &random) {
            case 0:
                head.append("Transfer-Encoding: \(codings.randomElement(using: &random)!)")
                payload = "\(sizes.randomElement(using: &random)!)\r\n\(body)\r\n0\r\n\r\n"
            case 1:
                head.append("Content-Length: \(body.utf8.count)")
                head.append(
                    ["Content-Length: 1", "Host: other", "Transfer-Encoding: chunked", "Expect: 100-continue", "Expect: x"]
                        .randomElement(using: &random)!)
            case 2: head.append("Content-Length: \(Int.random(in: 0...(body.utf8.count * 2), using: &random))")
            default: head.append("Content-Length: \(body.utf8.count)")
            }
            var raw = Array((head.joined(separator: "\r\n") + "\r\n\r\n" + payload).utf8)
            for _ in 0..<Int.random(in: 0...2, using: &random) {
                let index = Int.random(in: 0..<raw.count, using: &random)
                raw[index] = [0, 9, 10, 13, 32, 58, 127, 0xFF, UInt8.random(in: 33...126, using: &random)].randomElement(using: &random)!
            }
            if Int.random(in: 0..<5, using: &random) == 0 { raw = Array(raw.prefix(Int.random(in: 1..<raw.count, using: &random))) }
            return String(decoding: raw, as: UTF8.self)
        }
        try await withLiveService { service in
            var statuses: [Int: Int] = [:]
            for index in 0..<300 {
                let raw = mutated()
                let started = ContinuousClock.now
                let reply = try await Self.answer(raw, port: service.port, halfClose: true)
                statuses[reply.status, default: 0] += 1
                // Alone each answer takes milliseconds. The bound is the server's 10 s read timeout
                // halved: an answer that waited for it would fail, a loaded CI machine (once 3.1 s
                // beside 30 suites) does not.
                #expect(ContinuousClock.now - started < .seconds(5), "#\(index): \(raw.debugDescription.prefix(300))")
                #expect(
                    (200..<500).contains(reply.status) || reply.status == 501,
                    "#\(index): \(raw.debugDescription.prefix(300)) → \(reply.text.prefix(200))")
                if reply.status >= 400 {
                    let error = Self.errorBody(reply.text)
                    #expect(error?["message"] is String && error?["code"] is String, "#\(index): \(reply.text.prefix(300))")
                }
            }
            #expect(statuses.keys.contains(201) && statuses.keys.contains(400) && statuses.keys.contains(501), "\(statuses)")
            #expect(try await exchange(port: service.port, method: "GET", path: "/healthz").hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test func hostIsRequiredOnceInHTTP11() async throws {
        try await withLiveService { service in
            for raw in [
                "GET /healthz HTTP/1.1\r\n\r\n", "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
                "GET /healthz HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n",
            ] {
                let reply = try await Self.answer(raw, port: service.port)
                #expect(reply.status == 400, "\(raw.debugDescription): \(reply.text.prefix(200))")
                #expect(Self.errorBody(reply.text)?["code"] as? String == "bad_request")
            }
            // HTTP/1.0 may leave it out.
            #expect(try await Self.answer("GET /healthz HTTP/1.0\r\n\r\n", port: service.port).status == 200)
        }
    }

    /// Without keep-alive, HTTP/1.0 gets its answer and the connection ends right away, not at
    /// the idle timeout (10 s here).
    @Test func http10WithoutKeepAliveIsClosedAfterTheResponse() async throws {
        try await withLiveService({ $0.idleTimeout = .seconds(10) }) { service in
            let started = ContinuousClock.now
            let reply = try await Self.answer("GET /healthz HTTP/1.0\r\n\r\n", port: service.port)
            #expect(reply.status == 200)
            #expect(reply.closed)
            #expect(ContinuousClock.now - started < .seconds(5))
            // With keep-alive it stays open for the next request.
            let client = try RawClient(port: service.port)
            defer { client.close() }
            client.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(try await client.readResponse().hasPrefix("HTTP/1.1 200"))
            try await Task.sleep(for: .milliseconds(300))
            #expect(!client.isClosedByServer())
        }
    }

    /// `Expect: 100-continue` is answered before the body is sent; another expectation gets 417.
    @Test func expectContinueIsAnswered() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        try await withLiveService { service in
            let client = try RawClient(port: service.port)
            defer { client.close() }
            let body = #"{"phone": "+14155550123"}"#
            client.send(Self.head + "Authorization: Bearer \(token)\r\nExpect: 100-continue\r\nContent-Length: \(body.utf8.count)\r\n\r\n")
            let interim = try await client.readResponse(within: .seconds(2))
            #expect(interim.hasPrefix("HTTP/1.1 100 Continue"), "\(interim)")
            client.send(body)
            let final = try await client.readResponse(within: .seconds(5))
            #expect(final.hasPrefix("HTTP/1.1 201"), "\(final.prefix(200))")

            let other = try await Self.answer(Self.head + "Expect: teapot\r\nContent-Length: 2\r\n\r\n{}", port: service.port)
            #expect(other.status == 417)
        }
    }

    /// `100 Continue` only once the route will read the body: a request refused on its head (no
    /// token, wrong media type, a coding, a declared size past the limit) gets its refusal and
    /// never an invitation to send.
    @Test func continueComesOnlyAfterTheHeadIsAccepted() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        let auth = "Authorization: Bearer \(token)\r\n"
        let upload = "POST /api/v1/imports HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\n"
        let twoGiB = "Content-Length: \(2 << 30)\r\n\r\n"
        try await withLiveService { service in
            for (name, head, status) in [
                ("no token", upload + "Content-Type: text/csv\r\n" + twoGiB, 401),
                ("past the limit", upload + auth + "Content-Type: text/csv\r\n" + twoGiB, 413),
                ("not CSV", upload + auth + "Content-Type: application/json\r\n" + twoGiB, 415),
                ("encoded CSV", upload + auth + "Content-Type: text/csv\r\nContent-Encoding: br\r\nContent-Length: 10\r\n\r\n", 415),
                ("encoded JSON", Self.head + auth + "Expect: 100-continue\r\nContent-Encoding: br\r\nContent-Length: 10\r\n\r\n", 415),
            ] {
                let client = try RawClient(port: service.port)
                defer { client.close() }
                client.send(head)
                let first = try await client.readResponse(within: .seconds(5))
                #expect(first.hasPrefix("HTTP/1.1 \(status)"), "\(name): \(first.prefix(120))")
                if name.hasPrefix("encoded") { #expect(first.lowercased().contains("accept-encoding: identity"), "\(name)") }
            }
            // Accepted: the 100 comes, then the upload's answer.
            let client = try RawClient(port: service.port)
            defer { client.close() }
            let csv = "phone\r\n+14155550123\r\n"
            client.send(upload + auth + "Content-Type: text/csv\r\nContent-Length: \(csv.utf8.count)\r\n\r\n")
            let interim = try await client.readResponse(within: .seconds(2))
            #expect(interim.hasPrefix("HTTP/1.1 100 Continue"), "\(interim)")
            client.send(csv)
            let final = try await client.readResponse(within: .seconds(5))
            #expect(final.hasPrefix("HTTP/1.1 202"), "\(final.prefix(200))")
        }
    }

    /// HEAD on every GET route: the GET's status and headers, no body.
    @Test func headIsServedWhereverGetIs() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        try await withLiveService { service in
            for path in ["/healthz", "/readyz", "/api/v1/openapi.json", "/api/v1/contacts", "/api/v1/tags"] {
                let reply = try await Self.answer(
                    "HEAD \(path) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nConnection: close\r\n\r\n", port: service.port)
                #expect(reply.status == 200, "\(path): \(reply.text.prefix(200))")
                let lower = reply.text.lowercased()
                #expect(lower.contains("content-length: ") && !lower.contains("content-length: 0\r\n"), "\(path)")
                #expect(reply.text.hasSuffix("\r\n\r\n"), "\(path): a HEAD answer has no body")
            }
            let unauthenticated = try await Self.answer(
                "HEAD /api/v1/tags HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", port: service.port)
            #expect(unauthenticated.status == 401)
        }
    }

    /// A known path with a method it does not serve: 405 with `Allow`, before authentication.
    @Test func wrongMethodIs405WithAllow() async throws {
        try await TestAPI.with { api in
            let cases: [(HTTPMethodName, String, String)] = [
                (.get, "/api/v1/actions/create-contact", "POST"), (.put, "/v1/actions/create-contact", "POST"),
                (.delete, "/api/v1/contacts/01JCX3Q5H6W6Y9M4T7ZQ8P2R1S", "GET, HEAD"), (.post, "/api/v1/contacts", "GET, HEAD"),
                (.patch, "/api/v1/tags", "GET, HEAD"), (.post, "/healthz", "GET, HEAD"), (.delete, "/api/v1/openapi.json", "GET, HEAD"),
            ]
            for (method, path, allow) in cases {
                let reply = try await api.send(method.method, path, body: method == .get ? nil : "{}")
                #expect(reply.status == .methodNotAllowed, "\(method) \(path)")
                #expect(reply.headers[.allow] == allow, "\(method) \(path)")
                #expect(reply.code == "method_not_allowed")
            }
            #expect(try await api.send(.get, "/api/v1/nothing-here").status == .notFound)
            #expect(try await api.send(.delete, "/api/v1/contacts/a/b").status == .notFound)
        }
    }
}

/// Request methods for table-driven tests (HTTPTypes' method is not `Sendable`-literal friendly).
enum HTTPMethodName: String, CustomStringConvertible {
    case get = "GET"
    case put = "PUT"
    case delete = "DELETE"
    case post = "POST"
    case patch = "PATCH"
    var method: HTTPRequest.Method { HTTPRequest.Method(rawValue)! }
    var description: String { rawValue }
}
