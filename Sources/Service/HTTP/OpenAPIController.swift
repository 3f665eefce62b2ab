public import Hummingbird

/// `GET /api/v1/openapi.json`.
public struct OpenAPIController: Sendable {
    public init() {}

    public func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        let bytes = Array(OpenAPIDocument.json.utf8)
        router.get("/api/v1/openapi.json") { _, _ in JSONResponse.make(status: .ok, bytes: bytes) }
    }
}
