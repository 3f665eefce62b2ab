import ArgumentParser

/// The `contacts` command: the API server and its administration.
@main
struct Contacts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contacts",
        abstract: "The multi-tenant contacts API and its administration.",
        subcommands: [Serve.self, Migrate.self, AccountCommand.self, TokenCommand.self, TenantCommand.self, Import.self],
        defaultSubcommand: Serve.self
    )
}
