import Foundation
import HTTPTypes
import PGStore
import Service
import TestSupport
import Testing

/// API.md "Addressing, renaming and retrying": update-contact by id or phone, and `new_phone`.
@Suite("Addressing: update by id, a new phone")
struct AddressingTests {
    static let update = "/api/v1/actions/update-contact"

    @Test func updateContactFindsTheContactByIdByPhoneOrByBoth() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        let (otherToken, _, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let first = try await api.create(#"{"phone": "+14155550701", "name": "First"}"#, token: token)
            let second = try await api.create(#"{"phone": "+14155550702"}"#, token: token)
            let id = try #require(first.json["id"] as? String)
            let secondID = try #require(second.json["id"] as? String)

            let byID = try await api.send(.post, Self.update, token: token, body: #"{"id": "\#(id)", "name": "By id"}"#)
            #expect(byID.status == .ok)
            #expect(byID.json["name"] as? String == "By id" && byID.json["phone"] as? String == "+14155550701")
            let byBoth = try await api.send(
                .post, Self.update, token: token, body: #"{"id": "\#(id)", "phone": "+1 415 555 0701", "name": "Both"}"#)
            #expect(byBoth.status == .ok && byBoth.json["name"] as? String == "Both")

            // Two different contacts: the caller's mistake (422), and nothing changes.
            let mismatch = try await api.send(
                .post, Self.update, token: token, body: #"{"id": "\#(secondID)", "phone": "+14155550701", "name": "No"}"#)
            #expect(mismatch.status == .unprocessableContent)
            #expect(mismatch.errors["id"] != nil)
            // Neither: 422; an id that is no ULID: 422; an unknown id, or another workspace's: 404.
            let neither = try await api.send(.post, Self.update, token: token, body: #"{"name": "No"}"#)
            #expect(neither.status == .unprocessableContent && neither.errors["phone"] != nil)
            let notAnID = try await api.send(.post, Self.update, token: token, body: #"{"id": "42", "name": "No"}"#)
            #expect(notAnID.status == .unprocessableContent && notAnID.errors["id"] != nil)
            let unknown = try await api.send(.post, Self.update, token: token, body: #"{"id": "\#(ULID().description)", "name": "No"}"#)
            #expect(unknown.status == .notFound)
            let elsewhere = try await api.send(.post, Self.update, token: otherToken, body: #"{"id": "\#(id)", "name": "No"}"#)
            #expect(elsewhere.status == .notFound)
            let after = try await api.send(.get, "/api/v1/contacts/\(id)", token: token)
            #expect(after.json["name"] as? String == "Both")
        }
    }

    /// A new number: the same contact (id, created_at, fields, tags), found by its new phone and
    /// no longer by the old one, and one `contact.updated` in the feed.
    @Test func aNewPhoneMovesTheContactAndIsOneUpdatedChange() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let created = try await api.create(
                #"{"phone": "+14155550711", "name": "Moving", "tags": "a, b", "metadata": {"k": 1}}"#, token: token)
            let id = try #require(created.json["id"] as? String)
            let start = try #require(try await api.send(.get, "/api/v1/changes", token: token).json["next_cursor"] as? String)
            let moved = try await api.send(
                .post, Self.update, token: token, body: #"{"phone": "+14155550711", "new_phone": "+1 (415) 555-0712"}"#)
            #expect(moved.status == .ok)
            #expect(moved.json["id"] as? String == id && moved.json["phone"] as? String == "+14155550712")
            #expect(moved.json["created_at"] as? String == created.json["created_at"] as? String)
            #expect(moved.json["name"] as? String == "Moving" && moved.json["tags"] as? [String] == ["a", "b"])
            #expect((moved.json["metadata"] as? [String: Any])?["k"] as? Int == 1)
            let old = try await api.send(.get, "/api/v1/contacts?phone=%2B14155550711", token: token)
            #expect((old.json["data"] as? [Any])?.isEmpty == true)
            let new = try await api.send(.get, "/api/v1/contacts?phone=%2B14155550712", token: token)
            #expect(((new.json["data"] as? [[String: Any]])?.first)?["id"] as? String == id)
            let (changes, _) = try await ChangeFeedTests.follow(api, token: token, after: start)
            #expect(changes.map(ChangeFeedTests.summary) == ["contact.updated +14155550712"])
            // By id, with other fields: one change again; its own number again: nothing to do.
            let again = try await api.send(
                .post, Self.update, token: token, body: #"{"id": "\#(id)", "new_phone": "+14155550713", "name": "Moved"}"#)
            #expect(again.json["phone"] as? String == "+14155550713" && again.json["name"] as? String == "Moved")
            let same = try await api.send(.post, Self.update, token: token, body: #"{"id": "\#(id)", "new_phone": "+14155550713"}"#)
            #expect(same.status == .ok && same.json["updated_at"] as? String == again.json["updated_at"] as? String)
            let (all, _) = try await ChangeFeedTests.follow(api, token: token, after: start)
            #expect(all.map(ChangeFeedTests.summary) == ["contact.updated +14155550712", "contact.updated +14155550713"])
            // An invalid new phone is the field's 422.
            let invalid = try await api.send(.post, Self.update, token: token, body: #"{"id": "\#(id)", "new_phone": "0612345678"}"#)
            #expect(invalid.status == .unprocessableContent && invalid.errors["new_phone"] != nil)
        }
    }

    /// Another contact's number: 409 `phone_taken` naming it, and nothing of the patch is written.
    @Test func anotherContactsPhoneIs409NamingItAndChangesNothing() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let mover = try await api.create(#"{"phone": "+14155550721", "name": "Mover"}"#, token: token)
            let holder = try await api.create(#"{"phone": "+14155550722"}"#, token: token)
            let taken = try await api.send(
                .post, Self.update, token: token, body: #"{"phone": "+14155550721", "new_phone": "+14155550722", "name": "Changed"}"#)
            #expect(taken.status == .conflict)
            #expect(taken.code == "phone_taken")
            #expect(taken.json["contact_id"] as? String == holder.json["id"] as? String)
            #expect(taken.json["message"] is String)
            let unchanged = try await api.send(.get, "/api/v1/contacts/\(try #require(mover.json["id"] as? String))", token: token)
            #expect(unchanged.json["name"] as? String == "Mover" && unchanged.json["phone"] as? String == "+14155550721")
        }
    }

    /// Two contacts moved onto one free number at the same moment: one wins, the other gets 409
    /// naming the winner; never two contacts on one number, never a 500.
    @Test func twoContactsMovedOntoOneNumberAtOnceOneWins() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            for round in 0..<10 {
                let a = try #require(
                    try await api.create(#"{"phone": "+1415555\#(1000 + round * 3)"}"#, token: token).json["id"] as? String)
                let b = try #require(
                    try await api.create(#"{"phone": "+1415555\#(1001 + round * 3)"}"#, token: token).json["id"] as? String)
                let target = "+1415555\(1002 + round * 3)"
                async let first = api.send(.post, Self.update, token: token, body: #"{"id": "\#(a)", "new_phone": "\#(target)"}"#)
                async let second = api.send(.post, Self.update, token: token, body: #"{"id": "\#(b)", "new_phone": "\#(target)"}"#)
                let replies = try await [first, second]
                #expect(Set(replies.map(\.status.code)) == [200, 409], "round \(round): \(replies.map(\.status.code))")
                let winner = replies.first { $0.status == .ok }?.json["id"] as? String
                #expect(replies.first { $0.status == .conflict }?.json["contact_id"] as? String == winner)
                let holders = try await api.send(
                    .get, "/api/v1/contacts?phone=\(target.replacingOccurrences(of: "+", with: "%2B"))", token: token)
                #expect((holders.json["data"] as? [Any])?.count == 1)
            }
        }
    }
}
