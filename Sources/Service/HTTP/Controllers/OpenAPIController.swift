public import Hummingbird

/// `GET /api/v1/openapi.json`: the contract file, with this instance's limits.
public struct OpenAPIController: Sendable {
    let document: [UInt8]

    public init(configuration: ServiceConfiguration) {
        document = OpenAPIDocument.served(by: configuration)
    }

    public func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        let document = self.document
        router.get("/api/v1/openapi.json") { _, _ in JSONResponse.make(status: .ok, bytes: document) }
    }
}
