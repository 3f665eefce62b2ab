import Foundation
import Service
import Synchronization
import Testing

/// No way in through a webhook URL (server-side request forgery): what may be registered, and
/// which addresses a delivery may connect to.
@Suite("Webhook URLs: no way in")
struct WebhookURLPolicyTests {
    static let inside = [
        "127.0.0.1", "127.255.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1",
        "100.127.255.254", "0.0.0.0", "0.1.2.3", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255", "192.0.0.8",
        "198.18.0.1", "::1", "::", "fe80::1", "febf::1", "fec0::1", "fc00::1", "fd12:3456::1", "ff02::1", "100::1",
        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1", "64:ff9b::a00:1", "2002:7f00:1::1",
        "2002:c0a8:101::1",
    ]
    static let outside = ["93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:2800:220:1:248:1893:25c8:1946", "::ffff:8.8.8.8"]

    @Test func everyAddressThatLeadsInsideIsRefusedAndThePublicOnesAreNot() throws {
        let policy = WebhookURLPolicy()
        for text in Self.inside {
            let address = try #require(IPAddress(text), "\(text)")
            #expect(!policy.isAllowed(address), "\(text) is inside")
        }
        for text in Self.outside {
            #expect(policy.isAllowed(try #require(IPAddress(text))), "\(text) is outside")
        }
    }

    @Test func theOperatorMayAllowChosenNetworksOnly() throws {
        let policy = WebhookURLPolicy(allowedNetworks: [try #require(IPNetwork("127.0.0.0/8")), try #require(IPNetwork("fd00::/8"))])
        for allowed in ["127.0.0.1", "::ffff:127.0.0.1", "fd12::1"] {
            #expect(policy.isAllowed(try #require(IPAddress(allowed))), "\(allowed)")
        }
        for refused in ["10.0.0.1", "169.254.169.254", "::1", "fc00::1"] {
            #expect(!policy.isAllowed(try #require(IPAddress(refused))), "\(refused)")
        }
        #expect(IPNetwork("10.0.0.0/33") == nil)
        #expect(IPNetwork("nonsense") == nil)
        #expect(IPNetwork("10.1.2.3")?.prefixLength == 32)
    }

    @Test func urlSyntax() {
        let strict = WebhookURLPolicy()
        let development = WebhookURLPolicy(allowHTTP: true)
        #expect((try? strict.parse("https://hooks.example.com/contacts?x=1"))?.host == "hooks.example.com")
        #expect((try? strict.parse("https://[2606:2800:220:1::1]:8443/"))?.host == "2606:2800:220:1::1")
        #expect((try? strict.parse("HTTPS://Hooks.Example.com/"))?.host == "hooks.example.com")
        for refused in [
            "http://hooks.example.com/", "ftp://hooks.example.com/", "https://user:pass@hooks.example.com/",
            "https://user@hooks.example.com/",
            "https://hooks.example.com@127.0.0.1/", "hooks.example.com/path", "https:///path", "https://exa mple.com/",
            "https://example.com/\u{0}",
            "https://example.com/#fragment", "https://example.com:0/", "https://example.com:70000/", "/relative",
            "https://example.com/" + String(repeating: "a", count: 2048),
        ] {
            #expect(throws: WebhookURLPolicy.Refusal.self, "\(refused)") { try strict.parse(refused) }
        }
        #expect((try? development.parse("http://127.0.0.1:8080/hooks"))?.host == "127.0.0.1")
    }

    /// A resolver's answer is what is checked: a name that resolves inside is refused, one that
    /// does not resolve is refused too.
    @Test func aHostIsCheckedByWhatItResolvesTo() async throws {
        let policy = WebhookURLPolicy(
            resolver: FixedResolver(["inside.example": ["203.0.113.7", "10.0.0.5"], "outside.example": ["93.184.216.34"]]))
        await #expect(throws: WebhookURLPolicy.Refusal.blockedAddress(host: "inside.example", address: "10.0.0.5")) {
            try await policy.allowedAddresses(of: "inside.example")
        }
        #expect(try await policy.allowedAddresses(of: "outside.example") == [IPAddress("93.184.216.34")!])
        await #expect(throws: WebhookURLPolicy.Refusal.unresolvable("nowhere.example")) {
            try await policy.allowedAddresses(of: "nowhere.example")
        }
        // The system's resolver: localhost is loopback.
        await #expect(throws: WebhookURLPolicy.Refusal.self) { try await WebhookURLPolicy().allowedAddresses(of: "localhost") }
    }
}

/// A resolver with set answers, which a test may change between registration and delivery.
final class FixedResolver: HostResolver {
    private let answers: Mutex<[String: [String]]>

    init(_ answers: [String: [String]]) { self.answers = Mutex(answers) }

    func answer(_ host: String, _ addresses: [String]) {
        answers.withLock { $0[host] = addresses }
    }

    func addresses(of host: String) async throws -> [IPAddress] {
        let found = answers.withLock { $0[host] }
        guard let found else { throw HostResolutionError(host: host, reason: "unknown") }
        return found.compactMap(IPAddress.init)
    }
}
