/// The contract as machines read it: `openapi.json` beside this file is the single source (client
/// generators, gateways and Schemathesis read it), compiled in as bytes.
///
/// The file states the default limits; ``served(by:)`` writes this instance's configured ones into
/// it, so the document a client fetches is true of the server that answers. Tests compare the
/// file's other limits with the Swift constants that enforce them.
public enum OpenAPIDocument {
    /// The file, as written.
    public static var file: [UInt8] { PackageResources.openapi_json }

    /// The file with `configuration`'s body limits, rate limit and long-poll bound in place of the defaults.
    public static func served(by configuration: ServiceConfiguration) -> [UInt8] {
        var replacements: [(path: [String], value: String)] = []
        for (path, limit) in bodyLimits(configuration) {
            replacements.append((["paths", path, "post", "requestBody", "x-maximum-bytes"], String(limit)))
        }
        let rate = configuration.rateLimit
        replacements.append((["info", "x-rate-limit", "requests-per-second"], jsonNumber(rate.rate)))
        replacements.append((["info", "x-rate-limit", "burst"], rate.rate > 0 ? jsonNumber(rate.burst) : "0"))
        replacements.append(
            (["components", "parameters", "ChangesWait", "schema", "maximum"], jsonNumber(configuration.changesMaxWait.inSeconds)))
        replacements.append(
            (
                ["components", "schemas", "WebhookList", "properties", "data", "maxItems"],
                String(configuration.webhooks.maximumPerWorkspace)
            ))
        return replacing(replacements, in: file)
    }

    /// `100`, not `100.0`, for whole figures.
    static func jsonNumber(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }

    /// Each documented body's limit on this instance: create-contacts has its own.
    static func bodyLimits(_ configuration: ServiceConfiguration) -> [(path: String, limit: Int)] {
        [
            ("/api/v1/actions/create-contact", configuration.bodyLimit),
            ("/v1/actions/create-contact", configuration.bodyLimit),
            ("/api/v1/actions/update-contact", configuration.bodyLimit),
            ("/api/v1/actions/delete-contact", configuration.bodyLimit),
            ("/api/v1/actions/create-contacts", configuration.batchBodyLimit),
            ("/api/v1/imports", configuration.imports.bodyLimit),
            ("/api/v1/webhooks", configuration.bodyLimit),
        ]
    }

    /// Splices each value's JSON text in place of the member at its path, leaving every other byte
    /// of the file (its layout, its member order) as written. A path the file lacks is a
    /// programming error: the file and this code must agree.
    static func replacing(_ replacements: [(path: [String], value: String)], in bytes: [UInt8]) -> [UInt8] {
        let document: JSONValue
        do { document = try JSONParser.parse(bytes) } catch { preconditionFailure("openapi.json does not parse: \(error)") }
        let ranges = replacements.map { replacement in
            var value = document
            var range: Range<Int>?
            for key in replacement.path {
                guard let member = value[key] else { preconditionFailure("openapi.json has no \(replacement.path)") }
                value = member.value
                range = member.rawRange
            }
            return (range: range!, text: Array(replacement.value.utf8))
        }
        var output = bytes
        for (range, text) in ranges.sorted(by: { $0.range.lowerBound > $1.range.lowerBound }) {
            output.replaceSubrange(range, with: text)
        }
        return output
    }
}
