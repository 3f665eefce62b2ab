import ArgumentParser
import FoundationEssentials
import PGStore
import Service

/// `contacts tenant where|isolate`: where a workspace lives on a Citus cluster, and moving a big one
/// apart (README "When one PostgreSQL is not enough").
struct TenantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant", abstract: "Place a workspace on a Citus cluster.", subcommands: [Where.self, Isolate.self])

    /// Runs `body` on the coordinator as the schema owner (Citus moves the shards of the tables
    /// it owns), after migrating as every administration command does, and words its errors for
    /// the operator.
    static func withPlacement<T>(_ database: DatabaseOptions, _ body: (TenantPlacement) async throws -> T) async throws -> T {
        do {
            return try await database.withOwnerConnection(logger: quietLogger) { try await body(TenantPlacement(connection: $0)) }
        } catch let error as TenantPlacementError {
            throw ValidationError(error.description)
        } catch let error as PGError {
            // Citus's own words (an operator's command, not a request: nothing of a client's in them).
            let state = error.sqlState.map { " (SQLSTATE \($0.rawValue))" } ?? ""
            throw ValidationError("Citus refused: \(error.message)\(state)" + (error.hint.map { "\nhint: \($0)" } ?? ""))
        }
    }

    /// `contacts tenant where WORKSPACE_ID`: one JSON line, the node and shard holding it.
    struct Where: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Say which node holds a workspace.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The workspace id.") var workspace: String

        func run() async throws {
            guard let id = UUID(uuidString: workspace) else { throw ValidationError("the workspace id is not a uuid") }
            let location = try await TenantCommand.withPlacement(database) { try await $0.location(of: id) }
            printLocation(location)
        }
    }

    /// `contacts tenant isolate WORKSPACE_ID [--node HOST:PORT]`: shards of its own, on that node.
    struct Isolate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give a workspace shards of its own and move them to a node, online.",
            discussion: """
                Without --node the new shards stay on the node that held the workspace. A later \
                rebalance (citus_rebalance_start) may move them again; run this again to put them back.
                """)
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The workspace id.") var workspace: String
        @Option(help: "The node to move it to, HOST:PORT as citus_add_node named it.") var node: String?

        func run() async throws {
            guard let id = UUID(uuidString: workspace) else { throw ValidationError("the workspace id is not a uuid") }
            var target: TenantPlacement.Node?
            if let node {
                guard let parsed = TenantPlacement.Node(node) else { throw ValidationError("--node is not HOST:PORT") }
                target = parsed
            }
            let location = try await TenantCommand.withPlacement(database) { try await $0.isolate(id, onto: target) }
            printLocation(location)
        }
    }
}

private func printLocation(_ location: TenantPlacement.Location) {
    var writer = JSONWriter()
    writer.beginObject()
    writer.field("workspace_id", location.workspace.uuidString.lowercased())
    writer.field("node", location.node.description)
    writer.key("shard_id")
    writer.int(Int(location.shard))
    writer.key("isolated")
    writer.bool(location.isolated)
    writer.endObject()
    print(String(decoding: writer.bytes, as: UTF8.self))
}
