import Foundation
import HTTPTypes
import PGStore
import Service
import Testing

/// create-contact as one call of `upsert_contact`: a write that changes nothing writes nothing
/// and keeps `updated_at` (API.md); any change, tags alone included, moves it forward.
@Suite("create-contact: one call, nothing written when nothing changed")
struct OneCallWriteTests {
    static let body = #"{"phone": "+14155550123", "name": "Romain", "tags": "vip, fr-FR", "metadata": {"lifetime_value": 8742.00}}"#

    /// The row version (`xmin`) and `updated_at`: a new version means something was written.
    func version(_ api: TestAPI, _ tenant: UUID) async throws -> (xmin: String, updatedAt: String) {
        let row = try await api.rows(tenant: tenant, "SELECT xmin::text AS xmin, updated_at::text AS updated FROM contacts")[0]
        return (try row.decode(column: "xmin"), try row.decode(column: "updated"))
    }

    @Test func anIdenticalWriteTouchesNothing() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let first = try await api.create(Self.body, token: token)
            #expect(first.json["created"] as? Bool == true)
            #expect(first.json["created_at"] as? String == first.json["updated_at"] as? String)
            let before = try await version(api, tenant)
            let links = try await api.rows(tenant: tenant, "SELECT string_agg(xmin::text, ',' ORDER BY position) AS x FROM contact_tags")
            let again = try await api.create(Self.body, token: token)
            #expect(again.status == .created)
            #expect(again.json["created"] as? Bool == false)
            #expect(again.json["id"] as? String == first.json["id"] as? String)
            #expect(again.json["updated_at"] as? String == first.json["updated_at"] as? String)
            #expect(try await version(api, tenant) == before, "an identical write made a new row version")
            let linksAfter = try await api.rows(
                tenant: tenant, "SELECT string_agg(xmin::text, ',' ORDER BY position) AS x FROM contact_tags")
            #expect(try linksAfter[0].decode(String.self, column: "x") == links[0].decode(String.self, column: "x"))
        }
    }

    @Test(arguments: [
        #"{"phone": "+14155550123", "name": "Romain", "tags": "fr-FR, vip", "metadata": {"lifetime_value": 8742.00}}"#,
        #"{"phone": "+14155550123", "name": "Romain", "tags": "vip", "metadata": {"lifetime_value": 8742.00}}"#,
        #"{"phone": "+14155550123", "name": "Romain", "tags": "vip, fr-FR", "metadata": {"lifetime_value": 8742.0}}"#,
        #"{"phone": "+14155550123", "name": "Romain", "tags": "vip, fr-FR"}"#,
        #"{"phone": "+14155550123", "name": "Romano", "tags": "vip, fr-FR", "metadata": {"lifetime_value": 8742.00}}"#,
        #"{"phone": "+14155550123", "tags": "vip, fr-FR", "metadata": {"lifetime_value": 8742.00}}"#,
    ])
    func everyChangeMovesUpdatedAtForward(_ changed: String) async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let first = try await api.create(Self.body, token: token)
            let before = try await version(api, tenant)
            let reply = try await api.create(changed, token: token)
            #expect(reply.json["created"] as? Bool == false)
            let after = try await version(api, tenant)
            #expect(after.updatedAt > before.updatedAt, "\(changed)")
            #expect((reply.json["updated_at"] as? String ?? "") >= (first.json["updated_at"] as? String ?? "~"))
            // What was sent is what is read back.
            let read = try await api.send(.get, "/api/v1/contacts/\(first.json["id"] as? String ?? "")", token: token)
            #expect(read.json["tags"] as? [String] == reply.json["tags"] as? [String])
            #expect(read.json["name"] as? String == reply.json["name"] as? String)
            #expect(changed.contains("8742.0}") == read.text.contains(#""lifetime_value": 8742.0}"#))
        }
    }

    /// update-contact as one call too (`sql/functions/update_contact.sql`): a patch that changes nothing writes nothing.
    @Test(arguments: [
        #"{"phone": "+14155550123"}"#, #"{"phone": "+14155550123", "name": "Romain"}"#,
        #"{"phone": "+14155550123", "metadata": {"lifetime_value": 8742.00}}"#, #"{"phone": "+14155550123", "add_tags": "vip"}"#,
        #"{"phone": "+14155550123", "remove_tags": "absent"}"#, #"{"phone": "+14155550123", "tags": "vip, fr-FR"}"#,
    ])
    func aPatchThatChangesNothingTouchesNothing(_ patch: String) async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let first = try await api.create(Self.body, token: token)
            let before = try await version(api, tenant)
            let reply = try await api.send(.post, "/api/v1/actions/update-contact", token: token, body: patch)
            #expect(reply.status == .ok, "\(patch): \(reply.text.prefix(200))")
            #expect(reply.json["updated_at"] as? String == first.json["updated_at"] as? String, "\(patch)")
            #expect(try await version(api, tenant) == before, "\(patch) made a new row version")
            #expect(reply.json["tags"] as? [String] == ["vip", "fr-FR"])
        }
    }

    @Test(arguments: [
        #"{"phone": "+14155550123", "name": "Romano"}"#, #"{"phone": "+14155550123", "metadata": {"lifetime_value": 8742.0}}"#,
        #"{"phone": "+14155550123", "add_tags": "new"}"#, #"{"phone": "+14155550123", "remove_tags": "vip"}"#,
        #"{"phone": "+14155550123", "tags": "fr-FR, vip"}"#, #"{"phone": "+14155550123", "email": "r@example.com"}"#,
    ])
    func aPatchThatChangesSomethingMovesUpdatedAt(_ patch: String) async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            _ = try await api.create(Self.body, token: token)
            let before = try await version(api, tenant)
            let reply = try await api.send(.post, "/api/v1/actions/update-contact", token: token, body: patch)
            #expect(reply.status == .ok, "\(patch): \(reply.text.prefix(200))")
            #expect(try await version(api, tenant).updatedAt > before.updatedAt, "\(patch)")
        }
    }
}
