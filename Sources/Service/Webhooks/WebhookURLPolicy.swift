public import FoundationEssentials

/// What a webhook URL may be and where it may lead (API.md "Webhooks"): no way in to the
/// service's own network through a URL a client chose (server-side request forgery).
///
/// `https` only (plain `http` only when the operator allows it, for development), no user info,
/// at most 2,048 characters; and every address the host resolves to outside the loopback,
/// private, link-local, shared, multicast, reserved and unspecified ranges, IPv4 and IPv6, an IPv6
/// address that carries an IPv4 one checked as that, unless the operator allows its network.
/// Checked when the endpoint is registered and again on the address each delivery connects to,
/// so a DNS answer that changes in between cannot reach inside.
public struct WebhookURLPolicy: Sendable {
    public var allowHTTP = false
    public var allowedNetworks: [IPNetwork] = []
    public var resolver: any HostResolver = SystemResolver()

    public init(allowHTTP: Bool = false, allowedNetworks: [IPNetwork] = [], resolver: any HostResolver = SystemResolver()) {
        self.allowHTTP = allowHTTP
        self.allowedNetworks = allowedNetworks
        self.resolver = resolver
    }

    public static let maximumLength = 2048

    /// Where no webhook may lead. IPv4: "this network", private (RFC 1918), shared (RFC 6598),
    /// loopback, link-local, IETF protocol assignments, benchmarking, multicast, reserved and
    /// broadcast. IPv6: unspecified, loopback, discard-only, unique local (private), link-local,
    /// site-local (deprecated private), multicast.
    public static let blockedNetworks: [IPNetwork] = [
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
        "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4",
        "::/128", "::1/128", "100::/64", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
    ].map { IPNetwork($0)! }

    /// A URL that may be registered, or why not (the text of a 422).
    public struct Checked: Sendable {
        public var url: String
        public var host: String
    }

    public enum Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        case malformed(String)
        case unresolvable(String)
        case blockedAddress(host: String, address: String)

        public var description: String {
            switch self {
            case .malformed(let reason): return reason
            case .unresolvable(let host): return "the host \(host) does not resolve"
            case .blockedAddress(let host, let address):
                return
                    "the host \(host) resolves to \(address), a loopback, private, link-local, shared, multicast, reserved or unspecified address"
            }
        }
    }

    /// The URL's syntax: scheme, user info, host, length. No network access.
    public func parse(_ text: String) throws(Refusal) -> Checked {
        guard text.utf8.count <= Self.maximumLength else { throw .malformed("url must be at most \(Self.maximumLength) characters") }
        guard !text.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value > 0x7e }),
            let components = URLComponents(string: text), let scheme = components.scheme?.lowercased()
        else { throw .malformed("url must be an absolute https URL") }
        guard scheme == "https" || (scheme == "http" && allowHTTP) else {
            throw .malformed(allowHTTP ? "url must be an http or https URL" : "url must be an https URL")
        }
        guard components.user == nil, components.password == nil, !text.contains("@") else {
            throw .malformed("url must not hold user info")
        }
        guard var host = components.host, !host.isEmpty else { throw .malformed("url must name a host") }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard components.fragment == nil else { throw .malformed("url must not hold a fragment") }
        if let port = components.port, !(1...65535).contains(port) { throw .malformed("url's port must be from 1 to 65535") }
        return Checked(url: text, host: host.lowercased())
    }

    /// The addresses `host` resolves to, each allowed; throws at the first that is not.
    public func allowedAddresses(of host: String) async throws(Refusal) -> [IPAddress] {
        let addresses: [IPAddress]
        do { addresses = try await resolver.addresses(of: host) } catch { throw .unresolvable(host) }
        guard !addresses.isEmpty else { throw .unresolvable(host) }
        for address in addresses where !isAllowed(address) {
            throw .blockedAddress(host: host, address: address.description)
        }
        return addresses
    }

    /// Whether a delivery may connect to `address`.
    public func isAllowed(_ address: IPAddress) -> Bool {
        if allowedNetworks.contains(where: { $0.contains(address) }) { return true }
        if Self.blockedNetworks.contains(where: { $0.contains(address) }) { return false }
        if let inner = address.embeddedIPv4 { return isAllowed(inner) }
        return true
    }
}
