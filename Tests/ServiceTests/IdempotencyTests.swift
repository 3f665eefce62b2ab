import Foundation
import HTTPTypes
import NIOCore
import PGStore
import Service
import TestSupport
import Testing

/// API.md "Retrying safely: Idempotency-Key", on every POST: kept in PostgreSQL with the
/// request's writes, replayed byte for byte, scoped, refused while in flight or with another body.
@Suite("Idempotency-Key")
struct IdempotencyTests {
    static let key = HTTPField.Name("Idempotency-Key")!
    static let replayed = HTTPField.Name("Idempotent-Replayed")!

    static func post(
        _ api: TestAPI, _ path: String, token: String, key: String?, body: String, contentType: String = "application/json"
    ) async throws -> Reply {
        var headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: contentType]
        if let key { headers[Self.key] = key }
        return try await api.sendHeaders(headers, method: .post, uri: path, body: ByteBuffer(string: body))
    }

    @Test func aRetryGetsTheSameAnswerByteForByteWithoutRunningAgain() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let body = #"{"phone": "+14155550901", "name": "Once", "metadata": {"n": 1.50}}"#
            let first = try await Self.post(api, "/api/v1/actions/create-contact", token: token, key: "order-1", body: body)
            #expect(first.status == .created)
            #expect(first.headers[Self.replayed] == nil)
            let again = try await Self.post(api, "/api/v1/actions/create-contact", token: token, key: "order-1", body: body)
            #expect(again.status == .created && again.text == first.text)
            #expect(again.headers[Self.replayed] == "true")
            #expect(again.headers[.contentType] == first.headers[.contentType])
            // Another instance (its own pool) replays it too; as a Structured Field string, the same key.
            try await TestAPI.with { other in
                let elsewhere = try await Self.post(other, "/api/v1/actions/create-contact", token: token, key: #""order-1""#, body: body)
                #expect(elsewhere.text == first.text && elsewhere.headers[Self.replayed] == "true")
            }
            // It ran once: one contact, one change, and the replay's `created` is the first answer's.
            #expect(try await api.rows(tenant: tenant, "SELECT count(*) AS n FROM contacts")[0].decode(Int.self, column: "n") == 1)
            #expect(try await api.rows(tenant: tenant, "SELECT count(*) AS n FROM contact_changes")[0].decode(Int.self, column: "n") == 1)
            #expect(again.json["created"] as? Bool == true)
        }
    }

    @Test func theSameKeyWithAnotherBodyIs422AndKeysAreScoped() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        let (otherToken, _, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let create = "/api/v1/actions/create-contact"
            #expect(try await Self.post(api, create, token: token, key: "k", body: #"{"phone": "+14155550911"}"#).status == .created)
            let reused = try await Self.post(api, create, token: token, key: "k", body: #"{"phone": "+14155550912"}"#)
            #expect(reused.status == .unprocessableContent && reused.code == "idempotency_key_reused")
            // Another path, another workspace: a key of their own.
            let update = try await Self.post(
                api, "/api/v1/actions/update-contact", token: token, key: "k", body: #"{"phone": "+14155550911", "name": "U"}"#)
            #expect(update.status == .ok && update.headers[Self.replayed] == nil)
            #expect(try await Self.post(api, create, token: otherToken, key: "k", body: #"{"phone": "+14155550912"}"#).status == .created)
        }
    }

    /// 404, 409 phone_taken and 422 ran: kept and replayed (even once the world changed); a
    /// request that did not run (400, 415) keeps nothing.
    @Test func answersThatRanAreKeptAndOthersAreNot() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let update = "/api/v1/actions/update-contact"
            let missing = #"{"phone": "+14155550921", "name": "Later"}"#
            let notFound = try await Self.post(api, update, token: token, key: "u-1", body: missing)
            #expect(notFound.status == .notFound)
            _ = try await api.create(#"{"phone": "+14155550921"}"#, token: token)
            let replay = try await Self.post(api, update, token: token, key: "u-1", body: missing)
            #expect(replay.status == .notFound && replay.text == notFound.text && replay.headers[Self.replayed] == "true")
            let invalid = try await Self.post(api, "/api/v1/actions/create-contact", token: token, key: "c-1", body: #"{"phone": "x"}"#)
            #expect(invalid.status == .unprocessableContent)
            #expect(
                try await Self.post(api, "/api/v1/actions/create-contact", token: token, key: "c-1", body: #"{"phone": "x"}"#).headers[
                    Self.replayed] == "true")
            // Not run: a body that is not JSON, then the right body with the same key runs.
            #expect(try await Self.post(api, "/api/v1/actions/create-contact", token: token, key: "c-2", body: "[").status == .badRequest)
            let ran = try await Self.post(
                api, "/api/v1/actions/create-contact", token: token, key: "c-2", body: #"{"phone": "+14155550922"}"#)
            #expect(ran.status == .created && ran.headers[Self.replayed] == nil)
        }
    }

    /// While the first request with a key runs, a second is told at once (409 with Retry-After).
    @Test func aKeyInFlightIs409() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let path = "/api/v1/actions/create-contact"
            // The first request's lock, held by another session: as if it were still running.
            let admin = try await PGConnection.connect(TestServer.admin)
            defer { Task { await admin.close() } }
            let name = "\(tenant.uuidString)\u{1F}POST\u{1F}\(path)\u{1F}busy"
            try await admin.query(unprepared: "SELECT pg_advisory_lock(hashtextextended($1, 0))", [name])
            let busy = try await Self.post(api, path, token: token, key: "busy", body: #"{"phone": "+14155550931"}"#)
            #expect(busy.status == .conflict && busy.code == "idempotency_key_in_use")
            #expect(busy.headers[.retryAfter] == "1")
            try await admin.query(unprepared: "SELECT pg_advisory_unlock(hashtextextended($1, 0))", [name])
            #expect(try await Self.post(api, path, token: token, key: "busy", body: #"{"phone": "+14155550931"}"#).status == .created)
        }
    }

    @Test func theKeysSyntaxIsCheckedAndWithoutAKeyNothingIsKept() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let path = "/api/v1/actions/create-contact"
            for bad in ["", String(repeating: "k", count: 256), "é", "a b", "\"unterminated", "\"bad\\escape\""] {
                let reply = try await Self.post(api, path, token: token, key: bad, body: #"{"phone": "+14155550941"}"#)
                #expect(reply.status == .badRequest && reply.code == "invalid_idempotency_key", "\(bad.debugDescription)")
            }
            #expect(try await Self.post(api, path, token: token, key: nil, body: #"{"phone": "+14155550942"}"#).status == .created)
            #expect(
                try await Self.post(api, path, token: token, key: String(repeating: "k", count: 255), body: #"{"phone": "+14155550943"}"#)
                    .status == .created)
            let kept = try await api.rows(tenant: tenant, "SELECT count(*) AS n FROM idempotency_keys")[0].decode(Int.self, column: "n")
            #expect(kept == 1)
        }
    }

    /// Every POST of the API takes a key: batches, tags, webhooks too.
    @Test func everyPostTakesAKey() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        try await TestAPI.with(configure: { $0.webhooks.policy.resolver = FixedResolver(["hooks.example.com": ["93.184.216.34"]]) }) {
            api in
            _ = try await api.create(#"{"phone": "+14155550951", "tags": "t"}"#, token: token)
            let calls: [(String, String)] = [
                ("/api/v1/actions/create-contacts", #"{"contacts": [{"phone": "+14155550952"}]}"#),
                ("/api/v1/actions/delete-contact", #"{"phone": "+14155550952"}"#),
                ("/api/v1/actions/rename-tag", #"{"from": "t", "to": "u"}"#),
                ("/api/v1/actions/delete-tag", #"{"name": "u"}"#),
                ("/api/v1/webhooks", #"{"url": "https://hooks.example.com/idempotent"}"#),
            ]
            for (path, body) in calls {
                let first = try await Self.post(api, path, token: token, key: "every", body: body)
                let again = try await Self.post(api, path, token: token, key: "every", body: body)
                #expect((200..<300).contains(Int(first.status.code)), "\(path): \(first.status)")
                #expect(again.text == first.text && again.headers[Self.replayed] == "true", "\(path)")
            }
        }
    }

    /// An upload (`POST /api/v1/imports`, up to 1 GiB) is digested while it is received: the same
    /// key and CSV get the first 202 back and store nothing more; another CSV is a 422; while the
    /// first runs, a 409; a malformed key is a 400 before anything is read.
    @Test func anUploadTakesAKeyDigestedWhileItIsReceived() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let path = "/api/v1/imports"
            let csv = "phone,name\n+14155550971,Up\n+14155550972,Load\n"
            func upload(_ key: String?, _ body: String) async throws -> Reply {
                try await Self.post(api, path, token: token, key: key, body: body, contentType: "text/csv")
            }
            func stored() async throws -> [Int] {
                let jobs = try await api.rows(tenant: tenant, "SELECT count(*) AS n FROM import_jobs")[0].decode(Int.self, column: "n")
                let uploads = try await api.rows(tenant: tenant, "SELECT count(*) AS n FROM import_uploads")[0].decode(
                    Int.self, column: "n")
                return [jobs, uploads]
            }
            let first = try await upload("upload-1", csv)
            #expect(first.status == .accepted && first.headers[Self.replayed] == nil)
            let again = try await upload("upload-1", csv)
            #expect(again.status == .accepted && again.text == first.text && again.headers[Self.replayed] == "true")
            #expect(again.headers[.location] == first.headers[.location])
            #expect(try await stored() == [1, 1])
            let other = try await upload("upload-1", csv + "+14155550973,More\n")
            #expect(other.status == .unprocessableContent && other.code == "idempotency_key_reused")
            #expect(try await upload("a b", csv).code == "invalid_idempotency_key")
            // In flight: the first upload's lock held by another session.
            let admin = try await PGConnection.connect(TestServer.admin)
            defer { Task { await admin.close() } }
            let name = "\(tenant.uuidString)\u{1F}POST\u{1F}\(path)\u{1F}busy"
            try await admin.query(unprepared: "SELECT pg_advisory_lock(hashtextextended($1, 0))", [name])
            let busy = try await upload("busy", csv)
            #expect(busy.status == .conflict && busy.code == "idempotency_key_in_use")
            try await admin.query(unprepared: "SELECT pg_advisory_unlock(hashtextextended($1, 0))", [name])
            #expect(try await stored() == [1, 1])
            #expect(try await upload("busy", csv).status == .accepted)
            #expect(try await upload(nil, csv).status == .accepted)
            #expect(try await stored() == [3, 3])
        }
    }

    /// Retention: answers older than 24 hours go (moved back in the database, not waited for).
    @Test func answersAreKeptADay() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let path = "/api/v1/actions/create-contact"
            _ = try await Self.post(api, path, token: token, key: "old", body: #"{"phone": "+14155550961"}"#)
            _ = try await Self.post(api, path, token: token, key: "new", body: #"{"phone": "+14155550962"}"#)
            _ = try await api.rows(
                tenant: tenant, "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'old' RETURNING 1")
            // The old answer goes, the new one stays. The count may be 0: a live service of another
            // suite prunes every workspace on its own schedule, and may have been first (a CI run saw it).
            #expect(try await IdempotencyStore(pool: api.pool).prune(tenant: tenant) <= 1)
            let kept = try await api.rows(tenant: tenant, "SELECT key FROM idempotency_keys ORDER BY key")
            #expect(try kept.map { try $0.decode(String.self, column: "key") } == ["new"])
            // The expired key runs again: a new answer (the contact exists now: created false).
            let rerun = try await Self.post(api, path, token: token, key: "old", body: #"{"phone": "+14155550961"}"#)
            #expect(rerun.headers[Self.replayed] == nil && rerun.json["created"] as? Bool == false)
            #expect(
                try await Self.post(api, path, token: token, key: "new", body: #"{"phone": "+14155550962"}"#).headers[Self.replayed]
                    == "true")
        }
    }
}
