import Foundation
import PGStore
import TestSupport
import Testing

@testable import Service

#if canImport(Glibc)
    import Glibc
#endif

/// The real binary killed (SIGKILL) in the middle of an import job, then started again: the job
/// resumes on the new process, loses and doubles nothing, and the rows the killed run wrote count
/// as `unchanged` (API.md, "Bulk over HTTP").
@Suite("An import job across a killed service", .tags(.realClock))
struct ImportRestartTests {
    /// `contacts serve` with short job leases and scans.
    static func start() throws -> (process: Process, port: Int) {
        try startServiceProcess([
            "METRICS_ADDRESS": "off", "LOG_LEVEL": "critical", "RATE_LIMIT_PER_SECOND": "0", "IMPORT_LEASE_SECONDS": "2",
            "IMPORT_SCAN_SECONDS": "1", "IMPORT_BATCH_ROWS": "1000",
        ])
    }

    @Test func aJobKilledMidwayResumesAndCountsWhatItWroteAsUnchanged() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        let phones = 60_000
        var csv = "phone,name,tags\n"
        for index in 0..<phones {
            csv += "+1415\(555 + index / 10_000)\(String(format: "%04d", index % 10_000)),n\(index),\"a, b\"\n"
        }
        try await TestAPI.with { api in
            let first = try Self.start()
            defer { if first.process.isRunning { kill(first.process.processIdentifier, SIGKILL) } }
            #expect(try await isListening(port: first.port))
            let body = Array(csv.utf8)
            let upload = try RawClient(port: first.port)
            defer { upload.close() }
            upload.send(
                "POST /api/v1/imports HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(token)\r\n"
                    + "Content-Type: text/csv\r\nContent-Length: \(body.count)\r\n\r\n" + csv)
            let accepted = try await upload.readResponse(within: .seconds(20))
            #expect(accepted.hasPrefix("HTTP/1.1 202"), "\(accepted.prefix(200))")

            // Killed once some batches are in, and before the last.
            var written = 0
            for _ in 0..<600 where written < 5_000 {
                try await Task.sleep(for: .milliseconds(20))
                written = try await api.rows(tenant: tenant, "SELECT count(*) FROM contacts")[0].decode(Int.self, at: 0)
            }
            kill(first.process.processIdentifier, SIGKILL)
            first.process.waitUntilExit()
            let writtenBefore = try await api.rows(tenant: tenant, "SELECT count(*) FROM contacts")[0].decode(Int.self, at: 0)
            #expect(writtenBefore >= 5_000 && writtenBefore < phones)

            let second = try Self.start()
            defer { if second.process.isRunning { second.process.terminate() } }
            #expect(try await isListening(port: second.port))
            var job: ImportJob?
            for _ in 0..<1_500 {
                job = try await ImportJobStore(pool: api.pool).jobs(before: nil, limit: 1, tenant: tenant).jobs.first
                if job?.status == .succeeded || job?.status == .failed { break }
                try await Task.sleep(for: .milliseconds(40))
            }
            let done = try #require(job)
            #expect(done.status == .succeeded, "\(done.error ?? "")")
            #expect(done.rows.rows == phones && done.rows.invalid == 0 && done.rows.superseded == 0)
            #expect(done.rows.created + done.rows.unchanged == phones, "\(done.rows)")
            #expect(done.rows.updated == 0, "\(done.rows)")
            #expect(done.rows.unchanged >= writtenBefore, "\(done.rows), \(writtenBefore) written before the kill")
            #expect(try await api.rows(tenant: tenant, "SELECT count(*) FROM contacts")[0].decode(Int.self, at: 0) == phones)
            let crashes = try await api.rows(tenant: tenant, "SELECT crashed_runs FROM import_jobs")[0].decode(Int.self, at: 0)
            #expect(crashes == 1)
        }
    }
}
