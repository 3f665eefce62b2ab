import Foundation
import PGStore
import Service
import TestSupport
import Testing

/// `contacts tenant where|isolate` on one PostgreSQL: there is nothing to place, and both say so
/// (on Citus, CitusGrowthTests runs them).
@Suite("Tenant placement without Citus")
struct TenantPlacementTests {
    @Test func bothCommandsSayTheyNeedCitus() async throws {
        let (_, tenant, _) = try await TestEnvironment.tenant()
        try await TestEnvironment.asOwner { _, connection in
            let placement = TenantPlacement(connection: connection)
            await #expect(throws: TenantPlacementError.notCitus) { try await placement.location(of: tenant) }
            await #expect(throws: TenantPlacementError.notCitus) { try await placement.isolate(tenant, onto: nil) }
        }
        let shell = RunbookShell(environment: ["DATABASE_OWNER_URL": TestServer.value("TEST_DATABASE_OWNER_URL")])
        for command in ["where", "isolate"] {
            let error = await #expect(throws: RunbookError.self) {
                try await shell.run("contacts tenant \(command) \(tenant.uuidString.lowercased())")
            }
            #expect(error?.message.contains("this database has no Citus") == true, "\(error?.message ?? "")")
        }
    }

    @Test func aNodeIsHostAndPortAfterTheLastColon() {
        #expect(TenantPlacement.Node("/tmp/sockets:5433") == TenantPlacement.Node(host: "/tmp/sockets", port: 5433))
        #expect(TenantPlacement.Node("[::1]:5432") == TenantPlacement.Node(host: "::1", port: 5432))
        #expect(TenantPlacement.Node("worker-3:0") == nil)
        #expect(TenantPlacement.Node("worker-3") == nil)
        #expect(TenantPlacement.Node(":5432") == nil)
        #expect(TenantPlacement.Node("worker-3:70000") == nil)
    }
}
