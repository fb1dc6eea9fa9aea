public import AsyncHTTPClient
import Crypto
import Foundation
public import Logging
import NIOCore
import NIOHTTP1
public import PostgresNIO
public import ServiceLifecycle

/// Where and how the app's notifications go (docs/app-webhook.md, docs/configuration.md).
public struct AppCallbackSettings: Sendable {
    /// MAILBOX_APP_CALLBACK_URL.
    public var url: String
    /// MAILBOX_APP_CALLBACK_SECRET (default: the inbound webhook secret).
    public var secret: String
    /// Per-request timeout.
    public var timeout: Duration
    /// A delivery is dead after this many failed attempts (an admin can redeliver it).
    public var maxAttempts: Int
    /// Backoff: base · 2^(attempt − 1), at most `maxDelay`, times a random factor in [0.5, 1].
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// Deliveries claimed per round; sent concurrently.
    public var batchSize: Int
    /// How long to wait when nothing is due.
    public var pollInterval: Duration
    /// How long a claimed delivery stays invisible to other senders: twice the timeout plus 30 s
    /// unless set (it must outlive `timeout`; after a crash the delivery is retried when it runs out).
    public var lease: Duration {
        get { leaseOverride ?? timeout * 2 + .seconds(30) }
        set { leaseOverride = newValue }
    }
    var leaseOverride: Duration?

    public init(url: String, secret: String, timeout: Duration = .seconds(10), maxAttempts: Int = 10,
                baseDelay: Duration = .seconds(5), maxDelay: Duration = .seconds(3600), batchSize: Int = 100,
                pollInterval: Duration = .seconds(1), lease: Duration? = nil) {
        self.url = url
        self.secret = secret
        self.timeout = timeout
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.batchSize = batchSize
        self.pollInterval = pollInterval
        leaseOverride = lease
    }

    /// The wait before the next attempt after `attempts` failures, with jitter.
    public func backoff(afterAttempts attempts: Int, jitter: Double = Double.random(in: 0.5...1)) -> Duration {
        let exponent = min(max(attempts - 1, 0), 30)
        let seconds = min(baseDelay.seconds * pow(2, Double(exponent)), maxDelay.seconds)
        return .milliseconds(Int64(seconds * jitter * 1000))
    }
}

/// Signs a callback like the inbound webhook: `X-Mailbox-Signature: sha256=<hex HMAC-SHA256(secret,
/// timestamp + "." + body)>`.
public enum CallbackSignature {
    public static func sign(secret: String, timestamp: String, body: [UInt8]) -> String {
        var message = Array(timestamp.utf8)
        message.append(UInt8(ascii: "."))
        message += body
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }
}

/// 消息推送: delivers the app's outbox (`app_deliveries`, filled by a trigger in the same
/// transaction as each public change) by signed POSTs. Rows are claimed with a lease under
/// `FOR UPDATE SKIP LOCKED`, so several instances never send one delivery at once; a letter's
/// deliveries go out in order (a later one waits while an earlier one is pending); failures back
/// off exponentially with jitter until `maxAttempts`, then the row is dead until redelivered.
public struct AppDeliverySender: Service {
    let client: PostgresClient
    let http: HTTPClient
    let settings: AppCallbackSettings
    let logger: Logger

    public init(client: PostgresClient, http: HTTPClient = .shared, settings: AppCallbackSettings, logger: Logger) {
        self.client = client
        self.http = http
        self.settings = settings
        self.logger = logger
    }

