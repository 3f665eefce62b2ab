import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PGStore
import ServiceLifecycle
import TestSupport
import Testing

@testable import Service

/// `POST /api/v1/imports` and its jobs (API.md, "Bulk over HTTP"), through the router and the
/// runner that `contacts serve` runs, on the application role.
@Suite("Import jobs over HTTP")
struct ImportJobTests {
    static func runner(_ api: TestAPI, writers: Int = 2, batchSize: Int = 20_000, lease: Duration = .seconds(30)) -> ImportJobRunner {
        var configuration = ImportJobConfiguration()
        configuration.writers = writers
        configuration.batchSize = batchSize
        configuration.lease = lease
        return ImportJobRunner(pool: api.pool, configuration: configuration, logger: Logger(label: "imports"))
    }

    static func upload(_ api: TestAPI, _ csv: String, token: String) async throws -> Reply {
        try await api.send(.post, "/api/v1/imports", token: token, body: csv, contentType: "text/csv")
    }

    static func rows(_ reply: Reply) -> [String: Int] {
        (reply.json["rows"] as? [String: Any] ?? [:]).compactMapValues { $0 as? Int }
    }

    /// The tenant's rows of `table`, through row-level security.
    static func count(_ api: TestAPI, _ table: String, tenant: UUID) async throws -> Int {
        try await api.rows(tenant: tenant, "SELECT count(*) FROM \(table)")[0].decode(Int.self, at: 0)
    }

    /// How many rows the tenant has in the job tables.
    static func stored(_ api: TestAPI, tenant: UUID) async throws -> (jobs: Int, uploads: Int, errors: Int) {
        (
            try await count(api, "import_jobs", tenant: tenant), try await count(api, "import_uploads", tenant: tenant),
            try await count(api, "import_errors", tenant: tenant)
        )
    }

