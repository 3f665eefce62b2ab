import ArgumentParser
import FoundationEssentials
import Logging
import PGStore
import Service

/// `contacts migrate`: apply pending migrations as the schema owner.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending schema migrations (as the schema owner).")
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let logger = makeLogger(
            level: ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info)
        try await database.withOwnerConnection(logger: logger) { _ in }
        print(#"{"migrated": true}"#)
    }
}

struct AccountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "account", abstract: "Manage accounts.", subcommands: [Create.self])

    /// `contacts account create --name NAME [--no-workspace]`: one JSON line with the first token.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an account, its workspace and a first token.")
        @OptionGroup var database: DatabaseOptions
        @Option(help: "The account's name.") var name: String
        @Flag(help: "Create the account without a workspace.") var noWorkspace = false

        func run() async throws {
            let created = try await database.withOwnerConnection(logger: quietLogger) { connection in
                try await AccountAdmin(connection: connection).createAccount(name: name, withWorkspace: !noWorkspace)
            }
            printJSON([
                ("account_id", created.accountID.uuidString.lowercased()),
                ("workspace_id", created.workspaceID?.uuidString.lowercased()),
                ("token_id", created.tokenID.uuidString.lowercased()),
                ("token", created.token),
            ])
        }
    }
}

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Manage API tokens.", subcommands: [Create.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token for an account (shown once).")
        @OptionGroup var database: DatabaseOptions
        @Option(help: "The account id.") var account: String

        func run() async throws {
            guard let accountID = UUID(uuidString: account) else { throw ValidationError("--account is not a uuid") }
            let created = try await database.withOwnerConnection(logger: quietLogger) { connection in
                try await AccountAdmin(connection: connection).createToken(accountID: accountID)
            }
            guard let created else { throw ValidationError("no account \(account)") }
            printJSON([
                ("account_id", accountID.uuidString.lowercased()), ("token_id", created.id.uuidString.lowercased()),
                ("token", created.token),
            ])
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by its id.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The token id.") var id: String

        func run() async throws {
            guard let tokenID = UUID(uuidString: id) else { throw ValidationError("the token id is not a uuid") }
            let revoked = try await database.withOwnerConnection(logger: quietLogger) { connection in
                try await AccountAdmin(connection: connection).revokeToken(id: tokenID)
            }
            guard revoked else { throw ValidationError("no live token \(id)") }
            printJSON([("token_id", tokenID.uuidString.lowercased()), ("revoked", "true")])
        }
    }
}

/// Administration prints JSON on stdout; logs below warnings would only get in the way.
let quietLogger: Logger = makeLogger(level: .warning)

/// One JSON object on one line; `"true"` is written as the literal true.
func printJSON(_ fields: [(String, String?)]) {
    var writer = JSONWriter()
    writer.beginObject()
    for (key, value) in fields {
        writer.key(key)
        if value == "true" { writer.bool(true) } else { writer.optionalString(value) }
    }
    writer.endObject()
    print(String(decoding: writer.bytes, as: UTF8.self))
}
