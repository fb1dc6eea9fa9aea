import Foundation
import HummingbirdTesting
import Logging
import MailboxAPI
import MailboxCore
import MailboxStore
import PostgresNIO
import Testing

/// The deadline watch (临期预警 / 超期督办): one `sla_warning` and one `sla_overdue` event per
/// warning/due time, however many instances run it and however often.
@Suite("Deadline watch")
struct DeadlineWatchTests {
    static let logger = TestDatabase.logger

    static func intake(_ app: TestApp, _ http: any TestClientProtocol, count: Int) async throws -> [Int64] {
        try await AuditTrailTests.lettersWithHistory(app, http, extra: Array(repeating: 0, count: count)).map(\.id)
    }

    /// Sets the clock columns as the SLA code would have stored them; `warn`/`due` are offsets
    /// from the server's now() in minutes.
    static func setDeadline(_ db: PostgresClient, _ ids: [Int64], warn: Int, due: Int, state: String = "running",
                            closed: Bool = false) async throws {
        try await db.query(
            """
            UPDATE letters SET sla_state = \(state),
                warn_at = now() + make_interval(mins => \(Int32(warn))), due_at = now() + make_interval(mins => \(Int32(due))),
                status = CASE WHEN \(closed) THEN 'closed' ELSE status END,
                closed_at = CASE WHEN \(closed) THEN now() END
            WHERE id = ANY(\(ids))
            """, logger: logger)
    }

    /// (kind, version, due_at in the event data, due_at of the letter now) of the watch's events.
    static func watchEvents(_ db: PostgresClient, _ id: Int64) async throws -> [(kind: String, version: Int, dueAt: String)] {
        var result: [(kind: String, version: Int, dueAt: String)] = []
        for try await (kind, version, due) in try await db.query(
            """
            SELECT kind, version, data->>'due_at' FROM letter_events
            WHERE letter_id = \(id) AND actor = \(DeadlineWatch.actor) AND NOT public ORDER BY version
            """, logger: logger
        ).decode((String, Int32, String).self) {
            result.append((kind, Int(version), due))
        }
        return result
    }

    /// [warnings, overdue] of one run at the current time.
    static func run(_ watch: DeadlineWatch) async throws -> [Int] {
        let (warnings, overdue) = try await watch.runOnce(now: Date())
        return [warnings, overdue]
    }

    static func int(_ db: PostgresClient, _ sql: String) async throws -> Int {
        for try await n in try await db.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(Int64.self) { return Int(n) }
        return -1
    }

