public import Hummingbird
public import PGStore

/// `GET /healthz` (the process answers) and `GET /readyz` (the database answers too).
public struct HealthController: Sendable {
    let pool: ConnectionPool

    public init(pool: ConnectionPool) {
        self.pool = pool
    }

    static let ping = PGStatement("SELECT 1")

    public func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        router.get("/healthz") { _, _ in
            JSONResponse.make(status: .ok, bytes: Array(#"{"status":"ok"}"#.utf8))
        }
        router.get("/readyz") { _, _ in
            do {
                _ = try await pool.query(PGQuery(Self.ping))
            } catch {
                throw APIError.unavailable("The database is unreachable.")
            }
            return JSONResponse.make(status: .ok, bytes: Array(#"{"status":"ready"}"#.utf8))
        }
    }
}
