public import Foundation
public import PGStore

/// The throwaway server `make test` started (`scripts/with-test-postgres.sh`, or a Citus
/// coordinator with `scripts/with-citus.sh`), as its environment describes it: the application
/// role (row-level security applies), the schema owner, the superuser.
public enum TestServer {
    /// An environment variable the test scripts set. Reading one also sends the process's logs to
    /// memory (``TestLogs``): every test that talks to a server starts here.
    public static func value(_ name: String) -> String {
        TestLogs.install()
        guard let value = ProcessInfo.processInfo.environment[name] else {
            fatalError("\(name) is not set: run the tests with `make test`")
        }
        return value
    }

    public static var app: PGConnectionConfiguration { .init(url: value("TEST_DATABASE_URL")) }
    public static var owner: PGConnectionConfiguration { .init(url: value("TEST_DATABASE_OWNER_URL")) }
    public static var admin: PGConnectionConfiguration { .init(url: value("TEST_DATABASE_ADMIN_URL")) }
    public static var socketDirectory: String { value("TEST_PG_SOCKET_DIR") }

    /// The repository's root folder.
    public static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The repository's `sql/` folder.
    public static var migrationsDirectory: URL { repository.appendingPathComponent("sql") }
}
