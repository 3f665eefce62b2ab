public import PGStore

/// The service must connect as a role that row-level security applies to.
public enum DatabaseRoleCheck {
    public struct UnsafeRole: Error, CustomStringConvertible {
        public var role: String
        public var isSuperuser: Bool
        public var bypassesRLS: Bool

        public var description: String {
            let reason = isSuperuser ? "is a superuser" : "has BYPASSRLS"
            return "refusing to serve: database role \(role) \(reason), so row-level security would not "
                + "isolate tenants. Connect as the application role (contacts_app) instead."
        }
    }

    /// Throws ``UnsafeRole`` when the pool's role is a superuser or has BYPASSRLS.
    public static func verify(_ pool: ConnectionPool) async throws {
        let row = try await pool.withConnection { connection in
            try await connection.query(
                PGStatement("SELECT current_user AS role, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"))
        }.first
        guard let row else { return }
        let superuser = try row.decode(Bool.self, column: "rolsuper")
        let bypass = try row.decode(Bool.self, column: "rolbypassrls")
        if superuser || bypass {
            throw UnsafeRole(role: try row.decode(String.self, column: "role"), isSuperuser: superuser, bypassesRLS: bypass)
        }
    }
}
