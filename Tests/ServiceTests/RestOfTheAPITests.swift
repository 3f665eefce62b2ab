import Foundation
import HTTPTypes
import PGStore
import Service
import TestSupport
import Testing

@Suite("update, read, list, delete, batch, tags")
struct RestOfTheAPITests {
    @Test func updateChangesOnlyWhatItNames() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let created = try await api.create(
                #"{"phone": "+14155550123", "name": "Romain", "email": "r@example.com", "tags": "vip, fr-FR", "metadata": {"a": 1, "keep": {"x": 1, "y": 2}}}"#,
                token: token)
            let update = try await api.send(
                .post, "/api/v1/actions/update-contact", token: token,
                body:
                    #"{"phone": "+1 415 555 0123", "email": null, "metadata": {"a": null, "b": 2.50, "keep": {"y": null, "z": 3}}, "add_tags": "new, vip", "remove_tags": ["fr-FR"]}"#
            )
            #expect(update.status == .ok, "\(update.text)")
            #expect(update.json["id"] as? String == created.json["id"] as? String)
            #expect(update.json["name"] as? String == "Romain")
            #expect(update.json["email"] is NSNull)
            #expect(update.json["tags"] as? [String] == ["vip", "new"])
            #expect(update.text.contains(#""b": 2.50"#))
            let metadata = try #require(update.json["metadata"] as? [String: Any])
            #expect(metadata["a"] == nil)
            #expect((metadata["keep"] as? [String: Int]) == ["x": 1, "z": 3])
            #expect(update.json["created"] == nil)
            // tags replaces; metadata null clears.
            let replaced = try await api.send(
                .post, "/api/v1/actions/update-contact", token: token,
                body: #"{"phone": "+14155550123", "tags": "z, a", "metadata": null, "name": ""}"#)
            #expect(replaced.json["tags"] as? [String] == ["z", "a"])
            #expect(replaced.text.contains(#""metadata":{}"#))
            #expect(replaced.json["name"] is NSNull)
        }
    }

    @Test func updateOfAnUnknownPhoneIs404AndCreatesNothing() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let reply = try await api.send(
                .post, "/api/v1/actions/update-contact", token: token, body: #"{"phone": "+14155550123", "add_tags": "ghost"}"#)
            #expect(reply.status == .notFound)
            #expect(try await api.rows(tenant: tenant, "SELECT count(*) FROM tags")[0].decode(Int.self, at: 0) == 0)
            let invalid = try await api.send(.post, "/api/v1/actions/update-contact", token: token, body: #"{"name": "x"}"#)
            #expect(invalid.errors["phone"] == ["give the phone or the id of the contact to update"])
        }
    }

    @Test func concurrentMergePatchesAndAddTagsLoseNothing() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            _ = try await api.create(#"{"phone": "+14155550123"}"#, token: token)
            try await withThrowingTaskGroup(of: Reply.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        try await api.send(
                            .post, "/api/v1/actions/update-contact", token: token,
                            body: #"{"phone": "+14155550123", "metadata": {"k\#(index)": \#(index)}, "add_tags": "t\#(index)"}"#)
                    }
                }
                for try await reply in group { #expect(reply.status == .ok) }
            }
            let final = try await api.send(.post, "/api/v1/actions/update-contact", token: token, body: #"{"phone": "+14155550123"}"#)
            let metadata = try #require(final.json["metadata"] as? [String: Int])
            #expect(metadata.count == 20)
            #expect(Set(final.json["tags"] as? [String] ?? []) == Set((0..<20).map { "t\($0)" }))
        }
    }

    @Test func getByIdAndAnotherTenantsIdIs404() async throws {
        let a = try await TestEnvironment.tenant()
        let b = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let created = try await api.create(#"{"phone": "+14155550123", "tags": "x"}"#, token: a.token)
            let id = try #require(created.json["id"] as? String)
            let got = try await api.send(.get, "/api/v1/contacts/\(id)", token: a.token)
            #expect(got.status == .ok)
            #expect(got.json["tags"] as? [String] == ["x"])
            #expect(got.json["id"] as? String == id)
            #expect(try await api.send(.get, "/api/v1/contacts/\(id)", token: b.token).status == .notFound)
            #expect(try await api.send(.get, "/api/v1/contacts/\(id.lowercased())", token: a.token).status == .ok)
            for bad in ["not-a-ulid", "8ZZZZZZZZZZZZZZZZZZZZZZZZZ", "%00", String(repeating: "A", count: 500)] {
                #expect(try await api.send(.get, "/api/v1/contacts/\(bad)", token: a.token).status == .notFound, "\(bad)")
            }
            // Cross-tenant update and delete: 404, and A's contact is untouched.
            #expect(
                try await api.send(
                    .post, "/api/v1/actions/update-contact", token: b.token, body: #"{"phone": "+14155550123", "name": "B"}"#
                ).status == .notFound)
            #expect(
                try await api.send(.post, "/api/v1/actions/delete-contact", token: b.token, body: #"{"id": "\#(id)"}"#).status == .notFound)
            #expect(try await api.send(.get, "/api/v1/contacts/\(id)", token: a.token).json["name"] is NSNull)
        }
    }

    @Test func deleteByPhoneOrIdTakesItsLinks() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let first = try await api.create(#"{"phone": "+14155550123", "tags": "a, b"}"#, token: token)
            _ = try await api.create(#"{"phone": "+14155550124", "tags": "a"}"#, token: token)
            let byPhone = try await api.send(.post, "/api/v1/actions/delete-contact", token: token, body: #"{"phone": "+1 415 555 0123"}"#)
            #expect(byPhone.status == .ok)
            #expect(byPhone.json["deleted"] as? Bool == true)
            #expect(byPhone.json["id"] as? String == first.json["id"] as? String)
            #expect(try await api.rows(tenant: tenant, "SELECT count(*) FROM contact_tags")[0].decode(Int.self, at: 0) == 1)
            #expect(
                try await api.send(.post, "/api/v1/actions/delete-contact", token: token, body: #"{"phone": "+14155550123"}"#).status
                    == .notFound)
            let neither = try await api.send(.post, "/api/v1/actions/delete-contact", token: token, body: #"{}"#)
            #expect(neither.status == .unprocessableContent)
            #expect(try await api.send(.post, "/api/v1/actions/delete-contact", token: token, body: #"{"id": "nope"}"#).errors["id"] != nil)
        }
    }

    @Test func listFiltersExactly() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            _ = try await api.create(#"{"phone": "+14155550123", "email": "a@Example.com", "tags": "vip"}"#, token: token)
            _ = try await api.create(#"{"phone": "+14155550124", "email": "b@example.com", "tags": "other"}"#, token: token)
            _ = try await api.create(#"{"phone": "+14155550125", "email": "c%41@example.com"}"#, token: token)
            func list(_ query: String) async throws -> [String] {
                let reply = try await api.send(.get, "/api/v1/contacts\(query)", token: token)
                #expect(reply.status == .ok, "\(query) \(reply.text)")
                return (reply.json["data"] as? [[String: Any]] ?? []).compactMap { $0["phone"] as? String }
            }
            #expect(try await list("") == ["+14155550123", "+14155550124", "+14155550125"])
            #expect(try await list("?email=c%2541@example.com") == ["+14155550125"])  // decoded once, not twice
            #expect(try await list("?phone=%2B1%20(415)%20555-0124") == ["+14155550124"])
            #expect(try await list("?email=a@EXAMPLE.com") == ["+14155550123"])
            #expect(try await list("?tag=vip") == ["+14155550123"])
            #expect(try await list("?tag=VIP") == [])
            #expect(try await list("?updated_since=2000-01-01T00:00:00Z&tag=other") == ["+14155550124"])
            #expect(try await list("?updated_since=2999-01-01T00:00:00%2B00:00") == [])
            for (query, field) in [
                ("?limit=0", "limit"), ("?limit=201", "limit"), ("?limit=x", "limit"), ("?updated_since=yesterday", "updated_since"),
                ("?phone=0612", "phone"),
            ] {
                let reply = try await api.send(.get, "/api/v1/contacts\(query)", token: token)
                #expect(reply.status == .unprocessableContent, "\(query)")
                #expect(reply.errors[field] != nil, "\(query)")
            }
            for cursor in ["garbage", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", ""] {
                #expect(try await api.send(.get, "/api/v1/contacts?cursor=\(cursor)", token: token).status == .badRequest, "\(cursor)")
            }
        }
    }

    @Test func paginationWalksEveryRowOnceWhileRowsAreInserted() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            for index in 0..<25 { _ = try await api.create(#"{"phone": "+1415555\#(String(format: "%04d", index))"}"#, token: token) }
            var seen: [String] = []
            var cursor: String?
            var inserted = 0
            repeat {
                let reply = try await api.send(.get, "/api/v1/contacts?limit=7" + (cursor.map { "&cursor=\($0)" } ?? ""), token: token)
                #expect(reply.status == .ok)
                seen += (reply.json["data"] as? [[String: Any]] ?? []).compactMap { $0["phone"] as? String }
                cursor = reply.json["next_cursor"] as? String
                if inserted < 5, cursor != nil {  // between pages, new contacts arrive
                    _ = try await api.create(#"{"phone": "+1415555\#(String(format: "%04d", 100 + inserted))"}"#, token: token)
                    inserted += 1
                }
            } while cursor != nil
            #expect(inserted == 3)  // 25 rows by 7: three pages were followed by another
            #expect(seen.count == Set(seen).count)  // no duplicate
            #expect(seen.count == 28)  // no gap: the 25 and those inserted meanwhile
        }
    }

    @Test func everyListFilterUsesAnIndex() async throws {
        let tenant = try await TestEnvironment.tenant().tenant
        let connection = try await PGConnection.connect(TestServer.owner)
        defer { Task { await connection.close() } }
        let tenantLiteral = "'\(tenant.uuidString)'::uuid"
        let filters = [
            "c.phone = '+14155550123'", "c.email = 'a@example.com'", "c.updated_at >= now() - interval '1 day'",
            "c.id > '00000000-0000-0000-0000-000000000000'::uuid",
            "EXISTS (SELECT 1 FROM contact_tags ct JOIN tags t ON t.tenant_id = ct.tenant_id AND t.id = ct.tag_id WHERE ct.tenant_id = c.tenant_id AND ct.contact_id = c.id AND t.name = 'vip')",
        ]
        for filter in filters {
            let plan = try await connection.pipeline([
                PGQuery(.setLocal("app.tenant_id", tenant.uuidString)),
                PGQuery(PGStatement("SET LOCAL enable_seqscan = off")),
                PGQuery(
                    PGStatement(
                        "EXPLAIN SELECT c.id FROM contacts c WHERE c.tenant_id = \(tenantLiteral) AND \(filter) ORDER BY c.id LIMIT 51")),
            ])[2].map { try $0.decode(String.self, at: 0) }.joined(separator: "\n")
            #expect(!plan.contains("Seq Scan"), "\(filter):\n\(plan)")
        }
    }

    /// API.md: the results read as if the valid items ran one after another, in order.
    @Test func batchItemsReadAsIfTheyRanInOrder() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let existing = try await api.create(#"{"phone": "+14155550124", "name": "before", "tags": "old"}"#, token: token)
            let body = """
                {"contacts": [
                  {"phone": "+14155550123", "name": "first", "tags": "a", "metadata": {"k": 1.50}},
                  {"phone": "bad"},
                  {"phone": "+1 415 555 0123", "name": "last", "tags": "b, a", "metadata": {"n": 1.0}},
                  {"phone": "+14155550124", "email": "x@y.com"},
                  "not an object",
                  {"phone": "+14155550124", "name": "again", "tags": "old"}
                ]}
                """
            let reply = try await api.send(.post, "/api/v1/actions/create-contacts", token: token, body: body)
            #expect(reply.status == .ok, "\(reply.text)")
            let results = try #require(reply.json["results"] as? [[String: Any]])
            #expect(results.map { $0["status"] as? Int } == [201, 422, 201, 201, 422, 201])
            #expect(results.map { $0["index"] as? Int } == [0, 1, 2, 3, 4, 5])
            let contacts = results.map { $0["contact"] as? [String: Any] }
            // A new phone twice: one id; the first item created it and shows its own fields.
            #expect(contacts[0]?["id"] as? String == contacts[2]?["id"] as? String)
            #expect(contacts[0]?["created"] as? Bool == true)
            #expect(contacts[0]?["name"] as? String == "first")
            #expect(contacts[0]?["tags"] as? [String] == ["a"])
            #expect((contacts[0]?["metadata"] as? [String: Any])?["k"] != nil)
            #expect(contacts[2]?["created"] as? Bool == false)
            #expect(contacts[2]?["name"] as? String == "last")
            #expect(contacts[2]?["tags"] as? [String] == ["b", "a"])
            #expect(reply.text.contains(#""k": 1.50"#) && reply.text.contains(#""n": 1.0"#))
            // A phone that existed: neither item created it; each shows its own fields.
            #expect(contacts[3]?["id"] as? String == existing.json["id"] as? String)
            #expect(contacts[5]?["id"] as? String == existing.json["id"] as? String)
            #expect(contacts[3]?["created"] as? Bool == false && contacts[5]?["created"] as? Bool == false)
            #expect(contacts[3]?["email"] as? String == "x@y.com" && contacts[3]?["name"] is NSNull)
            #expect(contacts[5]?["name"] as? String == "again" && contacts[5]?["email"] is NSNull)
            #expect((results[1]["errors"] as? [String: [String]])?["phone"] != nil)
            // Stored as the last item of each phone says.
            let rows = try await api.rows(tenant: tenant, "SELECT phone, name, email FROM contacts ORDER BY phone")
            #expect(try rows.map { try $0.decode(String.self, at: 1) } == ["last", "again"])
            #expect(try rows.map { try $0.decode(String?.self, at: 2) } == [nil, nil])
            let tags = try await api.send(.get, "/api/v1/contacts?phone=%2B14155550123", token: token)
            #expect(((tags.json["data"] as? [[String: Any]])?.first?["tags"] as? [String]) == ["b", "a"])
        }
    }

    /// A batch whose last item of a phone changes nothing writes nothing (as create-contact).
    @Test func aBatchThatChangesNothingKeepsUpdatedAt() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            // What is stored, to the microsecond: the API's whole seconds cannot tell two writes apart.
            func storedUpdatedAt() async throws -> Int64 {
                try await api.rows(tenant: tenant, "SELECT (extract(epoch FROM updated_at) * 1000000)::bigint AS at FROM contacts")[0]
                    .decode(Int64.self, column: "at")
            }
            let body = #"{"contacts": [{"phone": "+14155550123", "name": "same", "tags": "a, b", "metadata": {"x": 1}}]}"#
            let first = try await api.send(.post, "/api/v1/actions/create-contacts", token: token, body: body)
            let written = try await storedUpdatedAt()
            let again = try await api.send(.post, "/api/v1/actions/create-contacts", token: token, body: body)
            let before = (first.json["results"] as? [[String: Any]])?.first?["contact"] as? [String: Any]
            let after = (again.json["results"] as? [[String: Any]])?.first?["contact"] as? [String: Any]
            #expect(before?["updated_at"] as? String != nil)
            #expect(after?["updated_at"] as? String == before?["updated_at"] as? String)
            #expect(after?["created"] as? Bool == false)
            #expect(try await storedUpdatedAt() == written)
            _ = try await api.send(
                .post, "/api/v1/actions/create-contacts", token: token,
                body: #"{"contacts": [{"phone": "+14155550123", "name": "same", "tags": "b, a", "metadata": {"x": 1}}]}"#)
            #expect(try await storedUpdatedAt() > written, "re-ordered tags are a change")
        }
    }

    @Test func batchLimits() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            for body in [#"{"contacts": []}"#, #"{"contacts": {}}"#, #"{}"#, #"{"contacts": "x"}"#] {
                let reply = try await api.send(.post, "/api/v1/actions/create-contacts", token: token, body: body)
                #expect(reply.status == .unprocessableContent, "\(body)")
                #expect(reply.errors["contacts"] != nil)
            }
            let item = #"{"phone": "+14155550123"}"#
            let over = #"{"contacts": [\#(Array(repeating: item, count: 1001).joined(separator: ","))]}"#
            #expect(try await api.send(.post, "/api/v1/actions/create-contacts", token: token, body: over).status == .unprocessableContent)
            let allInvalid = #"{"contacts": [{"phone": "x"}, {}]}"#
            let invalid = try await api.send(.post, "/api/v1/actions/create-contacts", token: token, body: allInvalid)
            #expect(invalid.status == .ok)
            #expect((invalid.json["results"] as? [[String: Any]])?.map { $0["status"] as? Int } == [422, 422])
            let thousand = (0..<1000).map { #"{"phone": "+1415555\#(String(format: "%04d", $0))", "tags": "t\#($0 % 7)"}"# }
            let full = try await api.send(
                .post, "/api/v1/actions/create-contacts", token: token, body: #"{"contacts": [\#(thousand.joined(separator: ","))]}"#)
            #expect((full.json["results"] as? [[String: Any]])?.allSatisfy { $0["status"] as? Int == 201 } == true)
        }
    }

    @Test func tagsWithCounts() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            _ = try await api.create(#"{"phone": "+14155550123", "tags": "vip, beta"}"#, token: token)
            _ = try await api.create(#"{"phone": "+14155550124", "tags": "vip"}"#, token: token)
            _ = try await api.create(#"{"phone": "+14155550124", "tags": "vip"}"#, token: token)
            let reply = try await api.send(.get, "/api/v1/tags", token: token)
            let data = try #require(reply.json["data"] as? [[String: Any]])
            #expect(data.map { $0["name"] as? String } == ["beta", "vip"])
            #expect(data.map { $0["contacts"] as? Int } == [1, 2])
            let other = try await TestEnvironment.tenant()
            #expect((try await api.send(.get, "/api/v1/tags", token: other.token).json["data"] as? [Any])?.isEmpty == true)
        }
    }
}
