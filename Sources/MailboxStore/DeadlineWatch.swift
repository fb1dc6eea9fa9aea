public import Foundation
public import Logging
public import PostgresNIO

/// The deadline watch (临期预警 / 超期督办): records in each letter's history that its warning
/// time or due time has passed, once per warning/due time. The letter columns
/// `warning_recorded_for` / `overdue_recorded_for` hold the time an event was written for, so
/// a deadline moved by an extension (延期) or a calendar change is watched again, and a
/// deadline already recorded is never recorded twice, whichever instance runs the watch.
public struct DeadlineWatch: Sendable {
    public let client: PostgresClient
    public let logger: Logger
    /// Letters per transaction: bounds lock time and statement size when catching up.
    public let batchSize: Int

    public static let actor = "system:deadline-watch"

    public init(client: PostgresClient, logger: Logger, batchSize: Int = 500) {
        precondition(batchSize > 0, "a batch holds at least one letter")
        self.client = client
        self.logger = logger
        self.batchSize = batchSize
    }

    /// Writes every `sla_warning` / `sla_overdue` event due at `now`, batch after batch until
    /// none is left, so that one run catches up after downtime. Returns the events written by
    /// this instance; letters another instance holds are skipped (it writes their events).
    @discardableResult
    public func runOnce(now: Date) async throws -> (warnings: Int, overdue: Int) {
        var warnings = 0
        var overdue = 0
        while true {
            let batch = try await runBatch(now: now)
            warnings += batch.warnings
            overdue += batch.overdue
            // A short batch means nothing unlocked is left; locked letters are another
            // instance's, which records them in its own batch.
            if batch.letters < batchSize { break }
        }
        return (warnings, overdue)
    }

    /// One batch in one statement (one transaction). `due` locks up to `batchSize` open letters
    /// on a running clock with an unrecorded warning or due time, SKIP LOCKED so that instances
    /// share the work; if another instance recorded a letter after this statement's snapshot,
    /// the row lock re-checks the conditions on the committed row and drops it. The letter
    /// takes one version per event (warning first), and events are inserted in version order:
    /// the chain trigger finds version n - 1, written earlier by this same statement.
    func runBatch(now: Date) async throws -> (letters: Int, warnings: Int, overdue: Int) {
        let rows = try await client.query(
            """
            WITH due AS (
                SELECT id, version, warn_at, due_at,
                       coalesce(warn_at <= \(now) AND warning_recorded_for IS DISTINCT FROM warn_at, false) AS warn,
                       coalesce(due_at <= \(now) AND overdue_recorded_for IS DISTINCT FROM due_at, false) AS overdue
                FROM letters
                WHERE closed_at IS NULL AND sla_state = 'running'
                  AND ((warn_at <= \(now) AND warning_recorded_for IS DISTINCT FROM warn_at)
                       OR (due_at <= \(now) AND overdue_recorded_for IS DISTINCT FROM due_at))
                LIMIT \(Int32(batchSize))
                FOR UPDATE SKIP LOCKED
            ), updated AS (
                UPDATE letters l SET
                    warning_recorded_for = CASE WHEN d.warn THEN d.warn_at ELSE l.warning_recorded_for END,
                    overdue_recorded_for = CASE WHEN d.overdue THEN d.due_at ELSE l.overdue_recorded_for END,
                    version = l.version + d.warn::int + d.overdue::int,
                    updated_at = now()
                FROM due d WHERE l.id = d.id
                RETURNING l.id, d.version AS old_version, d.warn, d.overdue, d.warn_at, d.due_at
            ), events AS (
                SELECT id, old_version + 1 AS version, 'sla_warning' AS kind, warn_at, due_at FROM updated WHERE warn
                UNION ALL
                SELECT id, old_version + 1 + warn::int, 'sla_overdue', warn_at, due_at FROM updated WHERE overdue
            ), inserted AS (
                INSERT INTO letter_events (letter_id, version, kind, occurred_at, actor, public, data)
                SELECT id, version, kind, \(now), \(Self.actor), false,
                       jsonb_build_object(
                           'warn_at', to_char(warn_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                           'due_at', to_char(due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
                FROM events ORDER BY id, version
                RETURNING kind
            )
            SELECT (SELECT count(*) FROM updated),
                   count(*) FILTER (WHERE kind = 'sla_warning'),
                   count(*) FILTER (WHERE kind = 'sla_overdue')
            FROM inserted
            """, logger: logger)
        for try await (letters, warnings, overdue) in rows.decode((Int64, Int64, Int64).self) {
            return (Int(letters), Int(warnings), Int(overdue))
        }
        return (0, 0, 0)
    }
}
