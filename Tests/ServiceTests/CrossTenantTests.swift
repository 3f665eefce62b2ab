import Foundation
import HTTPTypes
import Service
import Testing

@Suite("Cross-tenant matrix: another workspace's ids and phones, on every route")
struct CrossTenantTests {
    @Test func noRouteLetsATenantReadChangeOrLearnAnothersRows() async throws {
        let a = try await TestEnvironment.tenant()
        let b = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let created = try await api.create(
                #"{"phone": "+14155550123", "name": "A", "tags": "a-only", "metadata": {"k": 1}}"#, token: a.token)
            let id = try #require(created.json["id"] as? String)
            let before = try await api.send(.get, "/api/v1/contacts/\(id)", token: a.token).text

            let attempts: [(HTTPRequest.Method, String, String?, Int)] = [
                (.get, "/api/v1/contacts/\(id)", nil, 404),
                (.post, "/api/v1/actions/update-contact", #"{"phone": "+14155550123", "name": "B", "add_tags": "b"}"#, 404),
                (.post, "/api/v1/actions/delete-contact", #"{"id": "\#(id)"}"#, 404),
                (.post, "/api/v1/actions/delete-contact", #"{"phone": "+14155550123"}"#, 404),
                (.post, "/api/v1/actions/delete-contact", #"{"phone": "+14155550123", "id": "\#(id)"}"#, 404),
                (.get, "/api/v1/contacts?phone=%2B14155550123", nil, 200),
                (.get, "/api/v1/contacts?tag=a-only", nil, 200),
                (.get, "/api/v1/contacts", nil, 200),
                (.get, "/api/v1/tags", nil, 200),
            ]
            for (method, uri, body, status) in attempts {
                let reply = try await api.send(method, uri, token: b.token, body: body)
                #expect(Int(reply.status.code) == status, "\(method) \(uri)")
                #expect(
                    !reply.text.contains(id) && !reply.text.contains("a-only") && !reply.text.contains("+14155550123"),
                    "\(method) \(uri): \(reply.text)")
            }
            // Writing the same phone as B makes B's own contact; A's stays as it was.
            let own = try await api.create(#"{"phone": "+14155550123", "name": "B"}"#, token: b.token)
            #expect(own.json["created"] as? Bool == true)
            #expect(own.json["id"] as? String != id)
            let batch = try await api.send(
                .post, "/api/v1/actions/create-contacts", token: b.token, body: #"{"contacts": [{"phone": "+14155550123", "name": "B2"}]}"#)
            #expect(!batch.text.contains(id))
            #expect(try await api.send(.get, "/api/v1/contacts/\(id)", token: a.token).text == before)
        }
    }
}
