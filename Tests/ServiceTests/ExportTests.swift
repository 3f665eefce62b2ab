import Foundation
import HTTPTypes
import PGStore
import Service
import TestSupport
import Testing

@Suite("GET /api/v1/contacts/export")
struct ExportTests {
    /// RFC 4180 records of `text` (quoted cells, doubled quotes, CRLF).
    static func records(_ text: String) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var cell = ""
        var quoted = false
        var iterator = Array(text.unicodeScalars).makeIterator()
        var pending: Unicode.Scalar? = iterator.next()
        while let scalar = pending {
            pending = iterator.next()
            if quoted {
                if scalar == "\"" {
                    if pending == "\"" {
                        cell.unicodeScalars.append("\"")
                        pending = iterator.next()
                    } else {
                        quoted = false
                    }
                } else {
                    cell.unicodeScalars.append(scalar)
                }
            } else if scalar == "\"" {
                quoted = true
            } else if scalar == "," {
                record.append(cell)
                cell = ""
            } else if scalar == "\r", pending == "\n" {
                pending = iterator.next()
                record.append(cell)
                records.append(record)
                record = []
                cell = ""
            } else {
                cell.unicodeScalars.append(scalar)
            }
        }
        return records
    }

    @Test func csvAndNDJSONHoldEveryContactInIdOrderAndImportBackUnchanged() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        let (otherToken, _, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            // More than one statement's page, and values that need quoting.
            for batch in 0..<3 {
                let items = (0..<900).map { index in
                    let n = batch * 900 + index
                    return
                        #"{"phone": "+1415555\#(String(format: "%04d", n))", "name": "Name, \"\#(n)\"", "tags": ["t\#(n % 3)", "all"], "metadata": {"n": \#(n), "note": "a,b\nc"}}"#
                }
                let reply = try await api.send(
                    .post, "/api/v1/actions/create-contacts", token: token, body: #"{"contacts": [\#(items.joined(separator: ","))]}"#)
                #expect(reply.status == .ok)
            }
            _ = try await api.create(#"{"phone": "+33612345678", "email": "x@example.com"}"#, token: otherToken)

            let csv = try await api.send(.get, "/api/v1/contacts/export", token: token, contentType: nil)
            #expect(csv.status == .ok)
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            let records = Self.records(csv.text)
            #expect(records.first == ["phone", "name", "email", "tags", "metadata", "id", "created_at", "updated_at"])
            let rows = records.dropFirst()
            #expect(rows.count == 2_700)
            let ids = rows.map { $0[5] }
            #expect(ids == ids.sorted() && Set(ids).count == ids.count)
            #expect(!rows.contains { $0[0] == "+33612345678" })
            let first = try #require(rows.first { $0[0] == "+14155550007" })
            #expect(first[1] == "Name, \"7\"")
            #expect(first[2] == "")
            #expect(first[3] == "t1,all")
            #expect((try JSONSerialization.jsonObject(with: Data(first[4].utf8)) as? [String: Any])?["note"] as? String == "a,b\nc")

            var ndjsonHeaders = HTTPFields()
            ndjsonHeaders[.authorization] = "Bearer \(token)"
            ndjsonHeaders[.accept] = "application/x-ndjson"
            let ndjson = try await api.sendHeaders(ndjsonHeaders, method: .get, uri: "/api/v1/contacts/export", body: nil)
            #expect(ndjson.headers[.contentType] == "application/x-ndjson")
            let lines = ndjson.text.split(separator: "\n")
            #expect(lines.count == 2_700)
            let contacts = lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
            #expect(contacts.map { $0["id"] as? String ?? "" } == ids)
            #expect(contacts.first { $0["phone"] as? String == "+14155550007" }?["tags"] as? [String] == ["t1", "all"])

            // The exported file, imported again by the import's engine, changes nothing.
            let file = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("export-\(UUID().uuidString).csv")
            try Data(csv.text.utf8).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let summary = try await TestEnvironment.asOwner { _, connection in
                try await CSVImporter(connection: connection, tenant: tenant).run(file: file) { error in Issue.record("\(error)") }
            }
            #expect(summary.rows == 2_700 && summary.unchanged == 2_700 && summary.created == 0 && summary.updated == 0)
            let again = try await api.send(.get, "/api/v1/contacts/export", token: token, contentType: nil)
            #expect(again.text == csv.text)
        }
    }

    @Test func anEmptyWorkspaceIsTheHeaderAndAnUnknownFormatIs406() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let csv = try await api.send(.get, "/api/v1/contacts/export", token: token, contentType: nil)
            #expect(csv.text == "phone,name,email,tags,metadata,id,created_at,updated_at\r\n")
            var headers = HTTPFields()
            headers[.authorization] = "Bearer \(token)"
            headers[.accept] = "application/xml"
            let refused = try await api.sendHeaders(headers, method: .get, uri: "/api/v1/contacts/export", body: nil)
            #expect(refused.status == .notAcceptable)
            #expect(refused.code == "not_acceptable")
            #expect(try await api.send(.get, "/api/v1/contacts/export").status == .unauthorized)
        }
    }

    /// The database session dies while the client has not read everything: the transfer ends
    /// without its last chunk, so no client can take the part for the whole, and the pool has
    /// its connection back at once (not when the client reads again, nor after the stall bound).
    @Test func anExportCutOffMidwayEndsWithoutItsFinalChunk() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        // About 8 MB to export, more than the sockets between server and client hold, in few rows.
        try await TestEnvironment.importPaddedContacts(4_000, into: tenant)
        let name = "export-cut-\(UUID().uuidString.prefix(8))"
        try await withLiveService(applicationName: name) { service in
            let client = try RawClient(port: service.port)
            defer { client.close() }
            client.send("GET /api/v1/contacts/export HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(token)\r\n\r\n")
            // The client reads nothing: the export waits on the socket, its transaction open.
            try await Task.sleep(for: .milliseconds(500))
            let admin = try await PGConnection.connect(TestServer.admin)
            let killed = ContinuousClock.now
            try await admin.query(unprepared: "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [name])
            await admin.close()
            let (text, closed) = try await client.readUntilClosed(within: .seconds(20))
            #expect(closed)
            #expect(ContinuousClock.now - killed < .seconds(5))
            #expect(text.hasPrefix("HTTP/1.1 200"))
            #expect(text.lowercased().contains("transfer-encoding: chunked"))
            #expect(!text.hasSuffix("\r\n0\r\n\r\n"))
            // The slot is free: exports on every bulk connection of the pool (2) run whole now.
            for _ in 0..<2 {
                let next = try RawClient(port: service.port)
                defer { next.close() }
                next.send(
                    "GET /api/v1/contacts/export HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(token)\r\nConnection: close\r\n\r\n"
                )
                let (whole, _) = try await next.readUntilClosed(within: .seconds(20))
                #expect(whole.hasPrefix("HTTP/1.1 200"))
                #expect(whole.hasSuffix("\r\n0\r\n\r\n"))
            }
        }
    }
}
