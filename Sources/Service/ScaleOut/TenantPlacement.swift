public import FoundationEssentials
public import PGStore

/// Where one workspace's rows live on a Citus cluster, and moving them apart: the big tenant that
/// should not share a node (README "When one PostgreSQL is not enough").
///
/// A workspace's rows sit in one shard group (its contacts, tags, links and import jobs are
/// co-located by `tenant_id`), so one shard of `contacts` tells where all of them are. Isolating
/// splits that group so the workspace has shards of its own (Citus's `isolate_tenant_to_new_shard`
/// with `CASCADE`); moving puts the new group on another node (`citus_move_shard_placement`, online
/// by logical replication). The service routes every statement by `tenant_id`, so nothing
/// in it changes: it never assumes where a tenant lives.
public struct TenantPlacement: Sendable {
    let connection: PGConnection

    public init(connection: PGConnection) {
        self.connection = connection
    }

    /// A node of the cluster, as Citus names it.
    public struct Node: Sendable, Hashable, CustomStringConvertible {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        /// `HOST:PORT`, read as a listen address is (`[::1]:5432` for IPv6); port 0 names no node.
        public init?(_ text: String) {
            guard let address = ListenAddress(text), address.port > 0 else { return nil }
            self.init(host: address.host, port: address.port)
        }

        public var description: String { "\(host):\(port)" }
    }

    /// Where a workspace is: its shard of `contacts`, the node holding it, and whether the shard
    /// holds this workspace alone.
    public struct Location: Sendable, Equatable {
        public var workspace: UUID
        public var shard: Int64
        public var node: Node
        public var isolated: Bool
    }

    /// Where the workspace's rows are now.
    public func location(of workspace: UUID) async throws -> Location {
        try await requireCitus()
        try await requireWorkspace(workspace)
        return try await placement(of: workspace)
    }

    /// The placement of the workspace's shard of `contacts`, once the checks have passed.
    private func placement(of workspace: UUID) async throws -> Location {
        let rows = try await connection.query(
            unprepared: """
                SELECT s.shardid, n.nodename, n.nodeport, s.shardminvalue = s.shardmaxvalue AS isolated
                FROM pg_dist_shard s
                JOIN pg_dist_placement p ON p.shardid = s.shardid
                JOIN pg_dist_node n ON n.groupid = p.groupid AND n.noderole = 'primary'
                WHERE s.shardid = get_shard_id_for_distribution_column('contacts', $1::uuid)
                """, [workspace])
        guard let row = rows.first else { throw TenantPlacementError.noPlacement(workspace: workspace) }
        return Location(
            workspace: workspace, shard: try row.decode(column: "shardid"),
            node: Node(host: try row.decode(column: "nodename"), port: try row.decode(column: "nodeport")),
            isolated: try row.decode(column: "isolated"))
    }

    /// Gives the workspace shards of its own (unless it has them already), then moves them to
    /// `node` (unless they are there already, or `node` is nil). Both steps run online: the
    /// workspace's writes and everybody else's go on, paused only for the moment each step
    /// switches over. Answers where the workspace ended up.
    public func isolate(_ workspace: UUID, onto node: Node?) async throws -> Location {
        try await requireCitus()
        try await requireWorkspace(workspace)
        if let node {
            let known = try await connection.query(
                unprepared: """
                    SELECT shouldhaveshards AND isactive AS usable FROM pg_dist_node
                    WHERE nodename = $1 AND nodeport = $2 AND noderole = 'primary'
                    """, [node.host, node.port])
            guard let usable = try known.first?.decode(Bool.self, column: "usable") else {
                throw TenantPlacementError.unknownNode(node)
            }
            guard usable else { throw TenantPlacementError.nodeTakesNoShards(node) }
        }
        var location = try await placement(of: workspace)
        if !location.isolated {
            // The split blocks writes to this one shard group while it copies (a second for a few
            // thousand contacts, BENCHMARKS.md). Citus's online split (logical replication) did not
            // finish in minutes while the workspace was written to, and its backends grew without
            // bound meanwhile: the move that follows is the online step.
            _ = try await connection.query(
                unprepared: """
                    SELECT isolate_tenant_to_new_shard('contacts', $1::uuid, cascade_option := 'CASCADE',
                                                       shard_transfer_mode := 'block_writes')
                    """, [workspace])
            location = try await placement(of: workspace)
        }
        if let node, node != location.node {
            _ = try await connection.query(
                unprepared: "SELECT citus_move_shard_placement($1, $2, $3, $4, $5)",
                [location.shard, location.node.host, location.node.port, node.host, node.port])
            location = try await placement(of: workspace)
        }
        return location
    }

    private func requireCitus() async throws {
        let rows = try await connection.query(unprepared: "SELECT 1 FROM pg_extension WHERE extname = 'citus'")
        guard !rows.isEmpty else { throw TenantPlacementError.notCitus }
    }

    private func requireWorkspace(_ workspace: UUID) async throws {
        let rows = try await connection.query(unprepared: "SELECT 1 FROM workspaces WHERE id = $1", [workspace])
        guard !rows.isEmpty else { throw TenantPlacementError.unknownWorkspace(workspace) }
    }
}

/// Why a workspace could not be placed; each message says what to do.
public enum TenantPlacementError: Error, Equatable, CustomStringConvertible {
    case notCitus
    case unknownWorkspace(UUID)
    case unknownNode(TenantPlacement.Node)
    case nodeTakesNoShards(TenantPlacement.Node)
    case noPlacement(workspace: UUID)

    public var description: String {
        switch self {
        case .notCitus:
            "this database has no Citus: every workspace lives in the one PostgreSQL, there is nothing to place"
        case .unknownWorkspace(let id):
            "no workspace \(id.uuidString.lowercased())"
        case .unknownNode(let node):
            "\(node) is not a node of this cluster (SELECT citus_add_node('HOST', PORT) adds one)"
        case .nodeTakesNoShards(let node):
            "\(node) takes no shards (it is inactive, or was drained: citus_set_node_property(…, 'shouldhaveshards', true))"
        case .noPlacement(let workspace):
            "Citus knows no placement of the shard of workspace \(workspace.uuidString.lowercased())"
        }
    }
}
