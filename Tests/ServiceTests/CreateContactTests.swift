import Foundation
import HTTPTypes
import HummingbirdTesting
import PGStore
import Service
import Testing

@Suite("create-contact: the product page's example and the response")
struct CreateContactTests {
    static let example = """
        {
          "phone": "+14155550123",
          "name": "Romain",
          "email": "romain@example.com",
          "tags": "vip, fr-FR",
          "metadata": { "shopify_id": "12345", "lifetime_value": 8742.00 }
        }
        """

    @Test(arguments: ["/api/v1/actions/create-contact", "/v1/actions/create-contact"])
    func productPageExampleAnswers201WithTheDocumentedBody(path: String) async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let reply = try await api.create(Self.example, token: token, path: path)
            #expect(reply.status == .created)
            #expect(reply.headers[.contentType] == "application/json")
            let json = reply.json
            #expect(Set(json.keys) == ["id", "phone", "name", "email", "tags", "metadata", "created", "created_at", "updated_at"])
            let id = try #require(json["id"] as? String)
            #expect(id.count == 26)
            #expect(id.allSatisfy { "0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains($0) })
            #expect(ULID(string: id)?.description == id)
            #expect(json["phone"] as? String == "+14155550123")
            #expect(json["name"] as? String == "Romain")
            #expect(json["email"] as? String == "romain@example.com")
            #expect(json["tags"] as? [String] == ["vip", "fr-FR"])
            #expect(json["created"] as? Bool == true)
            // Exact numbers: the text, not a Double's rendering.
            #expect(reply.text.contains(#""lifetime_value": 8742.00"#))
            #expect(reply.text.contains(#""shopify_id": "12345""#))
            let created = try #require(json["created_at"] as? String)
            #expect(created.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00/) != nil)
            #expect(json["updated_at"] as? String == created)
            // The ULID's time is the creation time (to the second).
            let ms = Self.ulidMilliseconds(id)
            #expect(abs(Double(ms) / 1000 - Date().timeIntervalSince1970) < 60)
        }
    }

    static func ulidMilliseconds(_ id: String) -> UInt64 {
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        return id.prefix(10).reduce(UInt64(0)) { $0 << 5 | UInt64(alphabet.firstIndex(of: $1)!) }
    }

    @Test func exactNumbersSurviveAsJSONBStoresThem() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let body =
                #"{"phone": "+14155550199", "metadata": {"a": 8742.00, "big": 123456789012345678901234567890, "neg": -0.000001, "e": 1.5e300, "nested": {"x": [1.10, 2]}}}"#
            let reply = try await api.create(body, token: token)
            #expect(reply.status == .created)
            #expect(reply.text.contains("8742.00"))
            #expect(reply.text.contains("123456789012345678901234567890"))
            let stored = try await api.rows(tenant: tenant, "SELECT metadata->>'big' AS big, metadata->>'a' AS a FROM contacts")
            #expect(try stored[0].decode(String.self, column: "big") == "123456789012345678901234567890")
            #expect(try stored[0].decode(String.self, column: "a") == "8742.00")
        }
    }

    @Test func secondCallReplacesAndClearsButKeepsIdAndCreatedAt() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let first = try await api.create(Self.example, token: token)
            let second = try await api.create(#"{"phone": "+1 415 555 0123"}"#, token: token)
            #expect(second.status == .created)
            #expect(second.json["created"] as? Bool == false)
            #expect(second.json["id"] as? String == first.json["id"] as? String)
            #expect(second.json["created_at"] as? String == first.json["created_at"] as? String)
            // The API shows whole seconds; what is stored moved forward (microseconds), whatever the clock.
            #expect((second.json["updated_at"] as? String)! >= (first.json["updated_at"] as? String)!)
            let stored = try await api.rows(tenant: tenant, "SELECT updated_at > created_at AS moved FROM contacts")
            #expect(try stored[0].decode(Bool.self, column: "moved"))
            #expect(second.json["name"] is NSNull)
            #expect(second.json["email"] is NSNull)
            #expect(second.json["tags"] as? [String] == [])
            #expect((second.json["metadata"] as? [String: Any])?.isEmpty == true)
            let rows = try await api.rows(
                tenant: tenant,
                "SELECT (SELECT count(*) FROM contacts) AS contacts, (SELECT count(*) FROM contact_tags) AS links")
            #expect(try rows[0].decode(Int.self, column: "contacts") == 1)
            #expect(try rows[0].decode(Int.self, column: "links") == 0)

            // And back: tags re-linked in the new order.
            let third = try await api.create(#"{"phone": "+14155550123", "tags": ["fr-FR", "new", "vip"]}"#, token: token)
            #expect(third.json["tags"] as? [String] == ["fr-FR", "new", "vip"])
            let links = try await api.rows(
                tenant: tenant,
                "SELECT t.name FROM contact_tags ct JOIN tags t ON t.tenant_id = ct.tenant_id AND t.id = ct.tag_id ORDER BY ct.position")
            #expect(try links.map { try $0.decode(String.self, at: 0) } == ["fr-FR", "new", "vip"])
        }
    }

    @Test func fiftyConcurrentCallsWithOneNewPhoneMakeOneContact() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await TestAPI.with(poolSize: 8) { api in
            let replies = try await withThrowingTaskGroup(of: Reply.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        try await api.create(
                            #"{"phone": "+33612345678", "name": "n\#(index)", "tags": "a, b, c\#(index % 3)"}"#, token: token)
                    }
                }
                return try await group.reduce(into: [Reply]()) { $0.append($1) }
            }
            #expect(replies.allSatisfy { $0.status == .created })
            #expect(replies.filter { $0.json["created"] as? Bool == true }.count == 1)
            #expect(Set(replies.compactMap { $0.json["id"] as? String }).count == 1)
            let rows = try await api.rows(tenant: tenant, "SELECT count(*) FROM contacts")
            #expect(try rows[0].decode(Int.self, at: 0) == 1)
        }
    }

    @Test func samePhoneInTwoWorkspacesIsTwoContactsNeitherSeesTheOther() async throws {
        let a = try await TestEnvironment.tenant()
        let b = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let fromA = try await api.create(#"{"phone": "+4915112345678", "name": "A", "tags": "shared"}"#, token: a.token)
            let fromB = try await api.create(#"{"phone": "+4915112345678", "name": "B", "tags": "shared"}"#, token: b.token)
            #expect(fromA.json["created"] as? Bool == true)
            #expect(fromB.json["created"] as? Bool == true)
            #expect(fromA.json["id"] as? String != fromB.json["id"] as? String)
            let seenByA = try await api.rows(tenant: a.tenant, "SELECT name FROM contacts")
            #expect(try seenByA.map { try $0.decode(String.self, at: 0) } == ["A"])
            let tagsOfB = try await api.rows(tenant: b.tenant, "SELECT count(*) FROM tags")
            #expect(try tagsOfB[0].decode(Int.self, at: 0) == 1)
        }
    }

    @Test func unknownFieldsAreIgnored() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let reply = try await api.create(
                #"{"phone": "+14155550123", "id": "x", "tenant_id": "y", "extra": [1, {"a": null}]}"#, token: token)
            #expect(reply.status == .created)
        }
    }

    @Test func healthAndReadiness() async throws {
        try await TestAPI.with { api in
            #expect(try await api.send(.get, "/healthz").status == .ok)
            let ready = try await api.send(.get, "/readyz")
            #expect(ready.status == .ok)
            #expect(ready.json["status"] as? String == "ready")
        }
    }

    @Test func unknownRouteIsAJSON404() async throws {
        try await TestAPI.with { api in
            let reply = try await api.send(.get, "/api/v1/nothing-here")
            #expect(reply.status == .notFound)
            #expect(reply.code == "not_found")
            #expect(reply.headers[.contentType] == "application/json")
        }
    }

    @Test func throughALiveSocket() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let reply = try await api.send(.post, "/api/v1/actions/create-contact", token: token, body: Self.example, setup: .live)
            #expect(reply.status == .created)
            #expect(reply.json["tags"] as? [String] == ["vip", "fr-FR"])
            let unauthenticated = try await api.send(.post, "/v1/actions/create-contact", body: "{}", setup: .live)
            #expect(unauthenticated.status == .unauthorized)
        }
    }
}
