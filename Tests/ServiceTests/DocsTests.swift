import Foundation
import HTTPTypes
import Service
import TestSupport
import Testing

/// `GET /docs`: the reference a person reads, rendered by Swagger UI from the served document,
/// loaded in a real headless browser (Debian's chromium) from a live socket.
@Suite("GET /docs in a browser")
struct DocsTests {
    /// The page loads, Swagger UI renders the served document, and every route of it is on the
    /// page (each operation's path and method).
    @Test func theReferenceShowsEveryRouteInABrowser() async throws {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.file)) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        try await withLiveService { service in
            let dom = try await Self.renderedPage("http://127.0.0.1:\(service.port)/docs")
            #expect(dom.contains("Contacts API"), "\(dom.prefix(500))")
            for (path, operations) in paths {
                #expect(dom.contains("data-path=\"\(path)\""), "\(path) is not on the page")
                for method in operations.keys where ["get", "post", "put", "patch", "delete"].contains(method) {
                    #expect(dom.contains("opblock-\(method)"), "no \(method) operation on the page")
                }
            }
        }
    }

    /// Without the renderer's files the page says so (404, the contract's JSON), and only the
    /// renderer's own files are served.
    @Test func withoutTheRendererTheReferenceIsA404AndOnlyItsFilesAreServed() async throws {
        try await TestAPI.with(configure: { $0.docsDirectory = "/nonexistent" }) { api in
            let page = try await api.send(.get, "/docs")
            #expect(page.status == .notFound)
            #expect((page.json["message"] as? String)?.contains("install-swagger-ui") == true)
        }
        try await TestAPI.with { (api: TestAPI) async throws in
            #expect(try await api.send(.get, "/docs").headers[.contentType] == "text/html; charset=utf-8")
            #expect(try await api.send(.get, "/docs/swagger-ui.css").status == .ok)
            for name in ["LICENSE", ".swagger-ui-5.31.0", "..%2FPackage.swift", "index.html"] {
                #expect(try await api.send(.get, "/docs/\(name)").status == .notFound, "\(name)")
            }
        }
    }

    /// The users' guide (`docs/guide.md`) names every route the document has.
    @Test func theGuideNamesEveryRoute() throws {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.file)) as? [String: Any])
        let guide = try String(contentsOf: TestServer.repository.appendingPathComponent("docs/guide.md"), encoding: .utf8)
        for path in try #require(document["paths"] as? [String: Any]).keys {
            #expect(guide.contains("\(path)`") || guide.contains("\(path)?"), "docs/guide.md does not name \(path)")
        }
    }

    /// The README's layout is the tree: every folder of the sources and tests is in its table
    /// (the service's rooms one level down, `HTTP`'s layers two), and every path it names exists.
    @Test func theReadmeLayoutIsTheTree() throws {
        let root = TestServer.repository
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let layout = try #require(
            readme.components(separatedBy: "## What is here").dropFirst().first?.components(separatedBy: "\n## ").first)
        let named = Set(
            layout.split(separator: "\n").filter { $0.hasPrefix("| `") }.flatMap { row in
                row.split(separator: "|")[0].split(separator: "`").enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
            })
        func folders(_ path: String) throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(path).path).sorted()
                .filter { name in
                    var directory: ObjCBool = false
                    return FileManager.default.fileExists(
                        atPath: root.appendingPathComponent("\(path)/\(name)").path, isDirectory: &directory)
                        && directory.boolValue
                }
        }
        var expected = try folders("Sources").filter { $0 != "Service" }.map { "Sources/\($0)" }
        expected += try folders("Sources/Service").filter { $0 != "HTTP" }.map { "Sources/Service/\($0)" }
        expected += try folders("Sources/Service/HTTP").map { "Sources/Service/HTTP/\($0)" }
        expected += try folders("Tests").map { "Tests/\($0)" }
        expected += try folders("sql").map { "sql/\($0)" }
        for folder in expected {
            let leaf = folder.split(separator: "/").last.map(String.init) ?? folder
            #expect(
                named.contains(folder) || named.contains(folder + "/") || named.contains(leaf), "README's layout does not name \(folder)")
        }
        for path in named where path.contains("/") && !path.contains(" ") {
            #expect(
                FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path),
                "README's layout names \(path), which is not in the tree")
        }
    }

    /// The DOM once the page's scripts have run: chromium headless, with a virtual time budget
    /// that lets the document's fetch and the rendering finish.
    static func renderedPage(_ url: String) async throws -> String {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: profile) }
        let chromium = Process()
        chromium.executableURL = URL(fileURLWithPath: "/usr/bin/chromium")
        chromium.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--user-data-dir=\(profile.path)", "--virtual-time-budget=20000", "--dump-dom", url,
        ]
        let output = Pipe()
        chromium.standardOutput = output
        chromium.standardError = FileHandle.nullDevice
        try chromium.run()
        // Read while it runs: a full pipe would stall it.
        let dom = try await Task.detached { try output.fileHandleForReading.readToEnd() ?? Data() }.value
        chromium.waitUntilExit()
        #expect(chromium.terminationStatus == 0)
        return String(decoding: dom, as: UTF8.self)
    }
}
