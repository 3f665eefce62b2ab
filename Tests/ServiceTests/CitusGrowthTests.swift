import Foundation
import HTTPTypes
import PGStore
import Synchronization
import TestSupport
import Testing

@testable import Service

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The cluster grows while clients write: a worker is added and the shards rebalanced onto it, a
/// move that fails is stopped and cleaned up, a workspace is isolated and moved to another node,
/// and a worker is restarted. Every step runs the README's runbook, read from the README itself.
///
/// Run last in `make test`'s Citus stage, alone (it adds the spare worker of `with-citus.sh` and
/// restarts a node). `CITUS_GROWTH_CONTACTS` (contacts per workspace, default 2,000) and
/// `CITUS_GROWTH_TRANSFER_MODE` (`block_writes` instead of the online default) are for
/// `bench/citus-move.sh`.
@Suite("Citus: growing the cluster under load", .tags(.realClock))
struct CitusGrowthTests {
    /// How long a request may take before it counts as hung (the service's statement timeout is 5 s).
    static let deadline: Duration = .seconds(10)

    @Test func aClusterGrowsUnderLoadAndLosesNothing() async throws {
        try await TestEnvironment.migration.value
        let environment = ProcessInfo.processInfo.environment
        let contactsEach = environment["CITUS_GROWTH_CONTACTS"].flatMap(Int.init) ?? 2_000
        let transferMode = environment["CITUS_GROWTH_TRANSFER_MODE"]
        var tenants: [(token: String, tenant: UUID)] = []
        for _ in 0..<4 {
            let created = try await TestEnvironment.tenant()
            tenants.append((created.token, created.tenant))
            try await TestEnvironment.importPaddedContacts(contactsEach, into: created.tenant)
        }
        let mover = tenants[0]
        let spare = try #require(TenantPlacement.Node(TestServer.value("TEST_CITUS_SPARE_NODE")))
        let shell = RunbookShell(environment: [
            "DATABASE_ADMIN_URL": TestServer.value("TEST_DATABASE_ADMIN_URL"),
            "DATABASE_OWNER_URL": TestServer.value("TEST_DATABASE_OWNER_URL"),
            "NEW_WORKER_HOST": spare.host, "NEW_WORKER_PORT": String(spare.port),
        ])
        let ledger = Ledger()
        let origin = ContinuousClock.now
        var phases: [String] = []
        var figures: [String] = []

        try await withLiveService({ $0.imports.jobsAtOnce = 1 }) { service in
            // Two clients per workspace (eight), each with its own phones, created up front.
            let clients = (0..<8).map { LoadClient(index: $0, token: tenants[$0 / 2].token, port: service.port, ledger: ledger) }
            for client in clients { try await client.createPhones() }
            let stop = StopSignal()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in clients { group.addTask { try await client.run(until: stop) } }
                defer { stop.set() }
                try await Task.sleep(for: .seconds(1))

                // 1. The worker joins.
                try await shell.run(try Runbook.block("add-worker"))

                // 3 first: a move fails (the new worker stops in the middle of it), and the
                // runbook's steps for a failed move stop the job and clean up once it is back.
                try await shell.run(#"psql "$DATABASE_ADMIN_URL" -c "SELECT citus_rebalance_start()""#)
                try await shell.waitForTask(status: "running")
                try await shell.node("stop", spare.port)
                try await shell.waitForFailedTask()
                try await shell.node("start", spare.port)
                let failed = try await shell.run(try Runbook.block("failed-move"))
                #expect(try await shell.runningTasks() == 0, "the failed job is stopped:\n\(failed)")

                // 2. The rebalance, with an import job running in one workspace meanwhile.
                let importing = ImportUnderLoad(token: tenants[1].token, port: service.port, rows: 3_000)
                let job = try await importing.upload()
                var rebalance = try Runbook.block("rebalance")
                if let transferMode {
                    rebalance = rebalance.replacingOccurrences(
                        of: "citus_rebalance_start()", with: "citus_rebalance_start(shard_transfer_mode => '\(transferMode)')")
                }
                let rebalanceStarted = ContinuousClock.now
                phases.append("rebalance \(seconds(rebalanceStarted - origin))")
                let shards = try await shell.run(rebalance)
                let rebalanceEnded = ContinuousClock.now
                #expect(
                    shards.split(separator: "\n").contains { $0.contains("| \(spare.port) |") || $0.contains(" \(spare.port) |") },
                    "the new worker holds shards:\n\(shards)")
                let moves = try await shell.completedMoves()
                #expect(moves > 0)
                let imported = try await importing.finish(job)
                #expect(imported == "succeeded", "the import job during the rebalance")

                // 4. The mover gets shards of its own, on another node than the one holding it.
                let before = try await shell.location(of: mover.tenant)
                let target = try await shell.otherWorker(than: before.node)
                let isolateStarted = ContinuousClock.now
                phases.append("isolate \(seconds(isolateStarted - origin))")
                let isolated = try await shell.run(
                    try Runbook.block("isolate"), ["WORKSPACE_ID": mover.tenant.uuidString.lowercased(), "NODE": target.description])
                let isolateEnded = ContinuousClock.now
                #expect(isolated.contains(#""node":"\#(target)""#) && isolated.contains(#""isolated":true"#), "\(isolated)")
                let after = try await shell.location(of: mover.tenant)
                #expect(after.node == target && after.isolated)

                // A worker restarts under the same load: the one now holding the mover.
                phases.append("restart \(seconds(ContinuousClock.now - origin))")
                try await shell.node("restart", target.port)
                try await Task.sleep(for: .seconds(3))
                stop.set()
                try await group.waitForAll()

                let summary = ledger.summary()
                figures = [
                    "\(contactsEach) contacts per workspace, 4 workspaces, 8 clients; transfer mode \(transferMode ?? "online (auto)")",
                    "rebalance onto the new worker: \(moves) shard group moves in \(seconds(rebalanceEnded - rebalanceStarted)); "
                        + "longest write pause a client saw: \(milliseconds(ledger.longestPause(in: rebalanceStarted...rebalanceEnded)))",
                    "isolate and move one workspace: \(seconds(isolateEnded - isolateStarted)); longest write pause: "
                        + "\(milliseconds(ledger.longestPause(in: isolateStarted...isolateEnded))); the other workspaces' p99 meanwhile: "
                        + "\(milliseconds(ledger.percentile(0.99, in: isolateStarted...isolateEnded, excluding: 0...1)))",
                    "\(summary.acknowledged) writes acknowledged, \(summary.unavailable) answers 503, \(summary.reads) lists",
                ]
            }
        }
        print(figures.map { "CitusGrowthTests: " + $0 }.joined(separator: "\n"))