    @Test func aJobsWholeLifeCountsEachPhoneOnceAndReportsItsErrors() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            _ = try await api.create(#"{"phone": "+14155550101", "name": "Old", "tags": "a"}"#, token: token)
            _ = try await api.create(#"{"phone": "+14155550104", "name": "Same", "email": "same@example.com"}"#, token: token)
            let csv =
                "phone,name,email,tags,metadata\r\n"
                + "+1 415 555 0101,New,,\"a, b\",\r\n"  // row 2: updated
                + "+14155550102,First,,,\r\n"  // row 3: superseded by row 5
                + "0612345678,Bad,not-an-email,,\r\n"  // row 4: invalid (phone, email)
                + "+14155550102,Second,,,\"{\"\"ltv\"\": 8742.00}\"\r\n"  // row 5: created
                + "+14155550104,Same,same@example.com,,\r\n"  // row 6: unchanged
                + "\"broken\"x,+14155550105,,,\r\n"  // row 7: malformed record
            let accepted = try await Self.upload(api, csv, token: token)
            #expect(accepted.status == .accepted)
            let id = try #require(accepted.json["id"] as? String)
            #expect(accepted.headers[.location] == "/api/v1/imports/\(id)")
            #expect(accepted.headers[.contentType] == "application/json")
            #expect(accepted.json["status"] as? String == "queued")
            #expect(accepted.json["finished_at"] is NSNull && accepted.json["error"] is NSNull)
            #expect(Self.rows(accepted) == ["read": 0, "created": 0, "updated": 0, "unchanged": 0, "superseded": 0, "invalid": 0])
            #expect(try await api.send(.get, "/api/v1/imports/\(id)", token: token).json["status"] as? String == "queued")

            await Self.runner(api).runQueued(tenant: tenant)

            let done = try await api.send(.get, "/api/v1/imports/\(id)", token: token)
            #expect(done.status == .ok)
            #expect(done.json["status"] as? String == "succeeded")
            #expect(Self.rows(done) == ["read": 6, "created": 1, "updated": 1, "unchanged": 1, "superseded": 1, "invalid": 2])
            #expect(done.json["finished_at"] is String)
            let report = try await api.send(.get, "/api/v1/imports/\(id)/errors", token: token)
            #expect(report.status == .ok)
            #expect(report.headers[.contentType] == "text/csv; charset=utf-8")
            let lines = report.text.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
            #expect(lines.first == "row,field,reason")
            #expect(
                lines.dropFirst().filter { !$0.isEmpty }.map { $0.split(separator: ",").prefix(2).joined(separator: ",") }
                    == ["4,phone", "4,email", "7,row"])

            let second = try await api.send(.get, "/api/v1/contacts?phone=%2B14155550102", token: token)
            let contact = try #require((second.json["data"] as? [[String: Any]])?.first)
            #expect(contact["name"] as? String == "Second")
            let first = try await api.send(.get, "/api/v1/contacts?phone=%2B14155550101", token: token)
            #expect((first.json["data"] as? [[String: Any]])?.first?["tags"] as? [String] == ["a", "b"])

            // The same file again changes nothing; the job list is newest first, paginated.
            let again = try await Self.upload(api, csv, token: token)
            await Self.runner(api, writers: 1).runQueued(tenant: tenant)
            let againID = try #require(again.json["id"] as? String)
            let rerun = try await api.send(.get, "/api/v1/imports/\(againID)", token: token)
            #expect(Self.rows(rerun) == ["read": 6, "created": 0, "updated": 0, "unchanged": 3, "superseded": 1, "invalid": 2])
            let page = try await api.send(.get, "/api/v1/imports?limit=1", token: token)
            #expect((page.json["data"] as? [[String: Any]])?.map { $0["id"] as? String } == [againID])
            let cursor = try #require(page.json["next_cursor"] as? String)
            let next = try await api.send(.get, "/api/v1/imports?limit=1&cursor=\(cursor)", token: token)
            #expect((next.json["data"] as? [[String: Any]])?.map { $0["id"] as? String } == [id])
            #expect(next.json["next_cursor"] is NSNull)
            #expect(try await api.send(.get, "/api/v1/imports?limit=0", token: token).status == .unprocessableContent)
            #expect(try await api.send(.get, "/api/v1/imports?cursor=forged", token: token).status == .badRequest)

            // The workspace's export, uploaded again, changes nothing.
            let export = try await api.send(.get, "/api/v1/contacts/export", token: token, contentType: nil)
            let roundTrip = try await Self.upload(api, export.text, token: token)
            await Self.runner(api).runQueued(tenant: tenant)
            let unchanged = try await api.send(.get, "/api/v1/imports/\(roundTrip.json["id"] as? String ?? "")", token: token)
            #expect(Self.rows(unchanged) == ["read": 3, "created": 0, "updated": 0, "unchanged": 3, "superseded": 0, "invalid": 0])
        }
    }

    @Test func anAbsentColumnIsLeftAloneAndAnEmptyCellClears() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            _ = try await api.create(
                #"{"phone": "+14155550111", "name": "Kept", "email": "cleared@example.com", "tags": "t1, t2", "metadata": {"k": 1}}"#,
                token: token)
            _ = try await Self.upload(api, "phone,email\n+14155550111,\n+14155550112,new@example.com\n", token: token)
            await Self.runner(api).runQueued(tenant: tenant)
            let list = try await api.send(.get, "/api/v1/contacts", token: token)
            let contacts = try #require(list.json["data"] as? [[String: Any]])
            let kept = try #require(contacts.first { $0["phone"] as? String == "+14155550111" })
            #expect(kept["name"] as? String == "Kept")
            #expect(kept["email"] is NSNull)
            #expect(kept["tags"] as? [String] == ["t1", "t2"])
            #expect((kept["metadata"] as? [String: Any])?["k"] as? Int == 1)
            let added = try #require(contacts.first { $0["phone"] as? String == "+14155550112" })
            #expect(added["name"] is NSNull && added["tags"] as? [String] == [])
            let jobs = try await api.send(.get, "/api/v1/imports", token: token)
            let job = try #require((jobs.json["data"] as? [[String: Any]])?.first)
            #expect(
                (job["rows"] as? [String: Int]) == ["read": 2, "created": 1, "updated": 1, "unchanged": 0, "superseded": 0, "invalid": 0])
        }
    }

    @Test func aFileWithoutAPhoneColumnFailsItsJobAndAWrongTypeIs415() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let accepted = try await Self.upload(api, "name,email\nA,a@example.com\n", token: token)
            await Self.runner(api).runQueued(tenant: tenant)
            let job = try await api.send(.get, "/api/v1/imports/\(accepted.json["id"] as? String ?? "")", token: token)
            #expect(job.json["status"] as? String == "failed")
            #expect(job.json["error"] as? String == "the header row has no phone column")
            #expect(job.json["finished_at"] is String)
            let json = try await api.send(.post, "/api/v1/imports", token: token, body: "{}", contentType: "application/json")
            #expect(json.status == .unsupportedMediaType)
            #expect(try await api.send(.post, "/api/v1/imports", body: "phone\n", contentType: "text/csv").status == .unauthorized)
        }
    }

    @Test func aJobStoppedMidwayOrWhoseRunnerDiedRunsAgainWithoutLosingOrDoublingARow() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        // Over three chunks of records (CSVImporter.chunkSize): the reader stops at the chunk after
        // the first batch is in, so at least one chunk is never written by the first run.
        let phones = 3 * CSVImporter.chunkSize + 500
        var csv = "phone,name\n"
        for index in 0..<phones { csv += "+1415\(555 + index / 10_000)\(String(format: "%04d", index % 10_000)),n\(index)\n" }
        try await TestAPI.with { api in
            let accepted = try await Self.upload(api, csv, token: token)
            let id = try #require(accepted.json["id"].flatMap { $0 as? String }.flatMap(ULID.init(string:)))

            // An instance stops (SIGTERM) once a batch is in: the job goes back to the queue.
            let first = Self.runner(api, writers: 1, batchSize: 200)
            let claim = try #require(try await first.store.claim(owner: first.instance, lease: .seconds(30), tenant: tenant))
            let stopping = StopSignal()
            await first.run(claim, stopping: stopping, afterBatch: { stopping.set() })
            let stopped = try #require(try await first.store.job(id: id, tenant: tenant))
            #expect(stopped.status == .queued)
            #expect(stopped.rows.rows > 0)  // progress was written while it ran
            let writtenBefore = try await Self.count(api, "contacts", tenant: tenant)
            #expect(writtenBefore > 0 && writtenBefore < phones)

            // Another instance claims it and dies without a word: while its lease holds nobody runs
            // the job; once the lease has run out (the database's time, one clock for every
            // instance: moved back here rather than waited for) a third runs it.
            let dead = try #require(try await first.store.claim(owner: UUID(), lease: .seconds(30), tenant: tenant))
            #expect(dead.job == id.uuid)
            let third = Self.runner(api)
            await third.runQueued(tenant: tenant)
            #expect(try await third.store.job(id: id, tenant: tenant)?.status == .queued)
            try await TestEnvironment.asOwner { _, connection in
                try await connection.query(
                    unprepared: "UPDATE import_queue SET lease_until = now() - interval '1 second' WHERE job_id = $1", [id.uuid])
            }
            await third.runQueued(tenant: tenant)

            let done = try #require(try await third.store.job(id: id, tenant: tenant))
            #expect(done.status == .succeeded)
            #expect(done.rows.rows == phones && done.rows.invalid == 0 && done.rows.superseded == 0)
            // Rows the stopped run wrote count as unchanged; none is doubled or lost.
            #expect(done.rows.unchanged == writtenBefore && done.rows.created == phones - writtenBefore && done.rows.updated == 0)
            #expect(try await Self.count(api, "contacts", tenant: tenant) == phones)
            let attempts = try await api.rows(tenant: tenant, "SELECT attempts FROM import_jobs")[0].decode(Int.self, at: 0)
            #expect(attempts == 2)
        }
    }

    @Test func twoInstancesRacingForOneJobGetItOnce() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            try await TestAPI.with { other in
                let accepted = try await Self.upload(api, "phone\n+14155550121\n", token: token)
                let id = try #require((accepted.json["id"] as? String).flatMap(ULID.init(string:)))
                let stores = [ImportJobStore(pool: api.pool), ImportJobStore(pool: other.pool)]
                let claims = try await withThrowingTaskGroup(of: [ImportJobStore.Claim].self) { group in
                    for index in 0..<8 {
                        group.addTask {
                            var mine: [ImportJobStore.Claim] = []
                            while let claim = try await stores[index % 2].claim(owner: UUID(), lease: .seconds(30), tenant: tenant) {
                                mine.append(claim)
                            }
                            return mine
                        }
                    }
                    return try await group.reduce(into: []) { $0 += $1 }
                }
                #expect(claims.map(\.job) == [id.uuid])
            }
        }
    }

    @Test func retentionDeletesTheUploadAndTheReportButKeepsTheJob() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let accepted = try await Self.upload(api, "phone\n+14155550131\nnot a phone\n", token: token)
            let id = try #require(accepted.json["id"] as? String)
            await Self.runner(api).runQueued(tenant: tenant)
            #expect(try await api.send(.get, "/api/v1/imports/\(id)/errors", token: token).text.contains("3,phone"))
            let before = try await Self.stored(api, tenant: tenant)
            #expect(before.uploads == 1 && before.errors == 1)
            // A retention of a day keeps it; none at all removes it.
            try await ImportJobStore(pool: api.pool).purge(endedBefore: .seconds(86_400))
            let kept = try await Self.stored(api, tenant: tenant)
            #expect(kept.uploads == 1)
            var purged = 0
            while try await Self.count(api, "import_uploads", tenant: tenant) > 0, purged < 100 {
                // This workspace's only: a purge of everything would take other tests' reports.
                purged += try await ImportJobStore(pool: api.pool).purge(endedBefore: .zero, tenant: tenant)
            }
            let after = try await Self.stored(api, tenant: tenant)
            #expect(after.uploads == 0 && after.errors == 0 && after.jobs == 1)
            let gone = try await api.send(.get, "/api/v1/imports/\(id)/errors", token: token)
            #expect(gone.status == .gone && gone.code == "report_expired")
            let job = try await api.send(.get, "/api/v1/imports/\(id)", token: token)
            #expect(job.json["status"] as? String == "succeeded" && Self.rows(job)["invalid"] == 1)
        }
    }

    @Test func jobsReportsAndExportsStayInTheirWorkspace() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        let (otherToken, _, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let accepted = try await Self.upload(api, "phone,name\n+14155550141,Mine\nbad\n", token: token)
            let id = try #require(accepted.json["id"] as? String)
            await Self.runner(api).runQueued(tenant: tenant)
            #expect(try await api.send(.get, "/api/v1/imports/\(id)", token: otherToken).status == .notFound)
            #expect(try await api.send(.get, "/api/v1/imports/\(id)/errors", token: otherToken).status == .notFound)
            #expect(try await api.send(.get, "/api/v1/imports/not-a-ulid", token: token).status == .notFound)
            let theirs = try await api.send(.get, "/api/v1/imports", token: otherToken)
            #expect((theirs.json["data"] as? [Any])?.isEmpty == true)
            let export = try await api.send(.get, "/api/v1/contacts/export", token: otherToken, contentType: nil)
            #expect(!export.text.contains("+14155550141"))
            #expect(try await api.send(.get, "/api/v1/contacts/export", token: token, contentType: nil).text.contains("+14155550141,Mine"))
        }
    }

    @Test func anUploadPastTheLimitIs413AndKeepsNothing() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await TestAPI.with(configure: { $0.imports.bodyLimit = 64 * 1024 }) { api in
            let body = "phone\n" + String(repeating: "+14155550151\n", count: 6_000)
            // Declared too large: refused before anything is read.
            let declared = try await Self.upload(api, body, token: token)
            #expect(declared.status == .contentTooLarge)
            #expect(declared.code == "body_too_large")
            // Sent without a length (chunked): refused once it passes the limit, nothing kept.
            try await withLiveService({ $0.imports.bodyLimit = 64 * 1024 }) { service in
                let client = try RawClient(port: service.port)
                defer { client.close() }
                client.send(
                    "POST /api/v1/imports HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(token)\r\n"
                        + "Content-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n")
                var answer = ""
                for _ in 0..<40 where answer.isEmpty {
                    let piece = String(repeating: "+14155550151\n", count: 500)
                    client.send(String(piece.utf8.count, radix: 16) + "\r\n" + piece + "\r\n")
                    answer = client.readAvailable()
                    try await Task.sleep(for: .milliseconds(5))
                }
                if answer.isEmpty { answer = try await client.readResponse() }
                #expect(answer.hasPrefix("HTTP/1.1 413"))
            }
            let stored = try await Self.stored(api, tenant: tenant)
            #expect(stored.jobs == 0 && stored.uploads == 0)
        }
    }

    @Test func anUploadCutOffHalfwayLeavesNoJobAndASlowOneIsDropped() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await withLiveService({
            $0.requestReadTimeout = .seconds(1)
            $0.imports.minimumUploadBytesPerSecond = 64 * 1024
        }) { service in
            let head = "POST /api/v1/imports HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(token)\r\nContent-Type: text/csv\r\n"
            let line = "+14155550161,A name long enough to fill the chunks a little faster\n"
            // 3 MB announced, 1.5 MB sent (more than one stored chunk), then the connection drops.
            let cut = try RawClient(port: service.port)
            cut.send(head + "Content-Length: 3000000\r\n\r\nphone,name\n")
            var sent = 0
            while sent < 1_500_000 {
                let piece = String(repeating: line, count: 1_000)
                cut.send(piece)
                sent += piece.utf8.count
                try await Task.sleep(for: .milliseconds(2))
            }
            cut.close()

            // A steady upload that takes longer than the read timeout goes through.
            let steady = try RawClient(port: service.port)
            var body = "phone,name\n"
            while body.utf8.count < 600_000 { body += line }
            steady.send(head + "Content-Length: \(body.utf8.count)\r\n\r\n")
            let bytes = Array(body.utf8)
            let started = ContinuousClock.now
            for start in stride(from: 0, to: bytes.count, by: 40_000) {
                steady.send(String(decoding: bytes[start..<min(start + 40_000, bytes.count)], as: UTF8.self))
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(ContinuousClock.now - started > .seconds(1))
            let accepted = try await steady.readResponse(within: .seconds(5))
            #expect(accepted.hasPrefix("HTTP/1.1 202"))
            steady.close()

            // A trickle is dropped within a few windows, though bytes keep coming.
            let slow = try RawClient(port: service.port)
            slow.send(head + "Content-Length: 100000\r\n\r\nphone\n")
            var closed = false
            let trickleStarted = ContinuousClock.now
            while !closed, ContinuousClock.now - trickleStarted < .seconds(8) {
                slow.send("+14155550162\n")
                try await Task.sleep(for: .milliseconds(100))
                closed = slow.isClosedByServer()
            }
            #expect(closed)
            slow.close()
        }
        try await TestAPI.with { api in
            // Only the steady upload left a job: the cut one's transaction was rolled back.
            let stored = try await Self.stored(api, tenant: tenant)
            #expect(stored.jobs == 1 && stored.uploads == 1)
        }
    }

    /// The runner as `contacts serve` runs it (a lifecycle service): an upload wakes it at once,
    /// long before its next scan, and graceful shutdown ends it.
    @Test func anUploadWakesTheRunningServiceWhichStopsAtShutdown() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            var configuration = ImportJobConfiguration()
            configuration.scanInterval = .seconds(600)
            var runner = ImportJobRunner(pool: api.pool, configuration: configuration, logger: Logger(label: "imports"))
            runner.onlyTenant = tenant
            let group = ServiceGroup(configuration: .init(services: [runner], logger: Logger(label: "imports")))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let router = buildRouter(pool: api.pool, configuration: api.configuration, importJobQueued: runner.jobQueued)
                let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
                let id = try await app.test(.router) { client in
                    try await client.execute(
                        uri: "/api/v1/imports", method: .post,
                        headers: [.authorization: "Bearer \(token)", .contentType: "text/csv"],
                        body: ByteBuffer(string: "phone\n+14155550171\n")
                    ) { response in
                        (try? JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any])?["id"]
                            as? String
                    }
                }
                let job = try #require(id.flatMap(ULID.init(string:)))
                var status: ImportJob.Status?
                _ = try await eventually(within: .seconds(20)) {
                    status = try await ImportJobStore(pool: api.pool).job(id: job, tenant: tenant)?.status
                    return status == .succeeded
                }
                #expect(status == .succeeded)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }

    /// A file past the row cap fails before any row is written; a run stopped at shutdown is not
    /// held against its job (one allowed attempt still leaves room to finish).
    @Test func aFilePastTheRowCapFailsAndAStoppedRunIsNotAFailure() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            var configuration = ImportJobConfiguration()
            configuration.maximumRows = 3
            configuration.maximumAttempts = 1
            configuration.batchSize = 1
            let runner = ImportJobRunner(pool: api.pool, configuration: configuration, logger: Logger(label: "imports"))
            let tooLong = try await Self.upload(api, "phone\n+14155550181\n+14155550182\n+14155550183\n+14155550184\n", token: token)
            await runner.runQueued(tenant: tenant)
            let refused = try await api.send(.get, "/api/v1/imports/\(tooLong.json["id"] as? String ?? "")", token: token)
            #expect(refused.json["status"] as? String == "failed")
            #expect(refused.json["error"] as? String == "the file has more than 3 rows (one job takes at most that many)")
            #expect(try await Self.count(api, "contacts", tenant: tenant) == 0)

            // Two chunks of records, so the run stops after the first batch.
            var csv = "phone\n"
            for index in 0..<(CSVImporter.chunkSize + 100) { csv += "+1415556\(String(format: "%04d", index))\n" }
            let fits = try await Self.upload(api, csv, token: token)
            let id = try #require((fits.json["id"] as? String).flatMap(ULID.init(string:)))
            configuration.maximumRows = 10_000
            let once = ImportJobRunner(pool: api.pool, configuration: configuration, logger: Logger(label: "imports"))
            let claim = try #require(try await once.store.claim(owner: once.instance, lease: .seconds(30), tenant: tenant))
            let stopping = StopSignal()
            await once.run(claim, stopping: stopping, afterBatch: { stopping.set() })
            #expect(try await once.store.job(id: id, tenant: tenant)?.status == .queued)
            await once.runQueued(tenant: tenant)
            let done = try #require(try await once.store.job(id: id, tenant: tenant))
            #expect(done.status == .succeeded)
            #expect(done.rows.rows == CSVImporter.chunkSize + 100)
        }
    }
}
