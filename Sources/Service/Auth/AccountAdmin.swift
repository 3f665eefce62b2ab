public import FoundationEssentials
public import PGStore

/// Accounts, workspaces and tokens: administration, run as the schema owner (the application role
/// may only read tokens).
public struct AccountAdmin: Sendable {
    let connection: PGConnection

    public init(connection: PGConnection) {
        self.connection = connection
    }

    public struct CreatedAccount: Sendable {
        public var accountID: UUID
        public var workspaceID: UUID?
        public var tokenID: UUID
        public var token: String
    }

    /// Creates an account, its workspace (unless `withWorkspace` is false) and a first token.
    public func createAccount(name: String, withWorkspace: Bool = true) async throws -> CreatedAccount {
        let accountID = UUID()
        let workspaceID = withWorkspace ? UUID() : nil
        let tokenID = UUID()
        let token = APIToken.generate()
        var queries = [PGQuery(PGStatement("INSERT INTO accounts (id, name) VALUES ($1, $2)"), [accountID, name])]
        if let workspaceID {
            queries.append(
                PGQuery(PGStatement("INSERT INTO workspaces (id, account_id, name) VALUES ($1, $2, $3)"), [workspaceID, accountID, name]))
        }
        queries.append(Self.insertToken(id: tokenID, accountID: accountID, token: token))
        _ = try await connection.pipeline(queries)
        return CreatedAccount(accountID: accountID, workspaceID: workspaceID, tokenID: tokenID, token: token)
    }

    /// Creates another token for an account; `nil` if there is no such account.
    public func createToken(accountID: UUID) async throws -> (id: UUID, token: String)? {
        let exists = try await connection.query(PGStatement("SELECT 1 FROM accounts WHERE id = $1"), [accountID])
        guard !exists.isEmpty else { return nil }
        let id = UUID()
        let token = APIToken.generate()
        _ = try await connection.pipeline([Self.insertToken(id: id, accountID: accountID, token: token)])
        return (id, token)
    }

    /// Revokes a token; false if there is no such live token.
    public func revokeToken(id: UUID) async throws -> Bool {
        let rows = try await connection.query(
            PGStatement("UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL"), [id])
        return rows.affectedRowCount == 1
    }

    /// The workspace of an account, if it has one.
    public func workspace(of accountID: UUID) async throws -> UUID? {
        let rows = try await connection.query(PGStatement("SELECT id FROM workspaces WHERE account_id = $1"), [accountID])
        return try rows.first?.decode(UUID.self, column: "id")
    }

    /// The first account with this name, if any (for the development bootstrap).
    public func account(named name: String) async throws -> UUID? {
        let rows = try await connection.query(
            PGStatement("SELECT id FROM accounts WHERE name = $1 ORDER BY created_at LIMIT 1"), [name])
        return try rows.first?.decode(UUID.self, column: "id")
    }

    static func insertToken(id: UUID, accountID: UUID, token: String) -> PGQuery {
        PGQuery(
            PGStatement("INSERT INTO api_tokens (id, account_id, token_hash) VALUES ($1, $2, $3::bytea)"),
            [id, accountID, APIToken.byteaHex(APIToken.hash(token))])
    }
}
