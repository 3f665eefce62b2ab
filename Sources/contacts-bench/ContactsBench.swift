import ArgumentParser

/// The benchmark's helpers (`make bench`), apart from the production CLI: what the service sends
/// for one create-contact, as a pgbench script, and what one phone number's validation costs.
@main
struct ContactsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contacts-bench", abstract: "Helpers of make bench.", subcommands: [BenchSQL.self, BenchPhones.self])
}
