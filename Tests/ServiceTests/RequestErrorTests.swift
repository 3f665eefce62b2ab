import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PGStore
import Service
import TestSupport
import Testing

@Suite("create-contact: the error table")
struct RequestErrorTests {
    @Test func badJSONIs400() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            for body in [
                "", "{", #"{"phone": }"#, "[]", #""text""#, "42", "null", #"{"a":1} x"#, "{\"a\":\"\u{1}\"}", #"{"a": "\ud800"}"#,
                "{'a': 1}",
            ] {
                let reply = try await api.create(body, token: token)
                #expect(reply.status == .badRequest, "\(body) → \(reply.text)")
                #expect(reply.code == "invalid_json")
            }
        }
    }

    @Test func wrongMediaTypeIs415() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let body = #"{"phone": "+14155550123"}"#
            for contentType in [nil, "text/plain", "application/x-www-form-urlencoded", "application/jsonx"] as [String?] {
                let reply = try await api.send(.post, "/api/v1/actions/create-contact", token: token, body: body, contentType: contentType)
                #expect(reply.status == .unsupportedMediaType, "\(contentType ?? "none")")
            }
            for contentType in ["application/json; charset=utf-8", "Application/JSON"] {
                let reply = try await api.send(.post, "/api/v1/actions/create-contact", token: token, body: body, contentType: contentType)
                #expect(reply.status == .created, "\(contentType)")
            }
        }
    }

    @Test func bodyOverTheLimitIs413() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let big = #"{"phone": "+14155550123", "x": "\#(String(repeating: "a", count: 300_000))"}"#
            let reply = try await api.create(big, token: token)
            #expect(reply.status == .contentTooLarge)
            #expect(reply.code == "body_too_large")
            let live = try await api.send(.post, "/api/v1/actions/create-contact", token: token, body: big, setup: .live)
            #expect(live.status == .contentTooLarge)
        }
    }

    @Test func missingMalformedUnknownTokensAre401() async throws {
        try await TestAPI.with { api in
            let body = #"{"phone": "+14155550123"}"#
            var replies = [try await api.send(.post, "/api/v1/actions/create-contact", body: body)]
            for header in [
                "Token abc", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer ctk_unknown0000000000000000000000000000000000",
                "Bearer ctk_\u{00e9}",
            ] {
                replies.append(try await api.sendRaw(authorization: header, body: body))
            }
            for reply in replies {
                #expect(reply.status == .unauthorized)
                #expect(reply.json["message"] as? String == "Unauthenticated.")
                #expect(reply.code == "unauthenticated")
                #expect(reply.headers[.wwwAuthenticate] == "Bearer")
            }
        }
    }

    @Test func revokedTokenStopsWorkingWithinTheCacheTime() async throws {
        let created = try await TestEnvironment.asOwner { admin, _ in try await admin.createAccount(name: "revoked") }
        let clock = ManualClock()
        try await TestAPI.with(tokenCacheTTL: .milliseconds(300), configure: { $0.clock = clock }) { api in
            let body = #"{"phone": "+14155550123"}"#
            #expect(try await api.create(body, token: created.token).status == .created)
            let revoked = try await TestEnvironment.asOwner { admin, _ in try await admin.revokeToken(id: created.tokenID) }
            #expect(revoked)
            // Within the cache time the cached answer stands; past it the revocation is seen.
            clock.advance(by: .milliseconds(299))
            #expect(try await api.create(body, token: created.token).status == .created)
            clock.advance(by: .milliseconds(2))
            #expect(try await api.create(body, token: created.token).status == .unauthorized)
        }
    }

    @Test func accountWithoutWorkspaceIs422WithTheProductPagesText() async throws {
        let created = try await TestEnvironment.asOwner { admin, _ in try await admin.createAccount(name: "no-ws", withWorkspace: false) }
        try await TestAPI.with { api in
            let reply = try await api.create(#"{"phone": "+14155550123"}"#, token: created.token)
            #expect(reply.status == .unprocessableContent)
            #expect(reply.json["message"] as? String == "No workspace configured for this account.")
            #expect(reply.code == "no_workspace")
        }
    }

    @Test func servingAsABypassRLSRoleIsRefused() async throws {
        let role = "bypass_\(UUID().uuidString.prefix(8).lowercased())"
        let admin = try await PGConnection.connect(TestServer.admin)
        try await admin.execute(script: "CREATE ROLE \(role) LOGIN BYPASSRLS")
        await admin.close()
        let pool = ConnectionPool(connection: TestServer.app.with("user", role))
        await #expect(throws: DatabaseRoleCheck.UnsafeRole.self) { try await DatabaseRoleCheck.verify(pool) }
        await pool.close()
        let superuser = ConnectionPool(connection: TestServer.admin)
        await #expect(throws: DatabaseRoleCheck.UnsafeRole.self) { try await DatabaseRoleCheck.verify(superuser) }
        await superuser.close()
        let app = ConnectionPool(connection: TestServer.app)
        try await DatabaseRoleCheck.verify(app)
        await app.close()
    }
}

extension TestAPI {
    /// A create-contact with a raw `Authorization` header.
    func sendRaw(authorization: String, body: String) async throws -> Reply {
        try await sendHeaders([.authorization: authorization, .contentType: "application/json"], body: ByteBuffer(string: body))
    }
}
