import FoundationEssentials
import PGStore
import Service

/// The embedded mode's ready-to-use account: created on first start, its token kept in the data
/// folder (mode 0600) so every start can print the same ready-to-paste curl.
enum DevelopmentAccount {
    static let name = "development"

    static func ensure(admin: AccountAdmin, tokenFile: URL) async throws -> String {
        if let saved = try? String(contentsOf: tokenFile, encoding: .utf8).trimmingWhitespace(),
            !saved.isEmpty, try await admin.account(named: name) != nil
        {
            return saved
        }
        let token: String
        if let accountID = try await admin.account(named: name), let created = try await admin.createToken(accountID: accountID) {
            token = created.token
        } else {
            token = try await admin.createAccount(name: name).token
        }
        try FileManager.default.createDirectory(at: tokenFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(
            atPath: tokenFile.path, contents: Data((token + "\n").utf8), attributes: [.posixPermissions: 0o600])
        return token
    }

    static func printWelcome(token: String, configuration: ServiceConfiguration, embedded: EmbeddedDatabase) {
        let base = "http://\(configuration.host):\(configuration.port)"
        let text =
            """

            contacts API on \(base) (embedded PostgreSQL in \(embedded.server.directory.path))
            development token: \(token)

            curl -X POST \(base)/api/v1/actions/create-contact \\
              -H "Authorization: Bearer \(token)" \\
              -H "Content-Type: application/json" \\
              -d '{
                "phone": "+14155550123",
                "name": "Romain",
                "email": "romain@example.com",
                "tags": "vip, fr-FR",
                "metadata": { "shopify_id": "12345", "lifetime_value": 8742.00 }
              }'


            """
        // Unbuffered: the token must show at once, also when stdout is a pipe.
        writeToStandardOutput(text)
    }
}
