import Foundation
import HTTPTypes
import PGStore
import Service
import TestSupport
import Testing

/// One request's outcome under a fault.
struct Outcome: Sendable {
    var phone: String
    var status: Int
    var elapsed: Duration
    var finished: ContinuousClock.Instant
    var retryAfter: Bool
}

/// Sends create-contacts with fresh phones from `loops` concurrent clients until `until`.
func hammer(_ api: TestAPI, token: String, loops: Int, base: Int, until deadline: ContinuousClock.Instant) async throws -> [Outcome] {
    try await withThrowingTaskGroup(of: [Outcome].self) { group in
        for loop in 0..<loops {
            group.addTask {
                var outcomes: [Outcome] = []
                var n = 0
                while ContinuousClock.now < deadline {
                    let phone = "+1415\(base + loop * 100_000 + n)"
                    n += 1
                    let started = ContinuousClock.now
                    let reply = try await api.create(#"{"phone": "\#(phone)", "tags": "fault"}"#, token: token)
                    outcomes.append(
                        Outcome(
                            phone: phone, status: Int(reply.status.code), elapsed: ContinuousClock.now - started,
                            finished: .now, retryAfter: reply.headers[.retryAfter] != nil))
                    if reply.status != .created { try await Task.sleep(for: .milliseconds(20)) }
                }
                return outcomes
            }
        }
        return try await group.reduce(into: []) { $0 += $1 }
    }
}

@Suite("Database faults", .serialized, .tags(.realClock))
struct FaultTests {
    @Test func poolExhaustedAnswers503PromptlyAndRecovers() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        // One shared session with room for one call: a create waits behind the call holding it.
        let oneShared: (inout ServiceConfiguration) -> Void = {
            $0.pool.sharedSessions = 1
            $0.pool.pipelineDepth = 1
        }
        try await TestAPI.with(poolSize: 2, acquireTimeout: .milliseconds(200), configure: oneShared) { api in
            #expect(try await api.create(#"{"phone": "+14155550100"}"#, token: token).status == .created)
            let holders = [Task { try await api.pool.query(PGQuery(.unprepared("SELECT pg_sleep(4)"))) }]
            #expect(try await eventually { api.pool.sharedInFlight.reduce(0, +) == 1 })
            let started = ContinuousClock.now
            let busy = try await api.create(#"{"phone": "+14155550101"}"#, token: token)
            #expect(busy.status == .serviceUnavailable)
            #expect(busy.headers[.retryAfter] == "1")
            // Well before the holders let go (4 s), with room for a loaded machine.
            #expect(ContinuousClock.now - started < .milliseconds(3500))
            for holder in holders { _ = try await holder.value }
            #expect(try await api.create(#"{"phone": "+14155550101"}"#, token: token).status == .created)
        }
    }

    @Test func killedBackendsFailCleanlyAndLaterRequestsSucceed() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        let name = "fault-\(UUID().uuidString.prefix(8))"
        try await TestAPI.with(poolSize: 4, applicationName: name) { api in
            let killer = Task { () -> Int in
                let admin = try await PGConnection.connect(TestServer.admin)
                var killed = 0
                for _ in 0..<3 {
                    try await Task.sleep(for: .milliseconds(300))
                    killed += try await admin.query(
                        unprepared: "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [name]
                    ).count
                }
                await admin.close()
                return killed
            }
            let outcomes = try await hammer(api, token: token, loops: 3, base: 2_000_000, until: .now + .milliseconds(1400))
            #expect(try await killer.value > 0)  // the pool's backends really were killed
            #expect(Set(outcomes.map(\.status)).isSubset(of: [201, 503]), "\(Set(outcomes.map(\.status)))")
            #expect(outcomes.filter { $0.status == 503 }.allSatisfy { $0.retryAfter })
            #expect(try await api.create(#"{"phone": "+14155550199"}"#, token: token).status == .created)
            let stored = Set(try await api.rows(tenant: tenant, "SELECT phone FROM contacts").map { try $0.decode(String.self, at: 0) })
            for outcome in outcomes where outcome.status == 201 { #expect(stored.contains(outcome.phone)) }
        }
    }

    @Test func postgresRestartUnderLoad() async throws {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("pg-fault-\(UUID().uuidString.prefix(8))")
        let server = try EmbeddedPostgres(directory: directory)
        try await server.initializeIfNeeded()
        try await server.start(settings: ["fsync": "off"])
        do {
            try await restartUnderLoad(server)
        } catch {
            try? await server.stop()
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        try await server.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    private func restartUnderLoad(_ server: EmbeddedPostgres) async throws {
        try await DatabaseBootstrap.createRolesAndDatabase(superuser: .init(url: server.url()))
        let owner = try await PGConnection.connect(.init(url: server.url(user: "contacts_owner", database: "contacts")))
        let sql = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("sql")
        try await Migrator(schema: SchemaFiles.load(from: sql)).run(on: owner)
        let created = try await AccountAdmin(connection: owner).createAccount(name: "fault")
        await owner.close()

        try await TestAPI.with(
            poolSize: 4, acquireTimeout: .seconds(1), databaseURL: server.url(user: "contacts_app", database: "contacts")
        ) { api in
            let token = created.token
            let load = Task { try await hammer(api, token: token, loops: 3, base: 3_000_000, until: .now + .seconds(5)) }
            try await Task.sleep(for: .milliseconds(800))
            try await server.stop()
            try await Task.sleep(for: .seconds(1))
            try await server.start(settings: ["fsync": "off"])
            let back = ContinuousClock.now
            let outcomes = try await load.value

            #expect(Set(outcomes.map(\.status)).isSubset(of: [201, 503]), "\(Set(outcomes.map(\.status)))")
            #expect(outcomes.contains { $0.status == 503 })  // the outage was seen
            #expect(outcomes.filter { $0.status == 503 }.allSatisfy { $0.retryAfter })
            #expect(outcomes.map(\.elapsed).max()! < .seconds(3))  // no request hangs
            // Within 2 s of the database coming back, requests succeed again.
            let firstSuccessAfter = outcomes.filter { $0.status == 201 && $0.finished > back }.map(\.finished).min()
            #expect(firstSuccessAfter != nil && firstSuccessAfter! - back < .seconds(2))
            // Every request that got a 201 is in the database.
            let stored = Set(
                try await api.rows(tenant: created.workspaceID!, "SELECT phone FROM contacts").map { try $0.decode(String.self, at: 0) })
            let acknowledged = outcomes.filter { $0.status == 201 }.map(\.phone)
            #expect(!acknowledged.isEmpty)
            #expect(acknowledged.allSatisfy { stored.contains($0) })
        }
    }
}
