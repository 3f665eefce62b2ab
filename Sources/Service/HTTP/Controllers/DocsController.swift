import FoundationEssentials
public import Hummingbird

/// `GET /docs`: the API reference, rendered in the reader's browser by Swagger UI from the served
/// `GET /api/v1/openapi.json` (this instance's limits included). Swagger UI is not ours and not
/// committed: `scripts/install-swagger-ui.sh` fetches the pinned release, checked by its hash, into
/// a folder read once at start (`--docs-directory`). Without it, `/docs` answers 404 saying so.
public struct DocsController: Sendable {
    /// The renderer's files that `/docs` serves, by name, with their content type.
    static let files: [String: String] = [
        "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
        "swagger-ui.css": "text/css; charset=utf-8",
        "favicon-32x32.png": "image/png",
    ]

    /// The files' bytes, read at start; empty when the renderer is not installed.
    let assets: [String: [UInt8]]

    public init(directory: String) {
        var assets: [String: [UInt8]] = [:]
        for name in Self.files.keys {
            if let data = FileManager.default.contents(atPath: directory + "/" + name) { assets[name] = Array(data) }
        }
        self.assets = assets.count == Self.files.count ? assets : [:]
    }

    /// The page: Swagger UI's standard start-up, pointed at the served document. No script from
    /// elsewhere: the policy keeps the page to this origin.
    static let page = Array(
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <meta name="viewport" content="width=device-width, initial-scale=1">
          <title>Contacts API reference</title>
          <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
          <link rel="stylesheet" href="/docs/swagger-ui.css">
        </head>
        <body>
          <div id="swagger-ui"></div>
          <script src="/docs/swagger-ui-bundle.js"></script>
          <script>
            window.ui = SwaggerUIBundle({ url: "/api/v1/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
          </script>
        </body>
        </html>

        """.utf8)

    static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:"

    static let notInstalled = APIError(
        .notFound, code: "not_found",
        message: "The API reference is not installed on this instance (scripts/install-swagger-ui.sh; make run does it).")

    public func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        let assets = self.assets
        router.get("/docs") { _, _ in
            guard !assets.isEmpty else { throw Self.notInstalled }
            return Response(
                status: .ok,
                headers: [.contentType: "text/html; charset=utf-8", .contentSecurityPolicy: Self.contentSecurityPolicy],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: Self.page)))
        }
        router.get("/docs/:file") { _, context in
            guard !assets.isEmpty else { throw Self.notInstalled }
            guard let name = context.parameters.get("file"), let bytes = assets[name], let type = Self.files[name] else {
                throw APIError(.notFound, code: "not_found", message: "No such file of the API reference.")
            }
            return Response(
                status: .ok, headers: [.contentType: type, .cacheControl: "public, max-age=86400"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }
}
