public import Foundation
public import Hummingbird
import HTTPTypes
import Logging
import MailboxStore
import Metrics
import Synchronization

/// Whether PostgreSQL answers, as the last probe found (docs/operations.md, "Fail fast"). A prober in the service
/// (`DatabaseProbe` in the executable) sets it every `MAILBOX_DB_PROBE_MS`; `/readyz` reports it and
/// ``DatabaseDeadlineMiddleware`` answers 503 from it instead of letting requests wait for a connection the pool
/// cannot make. It starts reachable: a process that has no prober (tests) never refuses for it.
public final class DatabaseAvailability: Sendable {
    private let reachable = Mutex(true)
    /// Seconds a client is told to wait (`Retry-After`) while the database is unreachable.
    public let retryAfterSeconds: Int

    public init(retryAfterSeconds: Int = 5) {
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var isReachable: Bool { reachable.withLock { $0 } }

    /// Records a probe's outcome; returns true when it changed the state.
    @discardableResult
    public func record(reachable: Bool) -> Bool {
        self.reachable.withLock { r in
            guard r != reachable else { return false }
            r = reachable
            Gauge(label: "mailbox_database_reachable").record(reachable ? 1 : 0)
            return true
        }
    }

    /// The answer to a request that needs the database while it is unreachable.
    public func unavailable() -> Problem { .databaseUnavailable(retryAfterSeconds: retryAfterSeconds) }
}

/// Answers 503 problem+json with `Retry-After` instead of hanging while PostgreSQL is unreachable: at once when the
/// last probe failed, and for a request already waiting, as soon as a probe fails (checked every 100 ms). The
/// handler is then cancelled: a wait for a pooled connection ends at once, a running statement is cancelled (its
/// transaction rolls back), and intake's shared batches have their own deadline (`IntakeBatcher`). Paths that never
/// touch the database pass through.
public struct DatabaseDeadlineMiddleware<Context: RequestContext>: RouterMiddleware {
    let availability: DatabaseAvailability
    static var exempt: Set<String> { ["/healthz", "/readyz", "/metrics", "/openapi.yaml"] }

    public init(availability: DatabaseAvailability) {
        self.availability = availability
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.exempt.contains(request.uri.path) { return try await next(request, context) }
        guard availability.isReachable else { throw availability.unavailable() }
        let availability = availability
        guard let response = try await runUnlessAbandoned(abandon: { !availability.isReachable }, {
            try await next(request, context)
        }) else {
            Counter(label: "mailbox_requests_abandoned_total").increment()
            throw availability.unavailable()
        }
        return response
    }
}