    /// A second pool on the test's database, as another instance of the service would have.
    static func withSecondClient<T>(_ db: PostgresClient, _ body: (PostgresClient) async throws -> T) async throws -> T {
        var name = ""
        for try await n in try await db.query("SELECT current_database()", logger: logger).decode(String.self) { name = n }
        let client = PostgresClient(configuration: try TestDatabase.serverURL.with(database: name).clientConfiguration(),
                                    backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    @Test("Two instances running at once record each deadline exactly once; closed, paused and future letters get none")
    func concurrentInstances() async throws {
        try await TestApp.run { app, http in
            let ids = try await Self.intake(app, http, count: 42)
            let both = Array(ids[0..<18]), warnOnly = Array(ids[18..<26]), future = Array(ids[26..<30])
            let closed = Array(ids[30..<36]), paused = Array(ids[36..<42])
            try await Self.setDeadline(app.db, both, warn: -120, due: -60)
            try await Self.setDeadline(app.db, warnOnly, warn: -30, due: 24 * 60)
            try await Self.setDeadline(app.db, future, warn: 60, due: 120)
            try await Self.setDeadline(app.db, closed, warn: -120, due: -60, closed: true)
            try await Self.setDeadline(app.db, paused, warn: -120, due: -60, state: "paused")

            var warnings = 0, overdue = 0
            try await Self.withSecondClient(app.db) { other in
                // Small batches, so that the two instances interleave and meet locked rows.
                let a = DeadlineWatch(client: app.db, logger: Self.logger, batchSize: 4)
                let b = DeadlineWatch(client: other, logger: Self.logger, batchSize: 3)
                for _ in 0..<4 {
                    async let x = a.runOnce(now: Date())
                    async let y = b.runOnce(now: Date())
                    let (rx, ry) = try await (x, y)
                    warnings += rx.warnings + ry.warnings
                    overdue += rx.overdue + ry.overdue
                }
            }
            #expect(warnings == both.count + warnOnly.count)
            #expect(overdue == both.count)

            for id in both {
                let events = try await Self.watchEvents(app.db, id)
                #expect(events.map(\.kind) == ["sla_warning", "sla_overdue"] && events.map(\.version) == [2, 3], "letter \(id): \(events)")
            }
            for id in warnOnly {
                let events = try await Self.watchEvents(app.db, id)
                #expect(events.map(\.kind) == ["sla_warning"] && events.map(\.version) == [2], "letter \(id): \(events)")
            }
            #expect(try await Self.int(app.db, "SELECT count(*) FROM letter_events WHERE letter_id = ANY('{\((future + closed + paused).map(String.init).joined(separator: ","))}') AND version > 1") == 0)
            #expect(try await Self.int(app.db, "SELECT count(*) FROM letters WHERE version = 3 AND warning_recorded_for = warn_at AND overdue_recorded_for = due_at") == both.count)
            #expect(try await Self.int(app.db, "SELECT count(*) FROM letters WHERE version = 2 AND warning_recorded_for = warn_at AND overdue_recorded_for IS NULL") == warnOnly.count)
            #expect(try await Self.int(app.db, "SELECT count(*) FROM letters WHERE version = 1") == future.count + closed.count + paused.count)
            // The events carry the letter's deadline and joined the hash chain in version order.
            #expect(try await Self.int(app.db, """
                SELECT count(*) FROM letter_events e JOIN letters l ON l.id = e.letter_id
                WHERE e.kind = 'sla_overdue' AND e.data->>'due_at' = to_char(l.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
                  AND e.data ? 'warn_at'
                """) == both.count)
            let trail = try await AuditTrail(client: app.db, logger: Self.logger).verify()
            #expect(trail.intact, "\(String(describing: trail.firstBreak))")
        }
    }

    @Test("A moved deadline (an extension) is watched again: passing it records one more sla_overdue")
    func movedDeadline() async throws {
        try await TestApp.run { app, http in
            let ids = try await Self.intake(app, http, count: 1)
            let watch = DeadlineWatch(client: app.db, logger: Self.logger)
            try await Self.setDeadline(app.db, ids, warn: -120, due: -60)
            #expect(try await Self.run(watch) == [1, 1])
            #expect(try await Self.run(watch) == [0, 0])

            // Extended by three days: nothing due any more.
            try await app.db.query("UPDATE letters SET due_at = now() + interval '3 days' WHERE id = \(ids[0])", logger: Self.logger)
            #expect(try await Self.run(watch) == [0, 0])
            // ...and, in this test, the new deadline passes too.
            try await app.db.query("UPDATE letters SET due_at = now() - interval '10 minutes' WHERE id = \(ids[0])", logger: Self.logger)
            #expect(try await Self.run(watch) == [0, 1])
            #expect(try await Self.run(watch) == [0, 0])

            let events = try await Self.watchEvents(app.db, ids[0])
            #expect(events.map(\.kind) == ["sla_warning", "sla_overdue", "sla_overdue"])
            #expect(events.map(\.version) == [2, 3, 4])
            #expect(events[1].dueAt != events[2].dueAt)
            #expect(try await Self.int(app.db, "SELECT count(*) FROM letters WHERE version = 4 AND overdue_recorded_for = due_at") == 1)
            #expect(try await AuditTrail(client: app.db, logger: Self.logger).verify().intact)
        }
    }

    @Test("One run catches up on a backlog larger than a batch; a letter changed by staff meanwhile keeps its versions")
    func catchUp() async throws {
        try await TestApp.run { app, http in
            let ids = try await Self.intake(app, http, count: 23)
            try await Self.setDeadline(app.db, ids, warn: -3 * 24 * 60, due: -2 * 24 * 60)
            // A later staff event on one letter: the watch continues its version sequence.
            try await AuditTrailTests.appendEvent(app.db, letterID: ids[5])
            let watch = DeadlineWatch(client: app.db, logger: Self.logger, batchSize: 5)
            #expect(try await Self.run(watch) == [23, 23])
            #expect(try await Self.run(watch) == [0, 0])
            #expect(try await Self.watchEvents(app.db, ids[5]).map(\.version) == [3, 4])
            #expect(try await Self.int(app.db, "SELECT count(*) FROM letter_events WHERE kind IN ('sla_warning', 'sla_overdue')") == 46)
            #expect(try await AuditTrail(client: app.db, logger: Self.logger).verify().intact)
        }
    }
}
