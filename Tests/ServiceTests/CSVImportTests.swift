import Foundation
import PGStore
import TestSupport
import Testing

@testable import Service

@Suite("contacts import: CSV through COPY")
struct CSVImportTests {
    func write(_ text: String) throws -> URL {
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("import-\(UUID().uuidString).csv")
        try Data(text.utf8).write(to: url)
        return url
    }

    func runImport(_ file: URL, tenant: UUID, batchSize: Int = 20_000, writers: Int = 1) async throws -> (
        CSVImporter.Summary, [CSVImporter.RowError]
    ) {
        try await TestEnvironment.asOwner { _, connection in
            var connections = [connection]
            for _ in 1..<writers { connections.append(try await PGConnection.connect(TestServer.owner)) }
            defer { for extra in connections.dropFirst() { Task { await extra.close() } } }
            var errors: [CSVImporter.RowError] = []
            let summary = try await CSVImporter(connections: connections, tenant: tenant, batchSize: batchSize).run(file: file) {
                errors.append($0)
            }
            return (summary, errors)
        }
    }

    @Test func importsQuotesBOMAndCRLFReportsBadRowsAndRerunsChangeNothing() async throws {
        let (_, tenant, _) = try await TestEnvironment.tenant()
        let csv =
            "\u{FEFF}name,phone,email,tags,metadata\r\n"
            + "\"Dupont, Jean\",+33 6 12 34 56 78,jean@EXAMPLE.fr,\"vip, fr-FR\",\"{\"\"ltv\"\": 8742.00}\"\r\n"
            + "\"Multi\r\nline\",+14155550123,,,\r\n"
            + "Bad,0612345678,not-an-email,,\r\n"
            + "Meta,+14155550124,,,\"{broken\"\r\n"
            + "\r\n"
            + "Later wins,+33612345678,,solo,\r\n"
        let file = try write(csv)
        let (summary, errors) = try await runImport(file, tenant: tenant, batchSize: 2)
        #expect(summary.rows == 5)
        #expect(summary.invalid == 2)
        #expect(summary.created == 2)
        // The first +33 6 12 34 56 78 row, in an earlier batch, is superseded by the last.
        #expect(summary.superseded == 1 && summary.updated == 0 && summary.unchanged == 0)
        #expect(errors.map(\.row) == [4, 4, 5])
        #expect(errors.map(\.field) == ["phone", "email", "metadata"])
        try await TestAPI.with { api in
            let rows = try await api.rows(
                tenant: tenant,
                "SELECT phone, name, email, metadata::text AS metadata, updated_at::text AS updated FROM contacts ORDER BY phone")
            #expect(try rows.map { try $0.decode(String.self, column: "phone") } == ["+14155550123", "+33612345678"])
            #expect(try rows[0].decode(String.self, column: "name") == "Multi\r\nline")
            #expect(try rows[1].decode(String.self, column: "name") == "Later wins")
            let tags = try await api.rows(
                tenant: tenant,
                "SELECT t.name FROM contact_tags ct JOIN tags t ON t.tenant_id = ct.tenant_id AND t.id = ct.tag_id ORDER BY ct.position")
            #expect(try tags.map { try $0.decode(String.self, at: 0) } == ["solo"])

            // The same file again: nothing changes, updated_at included.
            let before = try rows.map { try $0.decode(String.self, column: "updated") }
            let (again, _) = try await runImport(file, tenant: tenant)
            #expect(again.created == 0)
            #expect(again.updated == 0)
            #expect(again.unchanged == 2)
            let after = try await api.rows(tenant: tenant, "SELECT updated_at::text FROM contacts ORDER BY phone").map {
                try $0.decode(String.self, at: 0)
            }
            #expect(after == before)
        }
    }

    @Test func aChangedTagMovesUpdatedAt() async throws {
        let (_, tenant, _) = try await TestEnvironment.tenant()
        _ = try await runImport(try write("phone,tags\n+14155550123,a\n"), tenant: tenant)
        try await TestAPI.with { api in
            let before = try await api.rows(tenant: tenant, "SELECT updated_at::text FROM contacts")[0].decode(String.self, at: 0)
            let (summary, _) = try await runImport(try write("phone,tags\n+14155550123,\"a, b\"\n"), tenant: tenant)
            // Only its links changed: the contact was updated.
            #expect(summary.updated == 1 && summary.unchanged == 0)
            let after = try await api.rows(tenant: tenant, "SELECT updated_at::text FROM contacts")[0].decode(String.self, at: 0)
            #expect(after > before)
        }
    }

    @Test func severalWritersKeepTheLastRowOfEachPhoneAndTheirTagsInOrder() async throws {
        let (_, tenant, _) = try await TestEnvironment.tenant()
        // 300 phones, each three times in the file (far apart, so in different batches), then a
        // malformed record; the last row of each phone must win whichever writer has it.
        var csv = "phone,name,tags\n"
        for round in 1...3 {
            for index in 0..<300 { csv += "+1415555\(String(format: "%04d", index)),round \(round),\"r\(round), t\(index % 7)\"\n" }
        }
        csv += "\"broken\"x,+14155559999,\n"
        let (summary, errors) = try await runImport(try write(csv), tenant: tenant, batchSize: 100, writers: 3)
        #expect(summary.rows == 901)
        #expect(summary.invalid == 1)
        #expect(errors == [CSVImporter.RowError(row: 902, field: "row", reason: "text after the closing quote of field 1")])
        #expect(summary.created == 300)
        // Each phone once, by what its last row did; its two earlier rows superseded.
        #expect(summary.superseded == 600 && summary.updated == 0 && summary.unchanged == 0)
        try await TestAPI.with { api in
            let names = try await api.rows(tenant: tenant, "SELECT DISTINCT name FROM contacts").map { try $0.decode(String.self, at: 0) }
            #expect(names == ["round 3"])
            let tags = try await api.rows(
                tenant: tenant,
                """
                SELECT string_agg(t.name, ',' ORDER BY ct.position) FROM contacts c
                JOIN contact_tags ct ON ct.tenant_id = c.tenant_id AND ct.contact_id = c.id
                JOIN tags t ON t.tenant_id = ct.tenant_id AND t.id = ct.tag_id
                WHERE c.phone = '+14155550012' GROUP BY c.id
                """)
            #expect(try tags.map { try $0.decode(String.self, at: 0) } == ["r3,t5"])
            let links = try await api.rows(tenant: tenant, "SELECT count(*) FROM contact_tags")
            #expect(try links[0].decode(Int.self, at: 0) == 600)
        }
    }

    @Test(.timeLimit(.minutes(1))) func aWriterThatFailsEndsTheImportWithItsErrorInsteadOfHangingIt() async throws {
        let (_, tenant, _) = try await TestEnvironment.tenant()
        var csv = "phone\n"
        for index in 0..<3_000 { csv += "+1415556\(String(format: "%04d", index))\n" }
        let file = try write(csv)
        try await TestEnvironment.asOwner { _, connection in
            let broken = try await PGConnection.connect(TestServer.owner)
            await broken.close()
            let importer = CSVImporter(connections: [connection, broken], tenant: tenant, batchSize: 100)
            await #expect(throws: PGError.self) { _ = try await importer.run(file: file) { _ in } }
        }
    }

    @Test func aFileWithoutAPhoneColumnIsRefused() async throws {
        let (_, tenant, _) = try await TestEnvironment.tenant()
        await #expect(throws: CSVImporter.ImportError.self) { _ = try await runImport(try write("name,email\nx,y\n"), tenant: tenant) }
    }
}
