import Foundation
import HTTPTypes
import Hummingbird
import PGStore
import Service
import Testing

@Suite("The OpenAPI document stays true")
struct OpenAPITests {
    static var document: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8))) as? [String: Any] ?? [:]
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

    @Test func isOpenAPI31AndServed() async throws {
        #expect(Self.document["openapi"] as? String == "3.1.0")
        try await TestAPI.with { api in
            let reply = try await api.send(.get, "/api/v1/openapi.json")
            #expect(reply.status == .ok)
            #expect(reply.json["openapi"] as? String == "3.1.0")
        }
    }

    @Test func everyServedRouteIsDocumentedAndEveryDocumentedRouteIsServed() async throws {
        try await TestAPI.with { api in
            let router = buildRouter(pool: api.pool, configuration: api.configuration)
            let served = Set(router.routes.map { "\($0.method.rawValue.lowercased()) \($0.path.description)" })
            let documented = Set(Self.documented.map { "\($0.method) \($0.path)" })
            #expect(served == documented, "served only: \(served.subtracting(documented)); documented only: \(documented.subtracting(served))")
        }
    }

    @Test func everyDocumentedStatusIsReachable() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        let noWorkspace = try await TestEnvironment.asOwner { admin, _ in try await admin.createAccount(name: "nows", withWorkspace: false) }.token
        let documented = Self.documented
        #expect(documented.count > 40)
        try await TestAPI.with { api in
            var phone = 4_155_550_000
            func newContact() async throws -> (phone: String, id: String) {
                phone += 1
                let reply = try await api.create(#"{"phone": "+1\#(phone)"}"#, token: token)
                return ("+1\(phone)", reply.json["id"] as? String ?? "")
            }
            for (path, method, status) in documented where status != 503 {
                let existing = try await newContact()
                var uri = path.replacingOccurrences(of: "{id}", with: status == 404 ? ULID().description : existing.id)
                var body: String? = method == "post" ? Self.validBody(path, phone: existing.phone) : nil
                var bearer: String? = token
                var contentType = "application/json"
                switch status {
                case 400: if method == "post" { body = "[" } else { uri += "?cursor=garbage" }
                case 401: bearer = nil
                case 404: body = method == "post" ? #"{"phone": "+14155559999"}"# : nil
                case 413: body = String(repeating: " ", count: (path.hasSuffix("create-contacts") ? api.configuration.batchBodyLimit : api.configuration.bodyLimit) + 1)
                case 415: contentType = "text/plain"
                case 422: if method == "post" { body = path.hasSuffix("create-contacts") ? #"{"contacts": []}"# : #"{"phone": 1}"# } else { bearer = noWorkspace }
                default: break
                }
                let reply = try await api.send(HTTPRequest.Method(method.uppercased())!, uri, token: bearer, body: body, contentType: contentType)
                #expect(reply.status.code == status, "\(method) \(uri) → \(reply.status.code) \(reply.text.prefix(200))")
            }
        }
        // 503: the database is unreachable.
        let nowhere = ConnectionPool(connection: .init(url: "postgresql:///contacts?host=/nonexistent&user=x"))
        let unreachable = TestAPI(pool: nowhere, configuration: ServiceConfiguration())
        for (path, method, status) in documented where status == 503 {
            let uri = path.replacingOccurrences(of: "{id}", with: ULID().description)
            let body = method == "post" ? Self.validBody(path, phone: "+14155550123") : nil
            let reply = try await unreachable.send(HTTPRequest.Method(method.uppercased())!, uri, token: token, body: body)
            #expect(reply.status == .serviceUnavailable, "\(method) \(uri)")
            #expect(reply.headers[.retryAfter] != nil)
        }
        await nowhere.close()
    }

    static func validBody(_ path: String, phone: String) -> String {
        path.hasSuffix("create-contacts") ? #"{"contacts": [{"phone": "\#(phone)"}]}"# : #"{"phone": "\#(phone)"}"#
    }
}
