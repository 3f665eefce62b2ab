/// How this instance delivers webhooks.
public struct WebhookConfiguration: Sendable {
    /// What URLs may be registered and where deliveries may connect (SSRF), and the resolver.
    public var policy = WebhookURLPolicy()
    /// A delivery that has no 2xx answer by then failed (API.md: 15 s). Its lease lasts 10 s
    /// longer, so another instance retries a delivery whose instance died.
    public var timeout: Duration = .seconds(15)
    /// Endpoints one workspace may have at once (API.md: 10).
    public var maximumPerWorkspace = 10
    /// Deliveries in flight at once on this instance (0: it delivers none; others do).
    public var senders = 16
    /// Deliveries to one endpoint in flight at once, over all instances' claims: a slow receiver
    /// holds its share of the senders, never all of them.
    public var perEndpoint = 2
    /// How often an instance looks for changes committed elsewhere and for due retries: the one
    /// periodic scan (changes committed here wake it at once).
    public var scanInterval: Duration = .seconds(1)
    /// The wait after each failed attempt (API.md: about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and
    /// 10 h, each ±10 %); after the last, the delivery has failed.
    public var retryDelays: [Duration] = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000].map { .seconds($0) }

    public init() {}

    var lease: Duration { timeout + .seconds(10) }
}
