import Foundation
import HTTPTypes
import PGStore
import TestSupport
import Testing

@testable import Service

/// API.md "Tags, paginated and managed": the list by name a page at a time, rename-tag (merging),
/// delete-tag; each contact they change gets a new updated_at and one contact.updated change.
@Suite("Tags: paginated, renamed, deleted")
struct TagsTests {
    static func names(_ reply: Reply) -> [String] {
        (reply.json["data"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    }

    @Test func theListIsByNameBytewiseAPageAtATimeAndByPrefix() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        let (otherToken, _, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            // Bytewise: upper case before lower, "é" (two UTF-8 bytes) after "z".
            let all = ["vip", "Vip", "vip-2", "été", "zeta", "alpha", "v"]
            _ = try await api.create(#"{"phone": "+14155550801", "tags": \#(jsonArray(all))}"#, token: token)
            _ = try await api.create(#"{"phone": "+14155550802", "tags": "vip"}"#, token: token)
            let sorted = all.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            let whole = try await api.send(.get, "/api/v1/tags", token: token)
            #expect(Self.names(whole) == sorted)
            #expect(whole.json["next_cursor"] is NSNull)
            let vip = (whole.json["data"] as? [[String: Any]])?.first { $0["name"] as? String == "vip" }
            #expect(vip?["contacts"] as? Int == 2)

            var pages: [[String]] = []
            var cursor: String?
            repeat {
                let reply = try await api.send(.get, "/api/v1/tags?limit=3" + (cursor.map { "&cursor=\($0)" } ?? ""), token: token)
                #expect(reply.status == .ok)
                pages.append(Self.names(reply))
                cursor = reply.json["next_cursor"] as? String
            } while cursor != nil && pages.count < 10
            #expect(pages.map(\.count) == [3, 3, 1])
            #expect(pages.flatMap { $0 } == sorted)

            let prefixed = try await api.send(.get, "/api/v1/tags?prefix=vi", token: token)
            #expect(Self.names(prefixed) == ["vip", "vip-2"])
            // A cursor is good only for its workspace and prefix.
            let first = try #require(try await api.send(.get, "/api/v1/tags?limit=1&prefix=v", token: token).json["next_cursor"] as? String)
            #expect(try await api.send(.get, "/api/v1/tags?limit=1&prefix=v&cursor=\(first)", token: token).status == .ok)
            #expect(try await api.send(.get, "/api/v1/tags?limit=1&cursor=\(first)", token: token).status == .badRequest)
            #expect(try await api.send(.get, "/api/v1/tags?limit=1&prefix=v&cursor=\(first)", token: otherToken).status == .badRequest)
            for bad in ["limit=0", "limit=1001", "limit=x", "prefix="] {
                #expect(try await api.send(.get, "/api/v1/tags?\(bad)", token: token).status == .unprocessableContent, "\(bad)")
            }
        }
    }

    /// A new name: every contact keeps its tag, in its place, under the new name; each changed
    /// contact gets a new updated_at and one contact.updated.
    @Test func renamingToANewNameKeepsEveryContactsOrder() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            _ = try await api.create(#"{"phone": "+14155550811", "tags": "a, old, b"}"#, token: token)
            _ = try await api.create(#"{"phone": "+14155550812", "tags": "old"}"#, token: token)
            _ = try await api.create(#"{"phone": "+14155550813", "tags": "other"}"#, token: token)
            let before = try await Self.updatedAt(api, tenant: tenant)
            let start = try #require(try await api.send(.get, "/api/v1/changes", token: token).json["next_cursor"] as? String)
            let renamed = try await api.send(
                .post, "/api/v1/actions/rename-tag", token: token, body: #"{"from": "old", "to": " new "}"#)
            #expect(renamed.status == .ok)
            #expect(renamed.json["name"] as? String == "new" && renamed.json["contacts"] as? Int == 2)
            #expect(
                try await Self.tags(api, token: token) == [
                    "+14155550811": ["a", "new", "b"], "+14155550812": ["new"], "+14155550813": ["other"],
                ])
            let after = try await Self.updatedAt(api, tenant: tenant)
            #expect(after["+14155550811"]! > before["+14155550811"]! && after["+14155550812"]! > before["+14155550812"]!)
            #expect(after["+14155550813"] == before["+14155550813"])
            let (changes, _) = try await ChangeFeedTests.follow(api, token: token, after: start)
            #expect(Set(changes.map(ChangeFeedTests.summary)) == ["contact.updated +14155550811", "contact.updated +14155550812"])
            #expect(changes.count == 2)
            #expect(Self.names(try await api.send(.get, "/api/v1/tags", token: token)) == ["a", "b", "new", "other"])
        }
    }

    /// Into a tag that exists: the two merge; a contact with both keeps one, at the earlier position.
    @Test func renamingIntoAnExistingTagMergesAtTheEarlierPosition() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            _ = try await api.create(#"{"phone": "+14155550821", "tags": "x, from, y, to"}"#, token: token)  // from earlier
            _ = try await api.create(#"{"phone": "+14155550822", "tags": "to, x, from"}"#, token: token)  // to earlier
            _ = try await api.create(#"{"phone": "+14155550823", "tags": "from, z"}"#, token: token)  // from only
            _ = try await api.create(#"{"phone": "+14155550824", "tags": "to"}"#, token: token)  // to only: unchanged
            let merged = try await api.send(.post, "/api/v1/actions/rename-tag", token: token, body: #"{"from": "from", "to": "to"}"#)
            #expect(merged.status == .ok && merged.json["contacts"] as? Int == 4)
            #expect(
                try await Self.tags(api, token: token) == [
                    "+14155550821": ["x", "to", "y"], "+14155550822": ["to", "x"], "+14155550823": ["to", "z"], "+14155550824": ["to"],
                ])
            #expect(!Self.names(try await api.send(.get, "/api/v1/tags", token: token)).contains("from"))
        }
    }

    @Test func deletingATagRemovesItFromEveryContactAndTheWorkspace() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        let (otherToken, _, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            _ = try await api.create(#"{"phone": "+14155550831", "tags": "a, gone, b"}"#, token: token)
            _ = try await api.create(#"{"phone": "+14155550832", "tags": "gone"}"#, token: token)
            _ = try await api.create(#"{"phone": "+14155550833", "tags": "gone"}"#, token: otherToken)
            let start = try #require(try await api.send(.get, "/api/v1/changes", token: token).json["next_cursor"] as? String)
            let deleted = try await api.send(.post, "/api/v1/actions/delete-tag", token: token, body: #"{"name": "gone"}"#)
            #expect(deleted.status == .ok)
            #expect(deleted.json["deleted"] as? Bool == true && deleted.json["contacts"] as? Int == 2)
            #expect(try await Self.tags(api, token: token) == ["+14155550831": ["a", "b"], "+14155550832": []])
            let (changes, _) = try await ChangeFeedTests.follow(api, token: token, after: start)
            #expect(Set(changes.map(ChangeFeedTests.summary)) == ["contact.updated +14155550831", "contact.updated +14155550832"])
            // Another workspace's tag of the same name is its own.
            #expect(Self.names(try await api.send(.get, "/api/v1/tags", token: otherToken)) == ["gone"])
            #expect(
                try await api.rows(tenant: tenant, "SELECT count(*) AS n FROM tags WHERE name = 'gone'")[0].decode(Int.self, column: "n")
                    == 0)
        }
    }

    /// In steps (here of 2 contacts, in the service of 10,000): every contact is handled once,
    /// whichever step it falls in, for a rename in place, a merge and a deletion.
    @Test func renamesAndDeletionsInManyStepsHandleEachContactOnce() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            for n in 0..<7 {
                let tags = n % 2 == 0 ? "a, old" : "old, b, target"
                _ = try await api.create(#"{"phone": "+1415555086\#(n)", "tags": "\#(tags)"}"#, token: token)
            }
            let start = try #require(try await api.send(.get, "/api/v1/changes", token: token).json["next_cursor"] as? String)
            let store = ContactStore(pool: api.pool)
            let renamed = try await store.changeTag(from: "old", to: "new", tenant: tenant, step: 2)
            #expect(renamed?.handled == 7 && renamed?.carryingTo == 7)
            let merged = try await store.changeTag(from: "new", to: "target", tenant: tenant, step: 2)
            #expect(merged?.handled == 7 && merged?.carryingTo == 7)
            let deleted = try await store.changeTag(from: "target", to: nil, tenant: tenant, step: 2)
            #expect(deleted?.handled == 7 && deleted?.carryingTo == 0)
            let tags = try await Self.tags(api, token: token)
            #expect(tags.count == 7)
            for n in 0..<7 { #expect(tags["+1415555086\(n)"] == (n % 2 == 0 ? ["a"] : ["b"]), "\(n)") }
            let (changes, _) = try await ChangeFeedTests.follow(api, token: token, after: start)
            #expect(changes.count == 21, "one contact.updated per contact and operation")
            #expect(Set(changes.map(ChangeFeedTests.summary)).count == 7)
            #expect(Self.names(try await api.send(.get, "/api/v1/tags", token: token)) == ["a", "b"])
        }
    }

    /// The steps are one transaction: a step that fails (here the statement timeout, on a contact
    /// locked by another transaction) leaves every contact, link and tag as it was. Only the
    /// rename's pool has the short timeout: the rest of the test must not meet it on a loaded machine.
    @Test func aFailedStepLeavesEverythingAsItWas() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            for n in 0..<5 { _ = try await api.create(#"{"phone": "+1415555087\#(n)", "tags": "old"}"#, token: token) }
            let before = try await Self.updatedAt(api, tenant: tenant)
            let last = try await api.rows(tenant: tenant, "SELECT max(id::text) AS id FROM contacts")[0].decode(String.self, column: "id")
            try await TestAPI.with(configure: { $0.statementTimeout = .seconds(2) }) { renaming in
                try await api.pool.withTransaction { holder in
                    // The last contact (by id: the third step) is locked until this transaction ends.
                    _ = try await holder.query(ContactStore.tenantScope(tenant))
                    _ = try await holder.query(
                        PGQuery(.unprepared("SELECT 1 FROM contacts WHERE tenant_id = '\(tenant)' AND id = '\(last)' FOR UPDATE")))
                    let error = await #expect(throws: PGError.self) {
                        _ = try await ContactStore(pool: renaming.pool).changeTag(from: "old", to: "new", tenant: tenant, step: 2)
                    }
                    #expect(error?.sqlState == .queryCanceled)
                }
            }
            #expect(try await Self.tags(api, token: token).values.allSatisfy { $0 == ["old"] })
            #expect(try await Self.updatedAt(api, tenant: tenant) == before)
            #expect(Self.names(try await api.send(.get, "/api/v1/tags", token: token)) == ["old"])
        }
    }

    @Test func unknownTagsAre404AndBadNamesAre422() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            _ = try await api.create(#"{"phone": "+14155550841", "tags": "kept"}"#, token: token)
            let rename = "/api/v1/actions/rename-tag"
            #expect(try await api.send(.post, rename, token: token, body: #"{"from": "nope", "to": "x"}"#).status == .notFound)
            #expect(try await api.send(.post, "/api/v1/actions/delete-tag", token: token, body: #"{"name": "nope"}"#).status == .notFound)
            for body in [
                #"{"from": "kept"}"#, #"{"from": "kept", "to": ""}"#, #"{"from": "kept", "to": "a,b"}"#, #"{"from": 1, "to": "x"}"#,
                #"{"from": "kept", "to": "\#(String(repeating: "x", count: 65))"}"#, #"{"from": "kept", "to": "a\u0000"}"#,
            ] {
                let reply = try await api.send(.post, rename, token: token, body: body)
                #expect(reply.status == .unprocessableContent, "\(body) → \(reply.status)")
            }
            #expect(try await api.send(.post, "/api/v1/actions/delete-tag", token: token, body: #"{}"#).status == .unprocessableContent)
            #expect(Self.names(try await api.send(.get, "/api/v1/tags", token: token)) == ["kept"])
        }
    }

    /// Each contact's tags, by phone.
    static func tags(_ api: TestAPI, token: String) async throws -> [String: [String]] {
        let listed = try await api.send(.get, "/api/v1/contacts?limit=200", token: token).json["data"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: listed.map { ($0["phone"] as? String ?? "", $0["tags"] as? [String] ?? []) })
    }

    /// Each contact's stored updated_at (microseconds), by phone.
    static func updatedAt(_ api: TestAPI, tenant: UUID) async throws -> [String: Int64] {
        let rows = try await api.rows(
            tenant: tenant, "SELECT phone, (extract(epoch FROM updated_at) * 1000000)::bigint AS at FROM contacts")
        return Dictionary(
            uniqueKeysWithValues: try rows.map { (try $0.decode(String.self, column: "phone"), try $0.decode(Int64.self, column: "at")) })
    }
}

/// A JSON array of strings.
func jsonArray(_ strings: [String]) -> String {
    "[" + strings.map { #""\#($0)""# }.joined(separator: ", ") + "]"
}