    public func run() async throws {
        logger.info("app delivery started", metadata: ["url": "\(settings.url)"])
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            var sent = 0
            do {
                sent = try await deliverDue()
            } catch {
                logger.error("app delivery round failed", metadata: ["error": "\(String(reflecting: error))"])
            }
            if sent == 0 {
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: settings.pollInterval) }
            }
        }
    }

    struct Claimed: Sendable {
        var id: Int64
        var deliveryID: UUID
        var payload: String
        var attempts: Int
    }

    /// One round: claims what is due and sends it. Returns how many were attempted.
    @discardableResult
    public func deliverDue() async throws -> Int {
        // The lease outlives the request timeout, so a slow send is never claimed twice.
        let lease = settings.lease.seconds
        var claimed: [Claimed] = []
        let rows = try await client.query(
            """
            UPDATE app_deliveries SET locked_until = now() + make_interval(secs => \(lease)), attempts = attempts + 1
            WHERE id IN (
                SELECT o.id FROM app_deliveries o
                WHERE o.state = 'pending' AND o.next_attempt_at <= now()
                  AND (o.locked_until IS NULL OR o.locked_until < now())
                  AND NOT EXISTS (SELECT 1 FROM app_deliveries e
                                  WHERE e.letter_id = o.letter_id AND e.state = 'pending' AND e.id < o.id)
                ORDER BY o.next_attempt_at, o.id
                LIMIT \(Int32(settings.batchSize))
                FOR UPDATE SKIP LOCKED)
            RETURNING id, delivery_id, payload, attempts
            """, logger: logger)
        for try await (id, did, payload, attempts) in rows.decode((Int64, UUID, String, Int32).self) {
            claimed.append(Claimed(id: id, deliveryID: did, payload: payload, attempts: Int(attempts)))
        }
        guard !claimed.isEmpty else { return 0 }
        let outcomes = await withTaskGroup(of: Outcome.self) { group in
            for c in claimed {
                group.addTask { await self.send(c) }
            }
            return await group.reduce(into: [Outcome]()) { $0.append($1) }
        }
        do {
            try await record(outcomes)
        } catch {
            // The leases run out and another round retries; the receiver deduplicates on the id.
            logger.error("app delivery state not saved", metadata: ["error": "\(String(reflecting: error))"])
        }
        return claimed.count
    }

    /// What one attempt came to.
    struct Outcome: Sendable {
        var claimed: Claimed
        var status: Int?
        /// nil: delivered.
        var failure: String?
    }

    func send(_ c: Claimed) async -> Outcome {
        let body = Array(c.payload.utf8)
        let timestamp = String(Int(Date().timeIntervalSince1970))
        var request = HTTPClientRequest(url: settings.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        request.headers.add(name: "User-Agent", value: "district-mailbox")
        request.headers.add(name: "X-Mailbox-Timestamp", value: timestamp)
        request.headers.add(name: "X-Mailbox-Signature", value: CallbackSignature.sign(secret: settings.secret, timestamp: timestamp, body: body))
        request.headers.add(name: "X-Mailbox-Delivery", value: c.deliveryID.uuidString.lowercased())
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let t = settings.timeout.components
            let response = try await http.execute(request, timeout: .nanoseconds(t.seconds * 1_000_000_000 + t.attoseconds / 1_000_000_000))
            let status = Int(response.status.code)
            _ = try? await response.body.collect(upTo: 64 * 1024)
            return Outcome(claimed: c, status: status, failure: (200..<300).contains(status) ? nil : "HTTP \(status)")
        } catch {
            return Outcome(claimed: c, status: nil,
                           failure: String(describing: type(of: error)) + ": " + String(String(reflecting: error).prefix(300)))
        }
    }

    /// Writes a round's outcomes in two statements (not one commit per delivery).
    func record(_ outcomes: [Outcome]) async throws {
        let delivered = outcomes.filter { $0.failure == nil }
        if !delivered.isEmpty {
            try await client.query(
                """
                UPDATE app_deliveries o SET state = 'delivered', delivered_at = now(), locked_until = NULL,
                    last_status = u.status, last_error = NULL
                FROM unnest(\(delivered.map(\.claimed.id))::int8[], \(delivered.map { Int32($0.status ?? 0) })::int4[]) AS u(id, status)
                WHERE o.id = u.id AND o.state = 'pending'
                """, logger: logger)
        }
        let failed = outcomes.filter { $0.failure != nil }
        guard !failed.isEmpty else { return }
        let dead = failed.map { $0.claimed.attempts >= settings.maxAttempts }
        try await client.query(
            """
            UPDATE app_deliveries o SET state = CASE WHEN u.dead THEN 'dead' ELSE 'pending' END,
                next_attempt_at = now() + make_interval(secs => u.wait), locked_until = NULL,
                last_status = nullif(u.status, -1), last_error = u.error
            FROM unnest(\(failed.map(\.claimed.id))::int8[], \(dead)::bool[],
                        \(failed.map { settings.backoff(afterAttempts: $0.claimed.attempts).seconds })::float8[],
                        \(failed.map { Int32($0.status ?? -1) })::int4[], \(failed.map { $0.failure! })::text[])
                 AS u(id, dead, wait, status, error)
            WHERE o.id = u.id AND o.state = 'pending'
            """, logger: logger)
        for (f, isDead) in zip(failed, dead) {
            logger.warning("app delivery failed", metadata: [
                "delivery": "\(f.claimed.deliveryID)", "attempt": "\(f.claimed.attempts)", "error": "\(f.failure!)", "dead": "\(isDead)",
            ])
        }
    }
}

extension Duration {
    /// The duration in seconds, fractions included.
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
