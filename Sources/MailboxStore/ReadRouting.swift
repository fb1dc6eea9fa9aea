public import Foundation
public import Logging
import Metrics
public import PostgresNIO
import Synchronization

/// Reads that may come from a streaming replica (`DATABASE_REPLICA_URL`): reports and work lists. A monitor
/// (``checkOnce()``, every second in the service) compares the replica's replayed WAL position with the primary's
/// recent positions; while the replica has replayed everything the primary had written `maxStaleness` ago, reads go
/// to it, otherwise (lagging, down, unreachable) to the primary. Staleness bound: a read from the replica sees
/// every change committed on the primary at least `maxStaleness` + one check interval earlier (docs/operations.md,
/// "Read replica").
public final class ReadRouting: Sendable {
    public let primary: PostgresClient
    public let replica: PostgresClient
    public let maxStaleness: Duration
    let logger: Logger

    private struct State {
        var fresh = false
        /// (when, primary WAL position in bytes), newest last, about `maxStaleness` + a few seconds of history.
        var primaryPositions: [(ContinuousClock.Instant, Double)] = []
    }
    private let state = Mutex(State())

    public init(primary: PostgresClient, replica: PostgresClient, maxStaleness: Duration = .seconds(5), logger: Logger) {
        self.primary = primary
        self.replica = replica
        self.maxStaleness = maxStaleness
        self.logger = logger
    }

    /// Whether reads go to the replica now.
    public var isFresh: Bool { state.withLock { $0.fresh } }

    /// The client reads use now.
    public var client: PostgresClient { isFresh ? replica : primary }

    /// Runs a read on the replica when it is fresh, else on the primary. A replica read that fails for want of the
    /// replica, that is still waiting when the monitor finds the replica stale (checked every 100 ms), or that takes
    /// longer than `replicaDeadline` is cancelled and repeated on the primary.
    public static func read<T: Sendable>(_ routing: ReadRouting?, primary: PostgresClient,
                                         _ body: (PostgresClient) async throws -> T) async throws -> T {
        guard let routing, routing.isFresh else { return try await body(primary) }
        do {
            let value = try await runUnlessAbandoned(deadline: routing.replicaDeadline, abandon: { !routing.isFresh }) {
                try await body(routing.replica)
            }
            if let value {
                Counter(label: "mailbox_replica_reads_total").increment()
                return value
            }
            routing.markStale(because: "a read on the replica did not finish in time")
        } catch where StoreError.isUnavailable(error) || error is CancellationError {
            routing.markStale(because: StoreError.describe(error))
        }
        return try await body(primary)
    }

    /// The longest a read waits for the replica before it goes to the primary.
    public var replicaDeadline: Duration { maxStaleness }

    func markStale(because why: String) {
        let changed = state.withLock { s in
            defer { s.fresh = false }
            return s.fresh
        }
        if changed { logger.warning("read replica left: reads go to the primary", metadata: ["why": "\(why)"]) }
    }

    /// One check: the primary's WAL position now, and how far the replica has replayed.
    public func checkOnce() async {
        let now = ContinuousClock.now
        do {
            let p = try await StoreError.withDeadline(.seconds(1), "primary WAL position") { [primary, logger] in
                var lsn = 0.0
                for try await v in try await primary.query(
                    "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::float8", logger: logger).decode(Double.self) { lsn = v }
                return lsn
            }
            state.withLock { s in
                s.primaryPositions.append((now, p))
                let keep = maxStaleness + .seconds(5)
                s.primaryPositions.removeAll { now - $0.0 > keep }
            }
        } catch {
            return  // the primary's own trouble is the probe's to report
        }
        do {
            let replayed = try await StoreError.withDeadline(.seconds(1), "replica replay position") { [replica, logger] in
                var lsn: Double? = nil
                for try await v in try await replica.query(
                    "SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::float8", logger: logger).decode(Double?.self) { lsn = v }
                return lsn
            }
            guard let replayed else { throw StoreError.unavailable("DATABASE_REPLICA_URL is not a standby (no replay position)") }
            let (fresh, staleness, changed) = state.withLock { s -> (Bool, Double, Bool) in
                // The newest primary position the replica has reached: everything committed before it is visible.
                let reached = s.primaryPositions.last { $0.1 <= replayed }
                let staleness = reached.map { Self.seconds(now - $0.0) } ?? .infinity
                let fresh = staleness <= Self.seconds(maxStaleness)
                let changed = fresh != s.fresh
                s.fresh = fresh
                return (fresh, staleness, changed)
            }
            Gauge(label: "mailbox_replica_staleness_seconds").record(staleness.isFinite ? staleness : -1)
            if changed {
                if fresh {
                    logger.notice("read replica in use for reports and work lists", metadata: ["staleness_s": "\(staleness)"])
                } else {
                    logger.warning("read replica behind: reads go to the primary", metadata: ["staleness_s": "\(staleness)"])
                }
            }
        } catch {
            Gauge(label: "mailbox_replica_staleness_seconds").record(-1)
            markStale(because: StoreError.describe(error))
        }
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
