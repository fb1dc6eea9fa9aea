public import Foundation
public import Hummingbird
import HTTPTypes
import Logging
public import MailboxCore
import Metrics
import Synchronization

/// Limits of the public endpoints (docs/configuration.md, "Abuse limits"). Counted **per instance**, in memory:
/// with N instances behind a balancer a client gets up to N times each limit (documented; the balancer's own
/// limits, e.g. nginx `limit_req`, are the hard cap). nil = no limit.
public struct PublicLimits: Sendable {
    /// `POST /v1/letters` without a staff token (portal intake), per client address.
    public var intake: RateLimit?
    /// `GET /v1/public/letters/{no}` and `/v1/public/replies…`, per client address.
    public var lookup: RateLimit?
    /// `POST /v1/public/letters/{no}/rating`, per client address.
    public var rating: RateLimit?
    /// Wrong query codes per tracking number (whoever sends them): past it the number answers 429.
    public var codeGuesses: RateLimit?
    /// Take the client address from `X-Real-IP` (set by the reverse proxy) instead of the TCP peer.
    public var trustProxy: Bool

    public init(intake: RateLimit? = nil, lookup: RateLimit? = nil, rating: RateLimit? = nil, codeGuesses: RateLimit? = nil,
                trustProxy: Bool = false) {
        self.intake = intake
        self.lookup = lookup
        self.rating = rating
        self.codeGuesses = codeGuesses
        self.trustProxy = trustProxy
    }
}

/// Token buckets by key, in memory. Forgets full buckets when it grows past `maxKeys`.
public final class RateLimiter: Sendable {
    /// Each key's bucket with the limit it is counted under (keys of different endpoints have different limits).
    private let buckets = Mutex<[String: (bucket: TokenBucket, limit: RateLimit)]>([:])
    let maxKeys: Int
    let start = ContinuousClock.now

    public init(maxKeys: Int = 100_000) {
        self.maxKeys = maxKeys
    }

    var now: Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// Takes a token for `key`: nil when allowed, else whole seconds to wait.
    public func take(_ key: String, limit: RateLimit) -> Int? {
        let t = now
        return buckets.withLock { b in
            if b.count >= maxKeys { b = b.filter { !$0.value.bucket.isFull(limit: $0.value.limit, now: t) } }
            var bucket = b[key]?.bucket ?? TokenBucket(limit: limit, now: t)
            let wait = bucket.take(limit: limit, now: t)
            b[key] = (bucket, limit)
            return Self.wholeSeconds(wait)
        }
    }

    /// Whole seconds until `key` has a token again, or nil when it has one now (nothing is taken).
    public func exhausted(_ key: String, limit: RateLimit) -> Int? {
        let t = now
        return buckets.withLock { b in
            guard var bucket = b[key]?.bucket else { return nil }
            return Self.wholeSeconds(bucket.take(limit: limit, now: t))
        }
    }

    /// A wait for `Retry-After`: whole seconds, at least 1.
    static func wholeSeconds(_ wait: Double?) -> Int? { wait.map { max(1, Int($0.rounded(.up))) } }

    static func tooMany(_ what: String, retryAfter: Int) -> Problem {
        Counter(label: "mailbox_rate_limited_total", dimensions: [("endpoint", what)]).increment()
        var p = Problem(.tooManyRequests, type: "rate-limited", title: "Too many requests",
                        detail: "Too many \(what) requests from this client; try again in \(retryAfter) s.")
        p.headers[.retryAfter] = String(retryAfter)
        return p
    }
}

/// The client's address for limits and throttles: the TCP peer, or `X-Real-IP` when the reverse proxy is trusted
/// to set it (`MAILBOX_TRUST_PROXY=1`; deploy/nginx sets it).
func clientAddress(_ request: Request, _ context: AppRequestContext, trustProxy: Bool) -> String {
    if trustProxy, let real = request.headers[HTTPField.Name("X-Real-IP")!], !real.isEmpty, real.count <= 64 { return real }
    return context.remoteAddress?.ipAddress ?? "unknown"
}

/// Applies ``PublicLimits`` per client address to the public intake, lookup and rating endpoints. The signed app
/// webhook is not limited here: it is one trusted backend, authenticated by its signature.
public struct PublicRateLimitMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext
    let limits: PublicLimits
    let limiter: RateLimiter

    public init(limits: PublicLimits, limiter: RateLimiter) {
        self.limits = limits
        self.limiter = limiter
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        let kind: (String, RateLimit?)? =
            if request.method == .post, path == "/v1/letters", request.headers[.authorization] == nil {
                ("intake", limits.intake)
            } else if request.method == .post, path.hasPrefix("/v1/public/letters/"), path.hasSuffix("/rating") {
                ("rating", limits.rating)
            } else if request.method == .get, path.hasPrefix("/v1/public/letters/") || path.hasPrefix("/v1/public/replies") {
                ("lookup", limits.lookup)
            } else {
                nil
            }
        if let (what, limit) = kind, let limit,
           let wait = limiter.take("\(what) \(clientAddress(request, context, trustProxy: limits.trustProxy))", limit: limit)
        {
            throw RateLimiter.tooMany(what, retryAfter: wait)
        }
        return try await next(request, context)
    }
}

/// Headers on every answer (docs/configuration.md, "Abuse limits"): no MIME sniffing, no framing, no referrer, and
/// for everything but the dashboard page (which sets its own) a content security policy that allows nothing.
public struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        if response.headers[HTTPField.Name("X-Frame-Options")!] == nil { response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY" }
        if response.headers[.contentSecurityPolicy] == nil {
            response.headers[.contentSecurityPolicy] = "default-src 'none'; frame-ancestors 'none'"
        }
        return response
    }
}
