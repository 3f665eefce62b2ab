import Foundation
import TestSupport
import Testing

/// The tests' webhook receiver (Tests/Webhooks/receiver.py), a process of its own: it verifies
/// every delivery with the Standard Webhooks reference library against the secrets it is given,
/// and logs what it got.
final class WebhookReceiver: @unchecked Sendable {
    let process = Process()
    let directory: URL
    private(set) var port = 0

    var url: String { "http://127.0.0.1:\(port)/hooks" }
    private var log: URL { directory.appendingPathComponent("log") }

    init() async throws {
        directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("receiver-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [
            "-c", "exec \"$(\(root.path)/scripts/install-webhook-receiver.sh)\" \(root.path)/Tests/Webhooks/receiver.py \"$@\"", "receiver",
            log.path, directory.appendingPathComponent("secrets").path, directory.appendingPathComponent("behaviour").path,
        ]
        try process.run()
        let portFile = directory.appendingPathComponent("log.port")
        var bound: Int?
        guard
            try await eventually(
                within: .seconds(30),
                {
                    bound = (try? String(contentsOf: portFile, encoding: .utf8)).flatMap { Int($0) }
                    return bound != nil
                }),
            let bound
        else { throw CocoaError(.fileReadNoSuchFile) }
        port = bound
    }

    /// The secrets deliveries are verified against, one per line.
    func trust(_ secrets: [String]) throws {
        try secrets.joined(separator: "\n").write(to: directory.appendingPathComponent("secrets"), atomically: true, encoding: .utf8)
    }

    /// How it answers from now on: `200`, `500`, `410` or `hang`.
    func answer(_ behaviour: String) throws {
        try behaviour.write(to: directory.appendingPathComponent("behaviour"), atomically: true, encoding: .utf8)
    }

    /// Every request it got, in order.
    var requests: [[String: Any]] {
        guard let text = try? String(contentsOf: log, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// Waits until `condition` holds of the requests, up to `limit`; the requests then.
    @discardableResult
    func requests(within limit: Duration = .seconds(20), until condition: ([[String: Any]]) -> Bool) async throws -> [[String: Any]] {
        var seen: [[String: Any]] = []
        _ = try await eventually(within: limit) {
            seen = requests
            return condition(seen)
        }
        return seen
    }

    /// SIGKILL: the child may have inherited a mask that blocks SIGTERM.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// A delivery's body, parsed.
func deliveryBody(_ request: [String: Any]) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data((request["body"] as? String ?? "").utf8)) as? [String: Any]) ?? [:]
}
