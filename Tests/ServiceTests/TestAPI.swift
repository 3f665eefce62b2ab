import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PGStore
import Service
import TestSupport
import Testing

/// The service on the throwaway server `make test` started: the application role for the API
/// (row-level security applies), the schema owner for administration.
enum TestEnvironment {
    static let migration = Task {
        let connection = try await PGConnection.connect(TestServer.owner)
        try await Migrator(schema: SchemaFiles.load(from: TestServer.migrationsDirectory)).run(on: connection)
        await connection.close()
    }

    /// Runs `body` as the schema owner (after migrating).
    static func asOwner<T>(_ body: (AccountAdmin, PGConnection) async throws -> T) async throws -> T {
        try await migration.value
        let connection = try await PGConnection.connect(TestServer.owner)
        do {
            let result = try await body(AccountAdmin(connection: connection), connection)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Imports `count` contacts of 2 KB each into `tenant` with the CLI's engine (as the owner):
    /// an export of them outweighs what the sockets between a server and a client that stops
    /// reading hold (4,000 make 8 MB).
    static func importPaddedContacts(_ count: Int, into tenant: UUID) async throws {
        let pad = String(repeating: "x", count: 2_000)
        var csv = "phone,metadata\n"
        for index in 0..<count {
            csv += "+1415\(555 + index / 10_000)\(String(format: "%04d", index % 10_000)),\"{\"\"pad\"\": \"\"\(pad)\"\"}\"\n"
        }
        let file = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("padded-\(UUID().uuidString).csv")
        try Data(csv.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        _ = try await asOwner { _, connection in
            try await CSVImporter(connection: connection, tenant: tenant).run(file: file) { _ in }
        }
    }

    /// A new account with a workspace; its token and tenant id.
    static func tenant() async throws -> (token: String, tenant: UUID, account: UUID) {
        let created = try await asOwner { admin, _ in try await admin.createAccount(name: "test") }
        return (created.token, created.workspaceID!, created.accountID)
    }
}

/// One HTTP answer, decoded for assertions.
struct Reply {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var text: String

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) as? [String: Any] ?? [:]
    }
    var code: String? { json["code"] as? String }
    var errors: [String: [String]] { json["errors"] as? [String: [String]] ?? [:] }
}

/// The router (or a live server) on a pool of its own.
struct TestAPI {
    let pool: ConnectionPool
    let configuration: ServiceConfiguration
    /// Built once, so state kept by the routes (rate-limit buckets, the token cache) lasts.
    private let built: BuiltRouter
    var router: Router<AppRequestContext> { built.router }

    init(pool: ConnectionPool, configuration: ServiceConfiguration) {
        self.pool = pool
        self.configuration = configuration
        self.built = BuiltRouter(router: buildRouter(pool: pool, configuration: configuration))
    }

    static func with<T>(
        tokenCacheTTL: Duration = .seconds(5), bodyLimit: Int = 256 * 1024, poolSize: Int = 8,
        acquireTimeout: Duration = .seconds(10), databaseURL: String? = nil, applicationName: String? = nil,
        rateLimit: RateLimiter.Configuration = .off, configure: (inout ServiceConfiguration) -> Void = { _ in },
        _ body: (TestAPI) async throws -> T
    ) async throws -> T {
        if databaseURL == nil { try await TestEnvironment.migration.value }
        var configuration = ServiceConfiguration()
        configure(&configuration)
        configuration.tokenCacheTTL = tokenCacheTTL
        configuration.bodyLimit = bodyLimit
        configuration.port = 0
        configuration.rateLimit = rateLimit
        var connection = configuration.database(url: databaseURL ?? TestServer.value("TEST_DATABASE_URL"))
        if let applicationName { connection = connection.with("application_name", applicationName) }
        var poolConfiguration = ConnectionPoolConfiguration(maxConnections: poolSize, acquireTimeout: acquireTimeout)
        poolConfiguration.sharedSessions = configuration.pool.sharedSessions
        poolConfiguration.pipelineDepth = configuration.pool.pipelineDepth
        let pool = ConnectionPool(connection: connection, configuration: poolConfiguration)
        do {
            let result = try await body(TestAPI(pool: pool, configuration: configuration))
            await pool.close()
            return result
        } catch {
            await pool.close()
            throw error
        }
    }

    func send(
        _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, body: String? = nil,
        contentType: String? = "application/json", setup: TestingSetup = .router
    ) async throws -> Reply {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        if let contentType, body != nil { headers[.contentType] = contentType }
        return try await sendHeaders(headers, method: method, uri: uri, body: body.map { ByteBuffer(string: $0) }, setup: setup)
    }

    func sendHeaders(
        _ headers: HTTPFields, method: HTTPRequest.Method = .post, uri: String = "/api/v1/actions/create-contact",
        body: ByteBuffer?, setup: TestingSetup = .router, logger: Logger? = nil
    ) async throws -> Reply {
        let app = Application(responder: built.responder, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger)
        return try await app.test(setup) { client in
            try await client.execute(uri: uri, method: method, headers: headers, body: body) {
                Reply(status: $0.status, headers: $0.headers, text: String(buffer: $0.body))
            }
        }
    }

    func create(_ body: String, token: String, path: String = "/api/v1/actions/create-contact") async throws -> Reply {
        try await send(.post, path, token: token, body: body)
    }

    /// What the tenant's own rows say, read through row-level security.
    func rows(tenant: UUID, _ sql: String) async throws -> PGRows {
        try await pool.withConnection { connection in
            try await connection.pipeline([
                PGQuery(.setLocal("app.tenant_id", tenant.uuidString)),
                PGQuery(PGStatement(sql)),
            ])[1]
        }
    }
}

/// A JSON string literal for `text` (for building bodies by hand).
func jsonString(_ text: String) -> String {
    var writer = JSONWriter()
    writer.string(text)
    return String(decoding: writer.bytes, as: UTF8.self)
}

/// The router and its responder, built once: building a responder changes the router (it adds
/// the HEAD endpoints), so test applications share one instead of each building its own. Only
/// read after `init`, hence `@unchecked Sendable`.
final class BuiltRouter: @unchecked Sendable {
    let router: Router<AppRequestContext>
    let responder: RouterResponder<AppRequestContext>
    init(router: Router<AppRequestContext>) {
        self.router = router
        self.responder = router.buildResponder()
    }
}
