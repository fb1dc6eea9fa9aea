import Foundation

/// A rate: at most `requests` per `seconds`, refilled continuously (a token bucket of `requests` tokens).
/// Text form `N/S` (e.g. `30/600`: 30 per 10 minutes); `0` or `off` disables.
public struct RateLimit: Sendable, Hashable, CustomStringConvertible {
    public var requests: Int
    public var seconds: Double

    public init(requests: Int, seconds: Double) {
        precondition(requests > 0 && seconds > 0, "a rate limit allows some requests per some time")
        self.requests = requests
        self.seconds = seconds
    }

    /// Parses `N/S`; nil for `0`, `off` or an empty string (no limit). Throws on anything else.
    public static func parse(_ text: String) throws(RateLimitParseError) -> RateLimit? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.isEmpty || t == "0" || t == "off" { return nil }
        let parts = t.split(separator: "/")
        guard parts.count == 2, let n = Int(parts[0]), let s = Double(parts[1]), n > 0, s > 0, s.isFinite else {
            throw RateLimitParseError(text: text)
        }
        return RateLimit(requests: n, seconds: s)
    }

    public var description: String { "\(requests)/\(seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds))" }
}

public struct RateLimitParseError: Error, CustomStringConvertible {
    public var text: String
    public var description: String { "not a rate limit: \"\(text)\" (use N/S, e.g. 30/600, or 0 for none)" }
}

/// One client's bucket under a ``RateLimit``. Pure: the caller passes the time.
public struct TokenBucket: Sendable, Hashable {
    public private(set) var tokens: Double
    public private(set) var updated: Double

    /// A full bucket at time `now` (seconds on any monotonic scale).
    public init(limit: RateLimit, now: Double) {
        tokens = Double(limit.requests)
        updated = now
    }

    /// Takes one token: nil when allowed, else the seconds until one is available (for `Retry-After`).
    public mutating func take(limit: RateLimit, now: Double) -> Double? {
        refill(limit: limit, now: now)
        if tokens >= 1 {
            tokens -= 1
            return nil
        }
        return (1 - tokens) * limit.seconds / Double(limit.requests)
    }

    /// True when the bucket is full again at `now` (its entry can be forgotten).
    public func isFull(limit: RateLimit, now: Double) -> Bool {
        tokens + max(0, now - updated) * Double(limit.requests) / limit.seconds >= Double(limit.requests)
    }

    mutating func refill(limit: RateLimit, now: Double) {
        let rate = Double(limit.requests) / limit.seconds
        tokens = min(Double(limit.requests), tokens + max(0, now - updated) * rate)
        updated = max(updated, now)
    }
}