        // Only 2xx, and 503 with Retry-After; no request past the deadline.
        let problems = ledger.problems(since: origin)
        #expect(problems.isEmpty, "\(phases): \(problems.prefix(10))")
        // Every phone ends as its last acknowledged write left it (or as a later write that got no
        // acknowledgement, which may have committed).
        let admin = try await PGConnection.connect(TestServer.admin)
        defer { Task { await admin.close() } }
        for (client, phones) in ledger.histories() {
            let tenant = tenants[client / 2].tenant
            let rows = try await admin.query(
                unprepared: "SELECT phone, name FROM contacts WHERE tenant_id = $1 AND phone = ANY($2)", [tenant, Array(phones.keys)])
            var stored: [String: String] = [:]
            for row in rows { stored[try row.decode(column: "phone")] = try row.decode(String.self, column: "name") }
            for (phone, history) in phones {
                #expect(history.allows(stored[phone]), "client \(client), \(phone): stored \(stored[phone] ?? "nothing"), \(history)")
            }
        }
        let importedRows = try await admin.query(
            unprepared: "SELECT count(*) FROM contacts WHERE tenant_id = $1 AND phone LIKE '+1415557%'", [tenants[1].tenant])
        #expect(try importedRows[0].decode(Int.self, at: 0) == 3_000)
        for (_, tenant) in tenants {
            let count = try await admin.query(
                unprepared: "SELECT count(*) FROM contacts WHERE tenant_id = $1 AND phone LIKE '+1415555%'", [tenant])
            #expect(try count[0].decode(Int.self, at: 0) == contactsEach, "the seeded contacts")
        }
    }

    /// The feed's positions are data in the tenant's rows, not a node's transaction ids: a
    /// workspace whose shards move to another node between two reads misses and repeats nothing,
    /// and changes written on the new node follow in order.
    @Test func theFeedFollowsAWorkspaceWhoseShardsMove() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            for index in 0..<3 { _ = try await api.create(#"{"phone": "+1415555060\#(index)", "name": "before"}"#, token: token) }
            let (before, cursor) = try await ChangeFeedTests.follow(api, token: token)
            #expect(before.count == 3)
            // Two more, not read yet, then the move.
            _ = try await api.create(#"{"phone": "+14155550600", "name": "moving"}"#, token: token)
            _ = try await api.send(.post, "/api/v1/actions/delete-contact", token: token, body: #"{"phone": "+14155550601"}"#)
            let owner = try await PGConnection.connect(TestServer.owner)
            defer { Task { await owner.close() } }
            let placement = TenantPlacement(connection: owner)
            let from = try await placement.location(of: tenant)
            let to = TenantPlacement.Node(host: from.node.host, port: from.node.port == 5433 ? 5434 : 5433)
            let moved = try await placement.isolate(tenant, onto: to)
            #expect(moved.node == to)
            _ = try await api.create(#"{"phone": "+14155550600", "name": "moved"}"#, token: token)
            let (after, end) = try await ChangeFeedTests.follow(api, token: token, after: cursor)
            #expect(
                after.map(ChangeFeedTests.summary) == [
                    "contact.updated +14155550600", "contact.deleted +14155550601", "contact.updated +14155550600",
                ])
            #expect(after.compactMap { ($0["contact"] as? [String: Any])?["name"] as? String } == ["moving", "moved"])
            let (all, _) = try await ChangeFeedTests.follow(api, token: token)
            #expect(all.count == 6)
            #expect(Set(all.compactMap { $0["id"] as? String }).count == 6)
            let (none, _) = try await ChangeFeedTests.follow(api, token: token, after: end)
            #expect(none.isEmpty)
        }
    }
}

private func seconds(_ duration: Duration) -> String {
    String(format: "%.1f s", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
}

private func milliseconds(_ duration: Duration?) -> String {
    guard let duration else { return "none" }
    return String(format: "%.0f ms", Double(duration.components.seconds) * 1e3 + Double(duration.components.attoseconds) / 1e15)
}

/// A runbook of the README or of the users' guide: the fenced block after `<!-- runbook: NAME -->`.
enum Runbook {
    static func block(_ name: String, language: String = "sh") throws -> String {
        for file in ["README.md", "docs/guide.md"] {
            let text = try String(contentsOf: TestServer.repository.appendingPathComponent(file), encoding: .utf8)
            guard let marker = text.range(of: "<!-- runbook: \(name) -->") else { continue }
            guard let open = text.range(of: "```\(language)\n", range: marker.upperBound..<text.endIndex),
                let close = text.range(of: "```", range: open.upperBound..<text.endIndex)
            else { break }
            return String(text[open.upperBound..<close.lowerBound])
        }
        throw RunbookError(message: "neither README.md nor docs/guide.md has a runbook block \(name)")
    }
}

struct RunbookError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Runs runbook commands with bash, with `psql` and the `contacts` binary built beside the tests
/// on the PATH.
struct RunbookShell {
    var environment: [String: String]

    /// Runs `script` (every line must succeed) and answers what it printed.
    @discardableResult
    func run(_ script: String, _ extra: [String: String] = [:]) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-euo", "pipefail", "-c", script]
        let binaries = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        var variables = ProcessInfo.processInfo.environment.merging(environment) { $1 }.merging(extra) { $1 }
        variables["PATH"] = "\(binaries):\(TestServer.value("TEST_PG_BIN")):\(variables["PATH"] ?? "/usr/bin:/bin")"
        variables["PGOPTIONS"] = "-c client_min_messages=warning"
        process.environment = variables
        // Output to a file, read once the command has ended: reading a pipe while it runs would
        // block one of the few threads of Swift's cooperative pool for as long (a rebalance waits
        // a minute), and starve the service under test.
        let outputFile = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("runbook-\(UUID().uuidString).out")
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outputFile) }
        let output = try FileHandle(forWritingTo: outputFile)
        process.standardOutput = output
        process.standardError = output
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        try output.close()
        let text = try String(contentsOf: outputFile, encoding: .utf8)
        guard status == 0 else { throw RunbookError(message: "exit \(status): \(script)\n\(text)") }
        return text
    }

    /// Stops, starts or restarts a node of the test cluster (`with-citus.sh --node`).
    func node(_ action: String, _ port: Int) async throws {
        try await run(#"$TEST_CITUS_NODE \#(action) \#(port)"#, ["TEST_CITUS_NODE": TestServer.value("TEST_CITUS_NODE")])
    }

    /// The newest background job's tasks, one `status|message` line each.
    func tasks() async throws -> [String] {
        try await run(
            #"psql "$DATABASE_ADMIN_URL" -At -c "SELECT status || '|' || message FROM pg_dist_background_task WHERE job_id = (SELECT max(job_id) FROM pg_dist_background_job)""#
        ).split(separator: "\n").map(String.init)
    }

    func runningTasks() async throws -> Int {
        try await tasks().count { $0.hasPrefix("running|") }
    }

    /// Waits (up to a minute) until a task of the newest job has `status`.
    func waitForTask(status: String) async throws {
        for _ in 0..<240 {
            if try await tasks().contains(where: { $0.hasPrefix(status + "|") }) { return }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw RunbookError(message: "no task of the rebalance became \(status)")
    }

    /// Waits (up to a minute) until a task of the newest job has failed at least once (Citus keeps
    /// the error in its message while it waits to retry).
    func waitForFailedTask() async throws {
        for _ in 0..<240 {
            if try await tasks().contains(where: { !$0.hasPrefix("done|") && !$0.hasSuffix("|") }) { return }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw RunbookError(message: "no move failed while its target was stopped: \(try await tasks())")
    }

    /// How many moves the newest background job completed.
    func completedMoves() async throws -> Int {
        let count = try await run(
            #"psql "$DATABASE_ADMIN_URL" -At -c "SELECT count(*) FROM pg_dist_background_task WHERE status = 'done' AND job_id = (SELECT max(job_id) FROM pg_dist_background_job)""#
        )
        return Int(count.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    func location(of workspace: UUID) async throws -> TenantPlacement.Location {
        let connection = try await PGConnection.connect(TestServer.admin)
        defer { Task { await connection.close() } }
        return try await TenantPlacement(connection: connection).location(of: workspace)
    }

    /// A worker (not the coordinator) other than `node`.
    func otherWorker(than node: TenantPlacement.Node) async throws -> TenantPlacement.Node {
        let connection = try await PGConnection.connect(TestServer.admin)
        defer { Task { await connection.close() } }
        let rows = try await connection.query(
            unprepared: "SELECT nodename, nodeport FROM pg_dist_node WHERE groupid <> 0 AND noderole = 'primary' ORDER BY nodeport")
        let workers = try rows.map {
            TenantPlacement.Node(host: try $0.decode(column: "nodename"), port: try $0.decode(column: "nodeport"))
        }
        return try #require(workers.first { $0 != node })
    }
}

/// What every client was told, in order, and when.
final class Ledger: Sendable {
    struct Attempt: Sendable {
        var client: Int
        var phone: String?
        var value: String?
        var status: Int
        var retryAfter: Bool
        var started: ContinuousClock.Instant
        var took: Duration
        var failure: String?
    }

    /// One phone's writes in order: a stored value is allowed if it is the last acknowledged one,
    /// or one attempted after it without an acknowledgement.
    struct History: Sendable, CustomStringConvertible {
        var writes: [(value: String, acknowledged: Bool)] = []

        func allows(_ stored: String?) -> Bool {
            let lastAcknowledged = writes.lastIndex { $0.acknowledged }
            guard let lastAcknowledged else { return stored == nil || writes.contains { $0.value == stored } }
            return writes[lastAcknowledged...].contains { $0.value == stored }
        }

        var description: String {
            "writes " + writes.suffix(4).map { "\($0.value)\($0.acknowledged ? "" : "?")" }.joined(separator: ", ")
        }
    }

    private let attempts = Mutex<[Attempt]>([])

    func record(_ attempt: Attempt) {
        attempts.withLock { $0.append(attempt) }
    }

    /// Each with when it started, in seconds after `origin`.
    func problems(since origin: ContinuousClock.Instant) -> [String] {
        attempts.withLock { attempts in
            attempts.compactMap { attempt in
                let at = seconds(attempt.started - origin)
                if let failure = attempt.failure { return "client \(attempt.client) at \(at): \(failure)" }
                if attempt.took > CitusGrowthTests.deadline { return "client \(attempt.client): \(attempt.status) after \(attempt.took)" }
                if attempt.status == 503 && !attempt.retryAfter { return "client \(attempt.client): 503 without Retry-After" }
                return nil
            }
        }
    }

    func histories() -> [Int: [String: History]] {
        attempts.withLock { attempts in
            var histories: [Int: [String: History]] = [:]
            for attempt in attempts {
                guard let phone = attempt.phone, let value = attempt.value else { continue }
                let acknowledged = (200..<300).contains(attempt.status)
                histories[attempt.client, default: [:]][phone, default: History()].writes.append((value, acknowledged))
            }
            return histories
        }
    }

    /// The longest time any client went without an acknowledged write, over the window.
    func longestPause(in window: ClosedRange<ContinuousClock.Instant>) -> Duration? {
        attempts.withLock { attempts in
            var last: [Int: ContinuousClock.Instant] = [:]
            var longest: Duration?
            for attempt in attempts.sorted(by: { $0.started + $0.took < $1.started + $1.took })
            where attempt.value != nil && (200..<300).contains(attempt.status) {
                let acknowledged = attempt.started + attempt.took
                if acknowledged >= window.lowerBound, let previous = last[attempt.client], previous <= window.upperBound {
                    let pause = acknowledged - max(previous, window.lowerBound)
                    longest = max(longest ?? .zero, pause)
                }
                last[attempt.client] = acknowledged
            }
            return longest
        }
    }

    /// A percentile of the request times of the clients not in `excluded`, for requests started in
    /// the window.
    func percentile(_ fraction: Double, in window: ClosedRange<ContinuousClock.Instant>, excluding excluded: ClosedRange<Int>) -> Duration?
    {
        let times = attempts.withLock { attempts in
            attempts.filter { window.contains($0.started) && !excluded.contains($0.client) }.map(\.took).sorted()
        }
        guard !times.isEmpty else { return nil }
        return times[min(times.count - 1, Int(Double(times.count) * fraction))]
    }

    func summary() -> (acknowledged: Int, unavailable: Int, reads: Int) {
        attempts.withLock { attempts in
            (
                attempts.count { $0.value != nil && (200..<300).contains($0.status) },
                attempts.count { $0.status == 503 }, attempts.count { $0.value == nil }
            )
        }
    }
}

/// An HTTP exchange with the live service over URLSession (a real socket, keep-alive, and a
/// deadline of its own: a request that gets no answer in time fails instead of waiting forever).
struct HTTPExchange: Sendable {
    var port: Int
    var token: String
    let session: URLSession

    init(port: Int, token: String) {
        self.port = port
        self.token = token
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 2 * Double(CitusGrowthTests.deadline.components.seconds)
        configuration.httpMaximumConnectionsPerHost = 1
        session = URLSession(configuration: configuration)
    }

    func send(_ method: String, _ path: String, contentType: String = "application/json", body: String? = nil) async throws
        -> (status: Int, headers: [AnyHashable: Any], body: Data)
    {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        if let body {
            request.setValue(contentType, forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(body.utf8)
        }
        let (data, response) = try await session.data(for: request)
        let http = response as! HTTPURLResponse
        return (http.statusCode, http.allHeaderFields, data)
    }
}

/// One client: create-contact and update-contact in turn on its 40 phones, each with a new name,
/// and a list every fifth request.
struct LoadClient: Sendable {
    var index: Int
    var ledger: Ledger
    var http: HTTPExchange

    init(index: Int, token: String, port: Int, ledger: Ledger) {
        self.index = index
        self.ledger = ledger
        http = HTTPExchange(port: port, token: token)
    }

    var phones: [String] { (0..<40).map { "+1415556\(String(format: "%04d", index * 100 + $0))" } }

    func createPhones() async throws {
        for phone in phones {
            let answer = try await http.send("POST", "/api/v1/actions/create-contact", body: #"{"phone": "\#(phone)", "name": "first"}"#)
            ledger.record(
                .init(
                    client: index, phone: phone, value: "first", status: answer.status, retryAfter: false,
                    started: .now, took: .zero, failure: answer.status < 300 ? nil : "setup: \(answer.status)"))
        }
    }

    func run(until stop: StopSignal) async throws {
        var turn = 0
        while !stop.isSet {
            turn += 1
            let phone = phones[turn % phones.count]
            let value = "c\(index)-\(turn)"
            let read = turn % 5 == 0
            let started = ContinuousClock.now
            do {
                let answer =
                    read
                    ? try await http.send("GET", "/api/v1/contacts?limit=20")
                    : try await http.send(
                        "POST", turn % 2 == 0 ? "/api/v1/actions/create-contact" : "/api/v1/actions/update-contact",
                        body: #"{"phone": "\#(phone)", "name": "\#(value)"}"#)
                let unexpected = !(200..<300).contains(answer.status) && answer.status != 503
                ledger.record(
                    .init(
                        client: index, phone: read ? nil : phone, value: read ? nil : value, status: answer.status,
                        retryAfter: answer.headers.keys.contains { ($0 as? String)?.lowercased() == "retry-after" },
                        started: started, took: .now - started,
                        failure: unexpected ? "\(answer.status) \(String(decoding: answer.body, as: UTF8.self))" : nil))
                if answer.status == 503 { try await Task.sleep(for: .milliseconds(100)) }
            } catch {
                // No answer at all: the write may or may not have happened.
                ledger.record(
                    .init(
                        client: index, phone: read ? nil : phone, value: read ? nil : value, status: 0, retryAfter: false,
                        started: started, took: .now - started, failure: "no answer: \(error)"))
                return
            }
        }
    }
}

/// An import job of `rows` new contacts, uploaded over HTTP and followed to its end.
struct ImportUnderLoad {
    var http: HTTPExchange
    var rows: Int

    init(token: String, port: Int, rows: Int) {
        http = HTTPExchange(port: port, token: token)
        self.rows = rows
    }

    func upload() async throws -> String {
        var csv = "phone,name\n"
        for row in 0..<rows { csv += "+1415557\(String(format: "%04d", row)),imported\n" }
        let answer = try await http.send("POST", "/api/v1/imports", contentType: "text/csv", body: csv)
        let job = try JSONSerialization.jsonObject(with: answer.body) as? [String: Any]
        guard answer.status == 202, let id = job?["id"] as? String else { throw RunbookError(message: "upload: \(answer.status)") }
        return "/api/v1/imports/\(id)"
    }

    /// The job's final status (waits up to three minutes).
    func finish(_ location: String) async throws -> String {
        for _ in 0..<900 {
            let answer = try await http.send("GET", location)
            let job = try JSONSerialization.jsonObject(with: answer.body) as? [String: Any]
            if let status = job?["status"] as? String, status == "succeeded" || status == "failed" { return status }
            try await Task.sleep(for: .milliseconds(200))
        }
        return "still running"
    }
}
