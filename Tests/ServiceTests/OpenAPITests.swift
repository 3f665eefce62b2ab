import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PGStore
import TestSupport
import Testing

@testable import Service

@Suite("The OpenAPI document stays true")
struct OpenAPITests {
    static func parse(_ bytes: [UInt8]) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
    }

    static var document: [String: Any] { parse(OpenAPIDocument.file) }

    /// The value at `path` in `object` (dictionary keys), or nil.
    static func value(_ path: [String], in object: Any? = document) -> Any? {
        path.reduce(object) { ($0 as? [String: Any])?[$1] }
    }

    /// `#/components/…` references followed.
    static func resolved(_ object: Any?) -> [String: Any] {
        guard let object = object as? [String: Any] else { return [:] }
        guard let reference = object["$ref"] as? String else { return object }
        return resolved(value(reference.dropFirst(2).split(separator: "/").map(String.init)))
    }

    /// (path, method, status) for every documented response.
    static var documented: [(path: String, method: String, status: Int)] {
        let paths = document["paths"] as? [String: [String: Any]] ?? [:]
        return paths.flatMap { path, operations in
            operations.flatMap { method, operation in
                ((operation as? [String: Any])?["responses"] as? [String: Any] ?? [:]).keys.compactMap { status in
                    Int(status).map { (path, method, $0) }
                }
            }
        }.sorted { ($0.path, $0.method, $0.status) < ($1.path, $1.method, $1.status) }
    }

    /// The headers the document promises on one response.
    static func documentedHeaders(_ path: String, _ method: String, _ status: Int) -> [String] {
        let response = resolved(value(["paths", path, method, "responses", String(status)]))
        return (response["headers"] as? [String: Any] ?? [:]).keys.sorted()
    }

    @Test func isOpenAPI31AndServed() async throws {
        #expect(Self.document["openapi"] as? String == "3.1.0")
        try await TestAPI.with { api in
            let reply = try await api.send(.get, "/api/v1/openapi.json")
            #expect(reply.status == .ok)
            #expect(reply.json["openapi"] as? String == "3.1.0")
            #expect(reply.headers[.contentType] == "application/json")
        }
    }

    /// Limits appear once: the file's figures are those the code enforces.
    @Test func theFilesLimitsAreTheCodes() {
        func schema(_ name: String, _ property: String, _ key: String) -> Int? {
            Self.resolved(Self.value(["components", "schemas", name, "properties", property]))[key] as? Int
        }
        for name in ["CreateContact", "UpdateContact"] {
            #expect(Self.resolved(Self.value(["components", "schemas", "Phone"]))["maxLength"] as? Int == PhoneNumber.maximumLength)
            #expect(schema(name, "name", "maxLength") == ContactInput.maximumNameLength)
            #expect(schema(name, "email", "maxLength") == EmailAddress.maximumLength)
            #expect(schema(name, "metadata", "x-maximum-bytes") == Metadata.maximumBytes)
            #expect(schema(name, "metadata", "x-maximum-depth") == Metadata.maximumDepth)
        }
        let tags = Self.value(["components", "schemas", "Tags", "oneOf"]) as? [[String: Any]] ?? []
        let tagItems = tags.compactMap { $0["items"] as? [String: Any] }.first
        #expect(tagItems?["maxLength"] as? Int == TagList.maximumTagLength)
        #expect(
            (Self.value(["components", "schemas", "Tags", "description"]) as? String)?.contains("\(TagList.maximumCount) tags") == true)
        #expect(schema("CreateContacts", "contacts", "maxItems") == ContactsController.maximumBatch)
        let parameters = Self.value(["paths", "/api/v1/contacts", "get", "parameters"]) as? [[String: Any]] ?? []
        let limit = parameters.first { $0["name"] as? String == "limit" }?["schema"] as? [String: Any]
        #expect(limit?["maximum"] as? Int == ContactFilter.maximumLimit)
        #expect(limit?["default"] as? Int == ContactFilter.defaultLimit)
        let importParameters = Self.value(["paths", "/api/v1/imports", "get", "parameters"]) as? [[String: Any]] ?? []
        let importLimit = importParameters.first { $0["name"] as? String == "limit" }?["schema"] as? [String: Any]
        #expect(importLimit?["maximum"] as? Int == ContactFilter.maximumLimit)
        // The report's cap, written out in the document as "100,000".
        #expect(ImportJobRunner.reportedErrors == 100_000)
        #expect((Self.value(["paths", "/api/v1/imports/{id}/errors", "get", "description"]) as? String)?.contains("100,000") == true)
        let defaults = ServiceConfiguration()
        for (path, bytes) in [
            ("/api/v1/actions/create-contact", defaults.bodyLimit), ("/api/v1/actions/create-contacts", defaults.batchBodyLimit),
            ("/api/v1/imports", defaults.imports.bodyLimit),
        ] {
            #expect(Self.value(["paths", path, "post", "requestBody", "x-maximum-bytes"]) as? Int == bytes)
        }
    }

    /// The served document states this instance's limits, not the file's defaults.
    @Test func theServedDocumentStatesThisInstancesLimits() throws {
        var configuration = ServiceConfiguration()
        configuration.bodyLimit = 1000
        configuration.batchBodyLimit = 50_000
        configuration.imports.bodyLimit = 70_000
        configuration.rateLimit = .init(rate: 7, burst: 9)
        let served = Self.parse(OpenAPIDocument.served(by: configuration))
        #expect(
            Self.value(["paths", "/api/v1/actions/update-contact", "post", "requestBody", "x-maximum-bytes"], in: served) as? Int == 1000)
        #expect(
            Self.value(["paths", "/api/v1/actions/create-contacts", "post", "requestBody", "x-maximum-bytes"], in: served) as? Int == 50_000
        )
        #expect(Self.value(["paths", "/api/v1/imports", "post", "requestBody", "x-maximum-bytes"], in: served) as? Int == 70_000)
        #expect(Self.value(["info", "x-rate-limit", "requests-per-second"], in: served) as? Int == 7)
        #expect(Self.value(["info", "x-rate-limit", "burst"], in: served) as? Int == 9)
        configuration.rateLimit = .off
        let unlimited = Self.parse(OpenAPIDocument.served(by: configuration))
        #expect(Self.value(["info", "x-rate-limit", "requests-per-second"], in: unlimited) as? Int == 0)
        // Everything else is the file's.
        #expect((served["components"] as? NSDictionary) == (Self.document["components"] as? NSDictionary))
    }

    @Test func everyServedRouteIsDocumentedAndEveryDocumentedRouteIsServed() async throws {
        try await TestAPI.with { api in
            let router = buildRouter(pool: api.pool, configuration: api.configuration)
            let served = Set(router.routes.map { "\($0.method.rawValue.lowercased()) \($0.path.description)" })
            let documented = Set(Self.documented.map { "\($0.method) \($0.path)" })
            #expect(
                served == documented, "served only: \(served.subtracting(documented)); documented only: \(documented.subtracting(served))")
        }
    }

    /// Each documented status, provoked on its route, with the headers the document promises.
    @Test func everyDocumentedStatusIsReachableWithItsHeaders() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        let noWorkspace = try await TestEnvironment.asOwner { admin, _ in try await admin.createAccount(name: "nows", withWorkspace: false)
        }.token
        let documented = Self.documented
        #expect(documented.count > 60)
        func check(_ reply: Reply, _ path: String, _ method: String, _ status: Int, _ uri: String, replayed: Bool = false) {
            #expect(reply.status.code == status, "\(method) \(uri) → \(reply.status.code) \(reply.text.prefix(200))")
            for header in Self.documentedHeaders(path, method, status) where replayed || header != "Idempotent-Replayed" {
                #expect(reply.headers[HTTPField.Name(header)!] != nil, "\(method) \(uri) → \(status) without \(header)")
            }
        }
        try await TestAPI.with(configure: {
            $0.imports.bodyLimit = 64 * 1024
            $0.webhooks.policy.resolver = FixedResolver(["hooks.example.com": ["93.184.216.34"]])
        }) { api in
            var phone = 4_155_550_000
            func newContact() async throws -> (phone: String, id: String) {
                phone += 1
                let reply = try await api.create(#"{"phone": "+1\#(phone)", "tags": "t1\#(phone)"}"#, token: token)
                return ("+1\(phone)", reply.json["id"] as? String ?? "")
            }
            // An import job, and one whose report retention has deleted (410).
            func newJob() async throws -> String {
                try await api.send(.post, "/api/v1/imports", token: token, body: "phone\nbad\n", contentType: "text/csv").json["id"]
                    as? String ?? ""
            }
            let expired = try await newJob()
            await ImportJobRunner(pool: api.pool, configuration: .init(), logger: Logger(label: "imports")).runQueued(tenant: tenant)
            while try await ImportJobStore(pool: api.pool).purge(endedBefore: .zero) == 100 {}
            // A change feed cursor whose changes after it retention has deleted (410).
            _ = try await newContact()
            _ = try await newContact()
            let expiredChanges = try #require(
                try await api.send(.get, "/api/v1/changes?limit=1", token: token).json["next_cursor"] as? String)
            _ = try await ChangeFeedStore(pool: api.pool).prune(tenant: tenant, before: Date(timeIntervalSinceNow: 1))
            // A webhook endpoint, room made first (a workspace has at most 10).
            func newWebhook() async throws -> String {
                let listed = try await api.send(.get, "/api/v1/webhooks", token: token).json["data"] as? [[String: Any]] ?? []
                if listed.count >= 9 {
                    for endpoint in listed {
                        _ = try await api.send(.delete, "/api/v1/webhooks/\(endpoint["id"] as? String ?? "")", token: token)
                    }
                }
                return try await api.send(.post, "/api/v1/webhooks", token: token, body: Self.validBody("/api/v1/webhooks", phone: ""))
                    .json["id"] as? String ?? ""
            }
            // /docs's 404 needs an instance without the reference's renderer: below.
            for (path, method, status) in documented where ![429, 501, 503].contains(status) && !(path == "/docs" && status == 404) {
                let isImport = path.hasPrefix("/api/v1/imports")
                let isWebhook = path.hasPrefix("/api/v1/webhooks/")
                let existing = try await newContact()
                let id =
                    status == 404
                    ? ULID().description
                    : status == 410
                        ? expired
                        : isImport
                            ? try await newJob()
                            : isWebhook ? try await newWebhook() : existing.id
                var uri = path.replacingOccurrences(of: "{id}", with: id)
                    .replacingOccurrences(of: "{file}", with: status == 404 ? "nothing.js" : "swagger-ui.css")
                if path == "/api/v1/changes", status == 410 { uri += "?after=\(expiredChanges)" }
                var body: String? = method == "post" ? Self.validBody(path, phone: existing.phone) : nil
                var bearer: String? = token
                var contentType = Self.contentType(path)
                var httpMethod = HTTPRequest.Method(method.uppercased())!
                var accept: String?
                var idempotencyKey: String?
                // A request with the same key still running: its lock held by another session.
                var heldKey: PGConnection?
                let takesJSON = method == "post" && !isImport && !path.hasSuffix("/rotate-secret") && !path.hasSuffix("/enable")
                switch status {
                case 400:
                    if takesJSON {
                        body = "["
                    } else if method == "post" {
                        idempotencyKey = "not a key"
                    } else {
                        uri += path == "/api/v1/changes" ? "?after=garbage" : "?cursor=garbage"
                    }
                case 401: bearer = nil
                case 404:
                    body =
                        path.hasSuffix("rename-tag")
                        ? #"{"from": "no-such-tag", "to": "x"}"#
                        : path.hasSuffix("delete-tag")
                            ? #"{"name": "no-such-tag"}"#
                            : method == "post" ? #"{"phone": "+14155559999"}"# : nil
                case 405: httpMethod = .put
                case 406: accept = "application/xml"
                case 409 where path.hasSuffix("update-contact"):
                    // Another contact's phone as the new one.
                    let other = try await newContact()
                    body = #"{"phone": "\#(existing.phone)", "new_phone": "\#(other.phone)"}"#
                case 409:
                    idempotencyKey = "in-flight-\(UUID())"
                    let admin = try await PGConnection.connect(TestServer.admin)
                    let name = "\(tenant.uuidString)\u{1F}POST\u{1F}\(uri)\u{1F}\(idempotencyKey!)"
                    try await admin.query(unprepared: "SELECT pg_advisory_lock(hashtextextended($1, 0))", [name])
                    heldKey = admin
                case 413:
                    let limit =
                        isImport
                        ? api.configuration.imports.bodyLimit
                        : path.hasSuffix("create-contacts") ? api.configuration.batchBodyLimit : api.configuration.bodyLimit
                    body = String(repeating: " ", count: limit + 1)
                case 415: contentType = "text/plain"
                case 422:
                    if takesJSON {
                        body = path.hasSuffix("create-contacts") ? #"{"contacts": []}"# : #"{"phone": 1}"#
                    } else {
                        bearer = noWorkspace
                    }
                default: break
                }
                var headers = HTTPFields()
                if let bearer { headers[.authorization] = "Bearer \(bearer)" }
                if body != nil { headers[.contentType] = contentType }
                if let accept { headers[.accept] = accept }
                if let idempotencyKey { headers[HTTPField.Name("Idempotency-Key")!] = idempotencyKey }
                let reply = try await api.sendHeaders(headers, method: httpMethod, uri: uri, body: body.map { ByteBuffer(string: $0) })
                await heldKey?.close()
                check(reply, path, method, status, uri)
                // A 2xx's Idempotent-Replayed: the same request again, with a key, is a replay.
                if (200..<300).contains(status), method == "post" {
                    headers[HTTPField.Name("Idempotency-Key")!] = "replayed-\(UUID())"
                    var replays: [Reply] = []
                    for _ in 0..<2 {
                        replays.append(
                            try await api.sendHeaders(headers, method: httpMethod, uri: uri, body: body.map { ByteBuffer(string: $0) }))
                    }
                    check(replays[1], path, method, Int(replays[0].status.code), uri, replayed: true)
                    #expect(replays[1].text == replays[0].text, "\(method) \(uri)")
                }
            }
        }
        try await TestAPI.with(configure: { $0.docsDirectory = "/nonexistent" }) { api in
            check(try await api.send(.get, "/docs"), "/docs", "get", 404, "/docs")
        }
        // 429: a workspace past its burst of one.
        try await TestAPI.with(rateLimit: .init(rate: 0.001, burst: 1)) { api in
            for (path, method, status) in documented where status == 429 {
                let (limited, _, _) = try await TestEnvironment.tenant()
                let uri = path.replacingOccurrences(of: "{id}", with: ULID().description)
                let body = method == "post" ? Self.validBody(path, phone: "+14155550123") : nil
                _ = try await api.send(
                    HTTPRequest.Method(method.uppercased())!, uri, token: limited, body: body, contentType: Self.contentType(path))
                let reply = try await api.send(
                    HTTPRequest.Method(method.uppercased())!, uri, token: limited, body: body, contentType: Self.contentType(path))
                check(reply, path, method, status, uri)
            }
        }
        // 501: a transfer coding the server does not implement, on a real socket (it is refused
        // below the router).
        try await withLiveService { service in
            for (path, method, status) in documented where status == 501 {
                let raw =
                    "POST \(path) HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(token)\r\n"
                    + "Content-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"
                let answer = try await HTTPConformanceTests.answer(raw, port: service.port)
                #expect(answer.status == status, "\(method) \(path) → \(answer.status)")
                for header in Self.documentedHeaders(path, method, status) {
                    #expect(answer.text.lowercased().contains("\r\n\(header.lowercased()): "), "\(path) → 501 without \(header)")
                }
            }
        }
        // 503: the database is unreachable.
        let nowhere = ConnectionPool(connection: .init(url: "postgresql:///contacts?host=/nonexistent&user=x"))
        let unreachable = TestAPI(pool: nowhere, configuration: ServiceConfiguration())
        for (path, method, status) in documented where status == 503 {
            let uri = path.replacingOccurrences(of: "{id}", with: ULID().description)
            let body = method == "post" ? Self.validBody(path, phone: "+14155550123") : nil
            let reply = try await unreachable.send(
                HTTPRequest.Method(method.uppercased())!, uri, token: token, body: body, contentType: Self.contentType(path))
            check(reply, path, method, status, uri)
        }
        await nowhere.close()
    }

    static func validBody(_ path: String, phone: String) -> String {
        if path == "/api/v1/imports" { return "phone\n\(phone)\n" }
        if path == "/api/v1/webhooks" { return #"{"url": "https://hooks.example.com/openapi"}"# }
        // The tag every contact of the status test carries (newContact): "t" and its digits.
        let tag = "t" + phone.filter(\.isNumber)
        if path.hasSuffix("rename-tag") { return #"{"from": "\#(tag)", "to": "r\#(tag)"}"# }
        if path.hasSuffix("delete-tag") { return #"{"name": "\#(tag)"}"# }
        return path.hasSuffix("create-contacts") ? #"{"contacts": [{"phone": "\#(phone)"}]}"# : #"{"phone": "\#(phone)"}"#
    }

    static func contentType(_ path: String) -> String {
        path == "/api/v1/imports" ? "text/csv" : "application/json"
    }
}
