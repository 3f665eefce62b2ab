import Foundation
import HTTPTypes
import PGStore
import Service
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Webhooks (API.md "Webhooks"): endpoints, and deliveries to a real receiver process that checks
/// every signature with the Standard Webhooks reference library.
///
/// Serialized: each test's service delivers whatever is due in the shared queue, under its own
/// settings (a hanging receiver's timeout), so two at once would send each other's deliveries.
@Suite("Webhooks", .serialized)
struct WebhookTests {
    /// A live service that may deliver to the receivers on this machine (plain http, loopback),
    /// scanning often and retrying soon, so the tests wait seconds, not minutes.
    static func withDeliveringService(
        resolver: (any HostResolver)? = nil, _ configure: @escaping (inout ServiceConfiguration) -> Void = { _ in },
        _ body: (LiveService) async throws -> Void
    ) async throws {
        try await TestEnvironment.migration.value
        try await withLiveService(
            { configuration in
                configuration.webhooks.policy.allowHTTP = true
                configuration.webhooks.policy.allowedNetworks = [IPNetwork("127.0.0.0/8")!]
                if let resolver { configuration.webhooks.policy.resolver = resolver }
                configuration.webhooks.scanInterval = .milliseconds(200)
                configuration.webhooks.retryDelays = [.seconds(1), .seconds(1), .seconds(1)]
                configuration.webhooks.timeout = .seconds(3)
                configuration.webhooks.senders = 16
                configure(&configuration)
            }, body)
    }

