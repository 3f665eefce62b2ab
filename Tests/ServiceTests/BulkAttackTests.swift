import Foundation
import HTTPTypes
import Logging
import PGStore
import TestSupport
import Testing

@testable import Service

/// The attack on the bulk paths (import jobs, export), each finding held: poison files, slow and
/// stalled clients taking the bulk connections, the contract's smaller breaks.
@Suite("Bulk paths under attack", .tags(.realClock))
struct BulkAttackTests {
    static func upload(_ api: TestAPI, _ csv: String, token: String) async throws -> Reply {
        try await api.send(.post, "/api/v1/imports", token: token, body: csv, contentType: "text/csv")
    }

    static func job(_ api: TestAPI, _ reply: Reply, token: String) async throws -> Reply {
        try await api.send(.get, "/api/v1/imports/\(reply.json["id"] as? String ?? "")", token: token)
    }

    static func rows(_ reply: Reply) -> [String: Int] {
        (reply.json["rows"] as? [String: Any] ?? [:]).compactMapValues { $0 as? Int }
    }

    /// A job whose runs die with their process twice is failed with the reason, never run a third
    /// time: a file that kills the service cannot do it in a loop.
    @Test func aJobThatCrashedItsServiceTwiceIsFailedNotRunAgain() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let accepted = try await Self.upload(api, "phone\n+14155550191\n", token: token)
            let id = try #require((accepted.json["id"] as? String).flatMap(ULID.init(string:)))
            let store = ImportJobStore(pool: api.pool)
            // Two instances claim it, mark it running, and die (no release, no finish): their
            // leases run out (backdated here rather than waited for).
            for crash in 1...2 {
                let claim = try #require(try await store.claim(owner: UUID(), lease: .seconds(30), tenant: tenant))
                #expect(claim.job == id.uuid)
                let started = try #require(try await store.start(claim))
                #expect(started.crashes == crash - 1)
                _ = try await TestEnvironment.asOwner { _, connection in
                    try await connection.query(
                        unprepared: "UPDATE import_queue SET lease_until = now() - interval '1 second' WHERE job_id = $1", [id.uuid])
                }
            }
            var configuration = ImportJobConfiguration()
            configuration.maximumAttempts = 10  // the crash rule, not the attempts, ends it
            await ImportJobRunner(pool: api.pool, configuration: configuration, logger: Logger(label: "imports")).runQueued(tenant: tenant)
            let failed = try await Self.job(api, accepted, token: token)
            #expect(failed.json["status"] as? String == "failed")
            #expect(failed.json["error"] as? String == ImportJobRunner.crashedMessage)
            #expect(try await api.rows(tenant: tenant, "SELECT count(*) FROM contacts")[0].decode(Int.self, at: 0) == 0)
            // Ended: nobody claims it again.
            #expect(try await store.claim(owner: UUID(), lease: .seconds(30), tenant: tenant) == nil)
        }
    }

    /// Rows as wide as the record cap allows (300,000 empty cells each here; the attack used
    /// 3,000,000) are invalid with a clear reason and cost no memory per cell; a short row is
    /// invalid rather than clearing what it lacks; a header naming a column twice fails the job.
    @Test func wideShortAndDoubledColumnsAreRefusedClearly() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            _ = try await api.create(#"{"phone": "+14155550192", "name": "Kept", "email": "kept@example.com"}"#, token: token)
            let wide = "+14155550193,x" + String(repeating: ",", count: 300_000) + "\n"
            let csv = "phone,name,email\n" + wide + wide + "+14155550192,Short\n" + "+14155550194,Fine,\n"
            let accepted = try await Self.upload(api, csv, token: token)
            await ImportJobTests.runner(api).runQueued(tenant: tenant)
            let done = try await Self.job(api, accepted, token: token)
            #expect(done.json["status"] as? String == "succeeded")
            #expect(Self.rows(done) == ["read": 4, "created": 1, "updated": 0, "unchanged": 0, "superseded": 0, "invalid": 3])
            let report = try await api.send(.get, "/api/v1/imports/\(accepted.json["id"] as? String ?? "")/errors", token: token)
            #expect(
                report.text.split(separator: "\r\n").map(String.init) == [
                    "row,field,reason", "2,row,the row has 300002 cells where the header has 3",
                    "3,row,the row has 300002 cells where the header has 3", "4,row,the row has 2 cells where the header has 3",
                ])
            let kept = try await api.send(.get, "/api/v1/contacts?phone=%2B14155550192", token: token)
            #expect((kept.json["data"] as? [[String: Any]])?.first?["email"] as? String == "kept@example.com")

            let doubled = try await Self.upload(api, "phone,name,Name\n+14155550195,a,b\n", token: token)
            await ImportJobTests.runner(api).runQueued(tenant: tenant)
            let refused = try await Self.job(api, doubled, token: token)
            #expect(refused.json["status"] as? String == "failed")
            #expect(refused.json["error"] as? String == "the header row names the column name twice")
        }
    }

    /// The row cap counts records: line breaks inside quoted cells are not rows. Metadata nested
    /// past what the parser reads says the contract's 32 levels, as create-contact does.
    @Test func theRowCapCountsRecordsAndDeepMetadataSaysItsLimit() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            // Line breaks are JSON white space: each of these metadata cells is `{}` over 5,001 lines.
            let lines = "\"{" + String(repeating: "\n", count: 5_000) + "}\""
            let deep = String(repeating: #"{""a"":"#, count: 100) + "1" + String(repeating: "}", count: 100)
            let csv = "phone,name,metadata\n+14155550196,a,\(lines)\n+14155550197,c,\(lines)\n+14155550198,x,\"\(deep)\"\n"
            let accepted = try await Self.upload(api, csv, token: token)
            var configuration = ImportJobConfiguration()
            configuration.maximumRows = 3
            await ImportJobRunner(pool: api.pool, configuration: configuration, logger: Logger(label: "imports")).runQueued(tenant: tenant)
            let done = try await Self.job(api, accepted, token: token)
            #expect(done.json["status"] as? String == "succeeded", "\(done.json["error"] ?? "")")
            #expect(Self.rows(done) == ["read": 3, "created": 2, "updated": 0, "unchanged": 0, "superseded": 0, "invalid": 1])
            let report = try await api.send(.get, "/api/v1/imports/\(accepted.json["id"] as? String ?? "")/errors", token: token)
            #expect(report.text.contains("4,metadata,metadata is nested too deeply (at most 32 levels)"))
        }
    }

    /// Past its cap, the error report says in its last line how many errors it leaves out.
    @Test func aReportPastItsCapSaysHowManyItLeavesOut() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let extra = 25
            let csv = "phone\n" + String(repeating: "bad\n", count: ImportJobRunner.reportedErrors + extra)
            let accepted = try await Self.upload(api, csv, token: token)
            await ImportJobTests.runner(api).runQueued(tenant: tenant)
            let done = try await Self.job(api, accepted, token: token)
            #expect(Self.rows(done)["invalid"] == ImportJobRunner.reportedErrors + extra)
            let report = try await api.send(.get, "/api/v1/imports/\(accepted.json["id"] as? String ?? "")/errors", token: token)
            let lines = report.text.split(separator: "\r\n")
            #expect(lines.count == 1 + ImportJobRunner.reportedErrors + 1)
            #expect(lines.last == ",report,\(extra) more errors are not listed: a report keeps the first \(ImportJobRunner.reportedErrors)")
        }
    }
}
