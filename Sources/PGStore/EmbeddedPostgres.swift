public import FoundationEssentials
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// A private PostgreSQL cluster started from the machine's binaries, in a folder of ours, reachable
/// only through a unix socket in that folder.
///
/// For local development (`contacts serve` with no `DATABASE_URL`) and for tests that must own
/// their server (restarts). PostgreSQL refuses to run as root, so when the process is root the
/// cluster belongs to, and runs as, the `postgres` OS user.
public struct EmbeddedPostgres: Sendable {
    /// The folder holding `data/`, the server log and the socket.
    public let directory: URL
    /// Where `initdb`, `pg_ctl` and `postgres` are.
    public let binDirectory: URL
    /// The superuser that `initdb` creates.
    public let superuser = "postgres"

    public init(directory: URL, binDirectory: URL? = nil) throws {
        self.directory = directory.standardizedFileURL
        guard let bin = binDirectory ?? Self.findBinDirectory() else { throw EmbeddedPostgresError.binariesNotFound }
        self.binDirectory = bin
    }

    var dataDirectory: URL { directory.appendingPathComponent("data") }
    var logFile: URL { directory.appendingPathComponent("server.log") }

    /// True once `initdb` has run here.
    public var isInitialized: Bool {
        FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path)
    }

    /// A connection URL for `user` on `database`, through the socket.
    public func url(user: String? = nil, database: String = "postgres") -> String {
        var components = URLComponents()
        components.scheme = "postgresql"
        components.host = ""
        components.path = "/" + database
        components.queryItems = [
            URLQueryItem(name: "host", value: directory.path),
            URLQueryItem(name: "user", value: user ?? superuser),
        ]
        return components.string!
    }

    /// Creates the cluster if the folder has none (trust authentication: only the socket, in a
    /// folder only its owner can enter, reaches it).
    public func initializeIfNeeded() async throws {
        try await blocking { try $0.initializeIfNeededSync() }
    }

    func initializeIfNeededSync() throws {
        guard !isInitialized else { return }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try giveToServerUser(directory)
        try run(
            "initdb", ["-D", dataDirectory.path, "-U", superuser, "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]
        )
    }

    /// Starts the server and waits until it accepts connections.
    public func start(settings: [String: String] = [:]) async throws {
        try await blocking { try $0.startSync(settings: settings) }
    }

    func startSync(settings: [String: String]) throws {
        var options = "-k \(directory.path) -c listen_addresses=''"
        for (name, value) in settings.sorted(by: { $0.key < $1.key }) { options += " -c \(name)=\(value)" }
        try run("pg_ctl", ["-D", dataDirectory.path, "-l", logFile.path, "-w", "-s", "-o", options, "start"])
    }

    /// Restarts the server (fast mode: open sessions are terminated) and waits for it.
    public func restart() async throws {
        try await blocking { try $0.restartSync() }
    }

    func restartSync() throws {
        try run("pg_ctl", ["-D", dataDirectory.path, "-l", logFile.path, "-w", "-s", "-m", "fast", "restart"])
    }

    /// Stops the server (fast mode); does nothing when it is not running.
    public func stop() async throws {
        try await blocking { try $0.stopSync() }
    }

    func stopSync() throws {
        guard isRunningSync else { return }
        try run("pg_ctl", ["-D", dataDirectory.path, "-w", "-s", "-m", "fast", "stop"])
    }

    /// Whether the server of this folder is up (`pg_ctl status`).
    public func isRunning() async -> Bool {
        (try? await NIOThreadPool.singleton.runIfActive { [self] in isRunningSync }) ?? false
    }

    var isRunningSync: Bool {
        (try? run("pg_ctl", ["-D", dataDirectory.path, "status"], quiet: true)) != nil
    }

    /// Whether the server's OS user can reach `directory` (when running as root, the cluster runs
    /// as `postgres`, which cannot enter, say, a folder under `/root`).
    public static func serverUserCanReach(_ directory: URL) -> Bool {
        guard getuid() == 0 else { return true }
        var probe = directory.standardizedFileURL
        while !FileManager.default.fileExists(atPath: probe.path) { probe.deleteLastPathComponent() }
        return (try? ChildProcess.run("/usr/sbin/runuser", ["-u", "postgres", "--", "test", "-x", probe.path]).status) == 0
    }

    // MARK: Processes

    /// Runs blocking process work off the cooperative pool.
    private func blocking(_ body: @escaping @Sendable (EmbeddedPostgres) throws -> Void) async throws {
        try await NIOThreadPool.singleton.runIfActive { [self] in try body(self) }
    }

    private var runsAsRoot: Bool { getuid() == 0 }

    private func giveToServerUser(_ url: URL) throws {
        guard runsAsRoot else { return }
        try runProcess("/bin/chown", ["-R", "postgres:postgres", url.path], quiet: false)
        try runProcess("/bin/chmod", ["700", url.path], quiet: false)
    }

    @discardableResult
    private func run(_ tool: String, _ arguments: [String], quiet: Bool = false) throws -> String {
        let path = binDirectory.appendingPathComponent(tool).path
        if runsAsRoot {
            return try runProcess("/usr/sbin/runuser", ["-u", "postgres", "--", path] + arguments, quiet: quiet)
        }
        return try runProcess(path, arguments, quiet: quiet)
    }

    @discardableResult
    private func runProcess(_ executable: String, _ arguments: [String], quiet: Bool) throws -> String {
        let (status, text) = try ChildProcess.run(executable, arguments)
        guard status == 0 else {
            throw EmbeddedPostgresError.commandFailed(
                command: ([executable] + arguments).joined(separator: " "), status: status, output: quiet ? "" : text
            )
        }
        return text
    }

    static func findBinDirectory() -> URL? {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        if let newest = versions.compactMap(Int.init).max() {
            return URL(fileURLWithPath: "\(root)/\(newest)/bin")
        }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            if FileManager.default.isExecutableFile(atPath: "\(dir)/initdb") { return URL(fileURLWithPath: String(dir)) }
        }
        return nil
    }
}

public enum EmbeddedPostgresError: Error, Sendable, CustomStringConvertible {
    case binariesNotFound
    case commandFailed(command: String, status: Int32, output: String)

    public var description: String {
        switch self {
        case .binariesNotFound:
            "PostgreSQL server binaries not found (install the postgresql package, or set DATABASE_URL)"
        case .commandFailed(let command, let status, let output):
            "\(command) exited with status \(status)\(output.isEmpty ? "" : ": " + output)"
        }
    }
}
