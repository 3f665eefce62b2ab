import AsyncHTTPClient
public import FoundationEssentials
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Sends one delivery attempt: resolves the URL's host, checks every address it resolves to
/// (``WebhookURLPolicy``), and connects to the checked one only: AsyncHTTPClient has no resolver
/// hook, so each (host, address) gets a client of its own whose `dnsOverride` names that address,
/// which keeps TLS checking the certificate against the URL's host. Redirects are not followed.
final class WebhookSender: Sendable {
    let policy: WebhookURLPolicy
    let timeout: Duration
    private let clients = Mutex<[String: HTTPClient]>([:])
    /// Clients kept for reuse (their connection pools); a delivery to a host and address beyond
    /// them gets a client of its own, shut down after it.
    static let keptClients = 256
    /// Most of an answer's body read (and dropped): only the status matters.
    static let answerBytes = 64 * 1024

    init(policy: WebhookURLPolicy, timeout: Duration) {
        self.policy = policy
        self.timeout = timeout
    }

    struct Outcome: Sendable {
        var statusCode: Int?
        var error: String?
        var succeeded: Bool { statusCode.map { (200..<300).contains($0) } ?? false }
        var gone: Bool { statusCode == 410 }
    }

    func send(url: String, body: [UInt8], headers: [(String, String)]) async -> Outcome {
        let checked: WebhookURLPolicy.Checked
        let address: IPAddress
        do {
            checked = try policy.parse(url)
            guard let first = try await policy.allowedAddresses(of: checked.host).first else {
                return Outcome(error: "the host does not resolve")
            }
            address = first
        } catch {
            return Outcome(error: error.description)
        }
        let (client, shared) = client(host: checked.host, address: address)
        defer { if !shared { client.shutdown { _ in } } }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "contacts-webhooks/1")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(Int64(timeout.inSeconds * 1e9)))
            // The body, up to a bound, so the connection can be reused; what it says is not used.
            _ = try? await response.body.collect(upTo: Self.answerBytes)
            return Outcome(statusCode: Int(response.status.code))
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            return Outcome(error: "no answer within \(Int(timeout.inSeconds)) s")
        } catch {
            return Outcome(error: "\(error)")
        }
    }

    private func client(host: String, address: IPAddress) -> (HTTPClient, shared: Bool) {
        let key = "\(host)|\(address)"
        return clients.withLock { clients in
            if let client = clients[key] { return (client, true) }
            var configuration = HTTPClient.Configuration(
                redirectConfiguration: .disallow,
                timeout: .init(connect: .seconds(5), read: .nanoseconds(Int64(timeout.inSeconds * 1e9))))
            configuration.dnsOverride = [host: address.description]
            configuration.connectionPool = .init(idleTimeout: .seconds(60))
            let client = HTTPClient(eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton), configuration: configuration)
            guard clients.count < Self.keptClients else { return (client, false) }
            clients[key] = client
            return (client, true)
        }
    }

    func shutdown() async {
        let all = clients.withLock { clients in
            defer { clients = [:] }
            return Array(clients.values)
        }
        for client in all { try? await client.shutdown() }
    }
}