    static func json(_ data: Data) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    @Test func registrationChecksTheURLAndShowsTheSecretOnce() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        let (otherToken, _, _) = try await TestEnvironment.tenant()
        let resolver = FixedResolver(["hooks.example.com": ["93.184.216.34"], "inside.example.com": ["10.0.0.8"]])
        try await TestAPI.with(configure: { $0.webhooks.policy.resolver = resolver }) { api in
            for (body, field) in [
                (#"{"url": "http://hooks.example.com/x"}"#, "url"), (#"{"url": "https://u:p@hooks.example.com/x"}"#, "url"),
                (#"{"url": "https://inside.example.com/x"}"#, "url"), (#"{"url": "https://127.0.0.1/x"}"#, "url"),
                (#"{"url": "https://[::ffff:169.254.169.254]/x"}"#, "url"), (#"{"url": "https://unknown.example.com/x"}"#, "url"),
                (#"{"url": 42}"#, "url"), (#"{}"#, "url"),
                (#"{"url": "https://hooks.example.com/x", "events": ["contact.merged"]}"#, "events"),
                (#"{"url": "https://hooks.example.com/x", "events": []}"#, "events"),
                (#"{"url": "https://hooks.example.com/x", "events": ["contact.created", "contact.created"]}"#, "events"),
                (#"{"url": "https://hooks.example.com/x", "description": "a\u0000b"}"#, "description"),
            ] {
                let reply = try await api.send(.post, "/api/v1/webhooks", token: token, body: body)
                #expect(reply.status == .unprocessableContent, "\(body) → \(reply.status) \(reply.text)")
                #expect(reply.errors[field] != nil, "\(body): \(reply.text)")
            }
            let created = try await api.send(
                .post, "/api/v1/webhooks", token: token,
                body: #"{"url": "https://hooks.example.com/x", "events": ["contact.deleted", "contact.created"], "description": "CRM"}"#)
            #expect(created.status == .created, "\(created.text)")
            let id = try #require(created.json["id"] as? String)
            #expect(created.headers[.location] == "/api/v1/webhooks/\(id)")
            #expect((created.json["secret"] as? String)?.hasPrefix("whsec_") == true)
            #expect(created.json["events"] as? [String] == ["contact.created", "contact.deleted"])
            #expect(created.json["status"] as? String == "enabled")
            let shown = try await api.send(.get, "/api/v1/webhooks/\(id)", token: token)
            #expect(shown.status == .ok && shown.json["secret"] == nil && shown.json["url"] as? String == "https://hooks.example.com/x")
            let list = try await api.send(.get, "/api/v1/webhooks", token: token)
            #expect((list.json["data"] as? [[String: Any]])?.map { $0["id"] as? String } == [id])
            // Another workspace can neither see nor touch it.
            #expect(try await api.send(.get, "/api/v1/webhooks/\(id)", token: otherToken).status == .notFound)
            #expect(try await api.send(.delete, "/api/v1/webhooks/\(id)", token: otherToken).status == .notFound)
            #expect(try await api.send(.post, "/api/v1/webhooks/\(id)/rotate-secret", token: otherToken).status == .notFound)
            #expect(try await api.send(.get, "/api/v1/webhooks/\(id)/deliveries", token: otherToken).status == .notFound)
            #expect((try await api.send(.get, "/api/v1/webhooks", token: otherToken).json["data"] as? [Any])?.isEmpty == true)
            // Rotation shows the new secret once.
            let rotated = try await api.send(.post, "/api/v1/webhooks/\(id)/rotate-secret", token: token)
            #expect(rotated.status == .ok)
            #expect((rotated.json["secret"] as? String).map { $0.hasPrefix("whsec_") && $0 != created.json["secret"] as? String } == true)
            // At most ten, also when registered at once.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<12 {
                    group.addTask {
                        _ = try await api.send(
                            .post, "/api/v1/webhooks", token: token, body: #"{"url": "https://hooks.example.com/\#(index)"}"#)
                    }
                }
                try await group.waitForAll()
            }
            #expect((try await api.send(.get, "/api/v1/webhooks", token: token).json["data"] as? [Any])?.count == 10)
            let eleventh = try await api.send(.post, "/api/v1/webhooks", token: token, body: #"{"url": "https://hooks.example.com/11"}"#)
            #expect(eleventh.status == .unprocessableContent && eleventh.code == "webhook_limit_reached")
            let deleted = try await api.send(.delete, "/api/v1/webhooks/\(id)", token: token)
            #expect(deleted.status == .ok && deleted.json["deleted"] as? Bool == true)
            #expect(try await api.send(.get, "/api/v1/webhooks/\(id)", token: token).status == .notFound)
            #expect(try await api.send(.get, "/api/v1/webhooks/not-a-ulid", token: token).status == .notFound)
        }
    }

    /// Each change reaches the receiver once it commits, signed: the reference library verifies
    /// every delivery; after a rotation both secrets verify for the overlap.
    @Test func deliveriesAreSignedAsStandardWebhooksSaysAndFollowTheFeed() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        let receiver = try await WebhookReceiver()
        defer { receiver.stop() }
        try await Self.withDeliveringService { service in
            let http = HTTPExchange(port: service.port, token: token)
            let created = Self.json(try await http.send("POST", "/api/v1/webhooks", body: #"{"url": "\#(receiver.url)"}"#).body)
            let secret = try #require(created["secret"] as? String)
            let endpoint = try #require(created["id"] as? String)
            try receiver.trust([secret])
            _ = try await http.send("POST", "/api/v1/actions/create-contact", body: #"{"phone": "+14155550700", "tags": ["vip"]}"#)
            _ = try await http.send("POST", "/api/v1/actions/update-contact", body: #"{"phone": "+14155550700", "name": "Ana"}"#)
            _ = try await http.send("POST", "/api/v1/actions/delete-contact", body: #"{"phone": "+14155550700"}"#)
            let got = try await receiver.requests { $0.count >= 3 }
            #expect(got.count == 3)
            let feed = Self.json(try await http.send("GET", "/api/v1/changes").body)["data"] as? [[String: Any]] ?? []
            // At least once, in no guaranteed order (two in flight per endpoint): matched by id.
            #expect(
                Set(got.compactMap { $0["id"] as? String }) == Set(feed.compactMap { $0["id"] as? String }), "webhook-id is the change's id"
            )
            let changes = Dictionary(uniqueKeysWithValues: feed.map { ($0["id"] as? String ?? "", $0) })
            for request in got {
                let change = changes[request["id"] as? String ?? ""] ?? [:]
                #expect(request["verified"] as? [Int] == [0], "signature verified by standardwebhooks")
                #expect(request["content_type"] as? String == "application/json")
                let body = deliveryBody(request)
                #expect(body["type"] as? String == change["type"] as? String)
                #expect((body["data"] as? NSDictionary) == (change as NSDictionary))
                #expect(body["timestamp"] as? String == change["occurred_at"] as? String)
                #expect(abs((Double(request["timestamp"] as? String ?? "") ?? 0) - Date().timeIntervalSince1970) < 60)
            }
            // Rotation: the old secret keeps signing beside the new one.
            let rotated = Self.json(try await http.send("POST", "/api/v1/webhooks/\(endpoint)/rotate-secret").body)
            let newSecret = try #require(rotated["secret"] as? String)
            try receiver.trust([secret, newSecret])
            _ = try await http.send("POST", "/api/v1/actions/create-contact", body: #"{"phone": "+14155550701"}"#)
            let after = try await receiver.requests { $0.count >= 4 }
            #expect(after.last?["verified"] as? [Int] == [0, 1], "both secrets verify while the old one still signs")
            #expect((after.last?["signature"] as? String)?.split(separator: " ").count == 2)
            // The deliveries list: newest first, each attempt with its status.
            let deliveries = Self.json(try await http.send("GET", "/api/v1/webhooks/\(endpoint)/deliveries?limit=3").body)
            let page = try #require(deliveries["data"] as? [[String: Any]])
            #expect(page.count == 3)
            #expect(page.first?["change_id"] as? String == after.last?["id"] as? String)
            #expect(page.allSatisfy { $0["status_code"] as? Int == 200 && $0["attempt"] as? Int == 1 && $0["error"] is NSNull })
            let cursor = try #require(deliveries["next_cursor"] as? String)
            let rest = Self.json(try await http.send("GET", "/api/v1/webhooks/\(endpoint)/deliveries?cursor=\(cursor)").body)
            #expect((rest["data"] as? [[String: Any]])?.count == 1)
        }
    }

    /// A failed delivery is retried; an endpoint that answers 410, or whose deliveries failed for 5
    /// days, is disabled; the feed is still recorded, and enabling it resumes where it stopped.
    @Test func failuresAreRetriedAndGoneOrFailingEndpointsAreDisabledThenResumed() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        let receiver = try await WebhookReceiver()
        defer { receiver.stop() }
        try await Self.withDeliveringService { service in
            let http = HTTPExchange(port: service.port, token: token)
            let created = Self.json(try await http.send("POST", "/api/v1/webhooks", body: #"{"url": "\#(receiver.url)"}"#).body)
            let endpoint = try #require(created["id"] as? String)
            try receiver.trust([try #require(created["secret"] as? String)])
            try receiver.answer("500")
            _ = try await http.send("POST", "/api/v1/actions/create-contact", body: #"{"phone": "+14155550800"}"#)
            _ = try await receiver.requests { $0.count >= 1 }
            try receiver.answer("200")
            let retried = try await receiver.requests { $0.contains { $0["status"] as? Int == 200 } }
            #expect(retried.count == 2 && retried[0]["id"] as? String == retried[1]["id"] as? String, "the same webhook-id on the retry")
            // The outcome is written once the receiver has answered: a moment after it saw the request.
            var attempts: [[String: Any]] = []
            _ = try await eventually {
                attempts =
                    Self.json(try await http.send("GET", "/api/v1/webhooks/\(endpoint)/deliveries").body)["data"] as? [[String: Any]] ?? []
                return attempts.count >= 2
            }
            #expect(attempts.map { $0["attempt"] as? Int } == [2, 1])
            #expect(attempts.map { $0["status_code"] as? Int } == [200, 500])
            #expect(attempts.last?["next_attempt_at"] is String && attempts.first?["next_attempt_at"] is NSNull)

            // 410: disabled at once, with the reason; changes are still recorded meanwhile.
            try receiver.answer("410")
            _ = try await http.send("POST", "/api/v1/actions/create-contact", body: #"{"phone": "+14155550801"}"#)
            _ = try await receiver.requests { $0.count >= 3 }
            var gone: [String: Any] = [:]
            _ = try await eventually {
                gone = Self.json(try await http.send("GET", "/api/v1/webhooks/\(endpoint)").body)
                return gone["status"] as? String == "disabled"
            }
            #expect(gone["status"] as? String == "disabled")
            #expect(gone["disabled_reason"] as? String == "the endpoint answered 410 Gone")
            try receiver.answer("200")
            _ = try await http.send("POST", "/api/v1/actions/create-contact", body: #"{"phone": "+14155550802"}"#)
            try await Task.sleep(for: .seconds(1))
            #expect(receiver.requests.count == 3, "nothing is sent to a disabled endpoint")
            let enabled = Self.json(try await http.send("POST", "/api/v1/webhooks/\(endpoint)/enable").body)
            #expect(enabled["status"] as? String == "enabled" && enabled["disabled_reason"] is NSNull)
            let resumed = try await receiver.requests { requests in
                requests.contains {
                    (deliveryBody($0)["data"] as? [String: Any]).flatMap { ($0["contact"] as? [String: Any])?["phone"] as? String }
                        == "+14155550802"
                }
            }
            #expect(resumed.count == 4, "the change recorded while disabled is delivered once enabled")

            // Five days of failures: the next failure disables it.
            _ = try await TestEnvironment.asOwner { _, connection in
                try await connection.query(
                    unprepared: "UPDATE webhook_endpoints SET failing_since = now() - interval '6 days' WHERE tenant_id = $1", [tenant])
            }
            try receiver.answer("500")
            _ = try await http.send("POST", "/api/v1/actions/create-contact", body: #"{"phone": "+14155550803"}"#)
            _ = try await receiver.requests { $0.count >= 5 }
            var failing: [String: Any] = [:]
            _ = try await eventually {
                failing = Self.json(try await http.send("GET", "/api/v1/webhooks/\(endpoint)").body)
                return failing["status"] as? String == "disabled"
            }
            #expect(failing["status"] as? String == "disabled")
            #expect(failing["disabled_reason"] as? String == "every delivery failed for 5 days")
        }
    }

    /// A redirect is an answer like any other that is not 2xx: not followed (it could lead
    /// anywhere, inside too), and retried as a failure.
    @Test func redirectsAreNotFollowed() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        let receiver = try await WebhookReceiver()
        let elsewhere = try await WebhookReceiver()
        defer {
            receiver.stop()
            elsewhere.stop()
        }
        try receiver.answer("redirect \(elsewhere.url)")
        try await Self.withDeliveringService { service in
            let http = HTTPExchange(port: service.port, token: token)
            let created = Self.json(try await http.send("POST", "/api/v1/webhooks", body: #"{"url": "\#(receiver.url)"}"#).body)
            let endpoint = try #require(created["id"] as? String)
            _ = try await http.send("POST", "/api/v1/actions/create-contact", body: #"{"phone": "+14155551200"}"#)
            _ = try await receiver.requests { $0.count >= 2 }
            let attempts =
                Self.json(try await http.send("GET", "/api/v1/webhooks/\(endpoint)/deliveries").body)["data"] as? [[String: Any]] ?? []
            #expect(attempts.contains { $0["status_code"] as? Int == 307 && $0["next_attempt_at"] is String }, "\(attempts)")
            #expect(elsewhere.requests.isEmpty, "the redirect was not followed")
        }
    }

    /// DNS rebinding: the host resolved outside when registered, and resolves to loopback when a
    /// delivery connects. The delivery checks the address it connects to, and does not go.
    @Test func aDNSAnswerThatChangesCannotReachInside() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        let receiver = try await WebhookReceiver()
        defer { receiver.stop() }
        let resolver = FixedResolver(["rebind.example.com": ["93.184.216.34"]])
        try await Self.withDeliveringService(resolver: resolver, { $0.webhooks.policy.allowedNetworks = [] }) { service in
            let http = HTTPExchange(port: service.port, token: token)
            let created = try await http.send(
                "POST", "/api/v1/webhooks", body: #"{"url": "http://rebind.example.com:\#(receiver.port)/hooks"}"#)
            #expect(created.status == 201)
            let endpoint = try #require(Self.json(created.body)["id"] as? String)
            resolver.answer("rebind.example.com", ["127.0.0.1"])
            _ = try await http.send("POST", "/api/v1/actions/create-contact", body: #"{"phone": "+14155550900"}"#)
            var attempts: [[String: Any]] = []
            _ = try await eventually {
                attempts =
                    Self.json(try await http.send("GET", "/api/v1/webhooks/\(endpoint)/deliveries").body)["data"] as? [[String: Any]] ?? []
                return !attempts.isEmpty
            }
            #expect((attempts.first?["error"] as? String)?.contains("127.0.0.1") == true, "\(attempts)")
            #expect(attempts.first?["status_code"] is NSNull)
            #expect(receiver.requests.isEmpty, "nothing reached the loopback receiver")
        }
    }

    /// A receiver that never answers holds only its own share of the senders: another endpoint's
    /// deliveries arrive meanwhile, and writes answer as fast as ever.
    @Test func aSlowReceiverHoldsOnlyItsOwnShare() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        let slow = try await WebhookReceiver()
        let fast = try await WebhookReceiver()
        defer {
            slow.stop()
            fast.stop()
        }
        try slow.answer("hang")
        try await Self.withDeliveringService({
            $0.webhooks.senders = 4
            $0.webhooks.timeout = .seconds(30)
        }) { service in
            let http = HTTPExchange(port: service.port, token: token)
            for receiver in [slow, fast] {
                let created = Self.json(try await http.send("POST", "/api/v1/webhooks", body: #"{"url": "\#(receiver.url)"}"#).body)
                try receiver.trust([try #require(created["secret"] as? String)])
            }
            let clock = ContinuousClock()
            for index in 0..<8 {
                let started = clock.now
                let answer = try await http.send("POST", "/api/v1/actions/create-contact", body: #"{"phone": "+1415555091\#(index)"}"#)
                #expect(answer.status == 201)
                #expect(clock.now - started < .seconds(1), "a write never waits on deliveries")
            }
            let delivered = try await fast.requests { $0.count >= 8 }
            #expect(delivered.count == 8)
            #expect(slow.requests.count == 2, "the hanging receiver holds two deliveries, no more")
        }
    }

    /// Deliveries outlive their instance: one killed in the middle of a delivery has it sent by
    /// another once its lease ends; one stopped gracefully hands it back at once. The real binary,
    /// twice and three times over, with the receiver in its own process.
    @Test func aDeliveryOutlivesTheInstanceSendingIt() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        let receiver = try await WebhookReceiver()
        defer { receiver.stop() }
        try receiver.answer("hang")
        let environment = [
            "WEBHOOKS_ALLOW_HTTP": "true", "WEBHOOKS_ALLOW_NETWORKS": "127.0.0.0/8", "WEBHOOKS_SENDERS": "4",
            "WEBHOOKS_TIMEOUT_SECONDS": "3", "RATE_LIMIT_PER_SECOND": "0", "METRICS_ADDRESS": "off", "LOG_LEVEL": "error",
        ]
        var processes: [Process] = []
        defer { for process in processes where process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        func start() async throws -> HTTPExchange {
            let (process, port) = try startServiceProcess(environment)
            processes.append(process)
            try #require(try await isListening(port: port))
            return HTTPExchange(port: port, token: token)
        }
        var http = try await start()
        let created = Self.json(try await http.send("POST", "/api/v1/webhooks", body: #"{"url": "\#(receiver.url)"}"#).body)
        try receiver.trust([try #require(created["secret"] as? String)])
        _ = try await http.send("POST", "/api/v1/actions/create-contact", body: #"{"phone": "+14155551000"}"#)
        let first = try await receiver.requests(within: .seconds(10)) { !$0.isEmpty }
        try #require(first.count == 1)
        // Killed while the receiver holds the request.
        kill(processes[0].processIdentifier, SIGKILL)
        processes[0].waitUntilExit()
        try receiver.answer("200")
        http = try await start()
        let clock = ContinuousClock()
        let started = clock.now
        let resent = try await receiver.requests(within: .seconds(40)) { $0.contains { $0["status"] as? Int == 200 } }
        #expect(resent.last?["id"] as? String == first[0]["id"] as? String, "the same delivery, sent by the new instance")
        #expect(resent.last?["verified"] as? [Int] == [0])
        #expect(
            clock.now - started > .seconds(5),
            "only once the killed instance's lease ended: \(resent.map { ($0["id"] as? String ?? "", $0["status"] as? Int ?? 0, $0["timestamp"] as? String ?? "") })"
        )

        // Stopped gracefully in the middle of a delivery: handed back, sent by the next at once.
        try receiver.answer("hang")
        _ = try await http.send("POST", "/api/v1/actions/create-contact", body: #"{"phone": "+14155551001"}"#)
        let held = try await receiver.requests(within: .seconds(10)) { $0.count >= 3 }
        try #require(held.count == 3)
        processes[1].terminate()
        processes[1].waitUntilExit()
        try receiver.answer("200")
        let restarted = clock.now
        _ = try await start()
        let handedBack = try await receiver.requests(within: .seconds(20)) { $0.count >= 4 }
        #expect(handedBack.last?["id"] as? String == held.last?["id"] as? String)
        #expect(handedBack.last?["status"] as? Int == 200)
        #expect(clock.now - restarted < .seconds(8), "no lease to wait for after a graceful stop")
    }

    /// The README's minimal receiver (Python's standard library alone), run as it is written:
    /// it verifies real deliveries, both signatures of a rotation, and refuses a forged one.
    @Test func theReadmesReceiverVerifiesRealDeliveries() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("readme-receiver-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = directory.appendingPathComponent("receiver.py")
        try Runbook.block("webhook-receiver", language: "python").write(to: script, atomically: true, encoding: .utf8)
        let port = try TracingTests.freePort()
        try await Self.withDeliveringService { service in
            let http = HTTPExchange(port: service.port, token: token)
            let created = Self.json(
                try await http.send("POST", "/api/v1/webhooks", body: #"{"url": "http://127.0.0.1:\#(port)/contacts"}"#).body)
            let output = directory.appendingPathComponent("verified")
            try #require(FileManager.default.createFile(atPath: output.path, contents: nil))
            let receiver = Process()
            receiver.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            receiver.arguments = [script.path]
            receiver.environment = ["WEBHOOK_SECRET": try #require(created["secret"] as? String), "PORT": String(port)]
            receiver.standardOutput = try FileHandle(forWritingTo: output)
            try receiver.run()
            defer {
                kill(receiver.processIdentifier, SIGKILL)
                receiver.waitUntilExit()
            }
            try #require(try await isListening(port: port))
            func verified() -> [String] {
                ((try? String(contentsOf: output, encoding: .utf8)) ?? "").split(separator: "\n").map {
                    String($0.split(separator: " ")[0])
                }
            }
            _ = try await http.send("POST", "/api/v1/actions/create-contact", body: #"{"phone": "+14155551100"}"#)
            _ = try await http.send("POST", "/api/v1/webhooks/\(try #require(created["id"] as? String))/rotate-secret")
            // Signed by the new secret and the old one: the receiver still knows only the old.
            _ = try await http.send("POST", "/api/v1/actions/create-contact", body: #"{"phone": "+14155551101"}"#)
            _ = try await eventually(within: .seconds(20)) { verified().count >= 2 }
            let feed = Self.json(try await http.send("GET", "/api/v1/changes").body)["data"] as? [[String: Any]] ?? []
            #expect(Set(verified()) == Set(feed.compactMap { $0["id"] as? String }))
            // A forged signature is refused.
            var forged = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/contacts")!)
            forged.httpMethod = "POST"
            forged.httpBody = Data("{}".utf8)
            forged.setValue("forged", forHTTPHeaderField: "webhook-id")
            forged.setValue(String(Int(Date().timeIntervalSince1970)), forHTTPHeaderField: "webhook-timestamp")
            forged.setValue("v1,\(Data(repeating: 7, count: 32).base64EncodedString())", forHTTPHeaderField: "webhook-signature")
            let (_, answer) = try await URLSession.shared.data(for: forged)
            #expect((answer as? HTTPURLResponse)?.statusCode == 401)
        }
    }
}
