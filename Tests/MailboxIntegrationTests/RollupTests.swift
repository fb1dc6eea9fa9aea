import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import MailboxAPI
import MailboxCore
@testable import MailboxStore
import NIOCore
import PostgresNIO
import Testing

/// Report rollups against real PostgreSQL: after random workloads (imports, intake, routing, pauses, extensions,
/// returns, rejections, merges, releases, ratings that reopen, calendar changes) and with the worker run only now
/// and then, every report from the rollups equals the same report recomputed from the raw letters, for several
/// as_of instants, groupings and departments; once caught up, the sums equal the stored contributions.
@Suite("Report rollups")
struct RollupTests {
    static let disp = TestApp.dispatcherToken
    static let departments = ["housing", "water"]

    struct Actors {
        var handler: [String: String] = [:]
        var lead: [String: String] = [:]
    }

    /// Historical letters received on random days of 2025–2026, some closed (with a reply), some rejected, some
    /// still open at a department.
    static func importLetters(_ http: any TestClientProtocol, _ rng: inout SplitMix64, count: Int, serial: inout Int) async throws {
        var lines: [String] = []
        let start = MailboxJSON.parseTimestamp("2025-01-01T00:00:00+08:00")!.timeIntervalSince1970
        let end = MailboxJSON.parseTimestamp("2026-11-20T00:00:00+08:00")!.timeIntervalSince1970
        let categories = LetterCategory.allCases.map(\.rawValue)
        for _ in 0..<count {
            serial += 1
            let received = start + Double(rng.next() % UInt64(end - start))
            var o: [String: Any?] = [
                "tracking_no": "H-\(serial)", "category": categories[Int(rng.next() % UInt64(categories.count))],
                "received_at": MailboxJSON.formatTimestamp(Date(timeIntervalSince1970: received)),
                "department_id": departments[Int(rng.next() % 2)],
            ]
            switch rng.next() % 10 {
            case 0: o["status"] = "rejected"
            case 1, 2: o["status"] = "processing"
            default:
                o["status"] = "closed"
                // From minutes to a few weeks later, but not in the future.
                let closed = min(received + Double(rng.next() % (25 * 86_400)) + 60, Date().timeIntervalSince1970 - 60)
                o["closed_at"] = MailboxJSON.formatTimestamp(Date(timeIntervalSince1970: closed))
                o["reply"] = "已答复"
            }
            lines.append(ImportTests.line(o))
        }
        let r = try await ImportTests.post(http, lines)
        #expect(r.status == .ok, "\(String(buffer: r.body))")
    }

    /// One random step on a random portal letter; illegal steps (409, 422) are part of the exploration.
    static func randomStep(_ http: any TestClientProtocol, _ app: TestApp, _ rng: inout SplitMix64, letters: inout [(String, String)],
                           actors: Actors) async throws {
        if letters.isEmpty || rng.next() % 6 == 0 {
            let r = try await http.postLetter(letterJSON(["category": LetterCategory.allCases.map(\.rawValue)[Int(rng.next() % 5)]]))
            let o = decodeObject(r.body)
            if let t = o["tracking_no"] as? String, let code = o["query_code"] as? String { letters.append((t, code)) }
            return
        }
        let (t, code) = letters[Int(rng.next() % UInt64(letters.count))]
        let current = decodeObject(try await http.staff("/v1/letters/\(t)", token: disp).body)
        let dept = current["department_id"] as? String ?? departments[Int(rng.next() % 2)]
        let handler = actors.handler[dept]!
        let lead = actors.lead[dept]!
        // Mostly the letter's next natural step, so that letters get through to closure, rating and reopening.
        let natural: [String: UInt64] = ["received": 0, "accepted": 1, "assigned": 2, "signed": 3, "processing": 11,
                                         "awaiting_citizen": 5, "reviewing": 11, "closed": 13]
        var step = rng.next() % 3 != 0 ? natural[current["status"] as? String ?? ""] ?? rng.next() % 16 : rng.next() % 16
        if step == 11, current["status"] as? String == "processing" {
            step = [4, 6, 7, 11, 11][Int(rng.next() % 5)]  // pause, ask for more days, have them approved, or reply
        }
        switch step {
        case 0: _ = try await http.act(t, "accept", token: disp)
        case 1: _ = try await http.act(t, "route", ["department_id": departments[Int(rng.next() % 2)]], token: disp)
        case 2: _ = try await http.act(t, "sign", token: handler)
        case 3: _ = try await http.act(t, "start", token: handler)
        case 4: _ = try await http.act(t, "pause", ["reason": "请补充材料"], token: handler)
        case 5: _ = try await http.act(t, "resume", token: handler)
        case 6: _ = try await http.act(t, "request-extension", ["working_days": 1 + Int(rng.next() % 3), "reason": "会商"], token: handler)
        case 7:  // the lead endorses, the centre approves
            _ = try await http.act(t, "approve-extension", token: lead)
            _ = try await http.act(t, "approve-extension", token: disp)
        case 8: _ = try await http.act(t, "return", ["reason": "非本单位职责"], token: handler)
        case 9 where rng.next() % 3 == 0: _ = try await http.act(t, "reject", ["reason": "不属于受理范围"], token: disp)
        case 10 where rng.next() % 3 == 0:
            let (other, _) = letters[Int(rng.next() % UInt64(letters.count))]
            _ = try await http.act(t, "merge", ["into": other], token: disp)
        case 11, 12:
            if current["status"] as? String != "reviewing" {
                _ = try await http.act(t, "draft-reply", ["text": "您好，已办理。"], token: handler)
                _ = try await http.act(t, "submit-reply", token: handler)
            }
            for _ in 0..<2 {
                let now = decodeObject(try await http.staff("/v1/letters/\(t)", token: disp).body)
                guard now["status"] as? String == "reviewing" else { break }
                let stage = (now["review"] as? [String: Any])?["stage"] as? String
                _ = try await http.act(t, "approve-reply", token: stage == "dispatcher" ? disp : lead)
            }
        case 13, 14:
            let satisfaction = ["满意", "基本满意", "不满意"][Int(rng.next() % 3)]
            _ = try await http.execute(uri: "/v1/public/letters/\(t)/rating", method: .post,
                                       headers: [.init("X-Query-Code")!: code, .contentType: "application/json"],
                                       body: jsonBuffer(["satisfaction": satisfaction, "resolved": rng.next() % 2 == 0]))
        default: _ = try await http.act(t, "transfer", ["department_id": departments[Int(rng.next() % 2)], "reason": "转办"], token: disp)
        }
    }

    /// The paths a random walk may miss: closed after a pause, closed after an extension, closed and reopened.
    static func tour(_ http: any TestClientProtocol, _ actors: Actors) async throws {
        let a = ReplyTests.Actors(handler: actors.handler["housing"]!, lead: actors.lead["housing"]!)
        let (paused, _) = try await ReplyTests.workingLetter(http, a)
        #expect(try await http.act(paused, "pause", ["reason": "请补充材料"], token: a.handler).status == .ok)
        #expect(try await http.act(paused, "resume", token: a.handler).status == .ok)
        try await ReplyTests.release(http, paused, a, "您好，已办理。")
        let (extended, _) = try await ReplyTests.workingLetter(http, a)
        #expect(try await http.act(extended, "request-extension", ["working_days": 2, "reason": "会商"], token: a.handler).status == .ok)
        #expect(try await http.act(extended, "approve-extension", token: a.lead).status == .ok)
        #expect(try await http.act(extended, "approve-extension", token: disp).status == .ok)
        try await ReplyTests.release(http, extended, a, "您好，已办理。")
        let (reopened, code) = try await ReplyTests.workingLetter(http, a)
        try await ReplyTests.release(http, reopened, a, "您好，已办理。")
        let rated = try await http.execute(uri: "/v1/public/letters/\(reopened)/rating", method: .post,
                                           headers: [.init("X-Query-Code")!: code, .contentType: "application/json"],
                                           body: jsonBuffer(["satisfaction": "不满意", "resolved": false]))
        #expect(rated.status == .ok, "\(String(buffer: rated.body))")
    }

    /// Every grouping, with and without a department, at several instants: rollups == raw.
    static func expectReportsEqualRaw(_ app: TestApp, _ label: String) async throws {
        let calendar = try #require(app.mailbox.cache.current.calendar)
        let store = app.mailbox.reports
        let now = Date()
        let instants = [now.addingTimeInterval(3600), now.addingTimeInterval(-5), now.addingTimeInterval(-2 * 86_400),
                        MailboxJSON.parseTimestamp("2025-07-01T12:00:00+08:00")!]
        let ranges = [(LocalDate(year: 2025, month: 1, day: 1), LocalDate(year: 2026, month: 12, day: 31)),
                      (LocalDate(year: 2025, month: 3, day: 17), LocalDate(year: 2026, month: 2, day: 3))]
        for asOf in instants {
            for (from, to) in ranges {
                for grouping in [nil] + ReportGrouping.allCases.map(Optional.some) {
                    for department in [nil, "housing"] {
                        let fast = try await SLAReport.compute(store: store, from: from, to: to, asOf: asOf, grouping: grouping,
                                                               departmentID: department, calendar: calendar)
                        let raw = try await SLAReport.computeRaw(store: store, from: from, to: to, asOf: asOf, grouping: grouping,
                                                                 departmentID: department, calendar: calendar)
                        let context = "\(label): as_of \(MailboxJSON.formatTimestamp(asOf)) \(from)…\(to) by \(grouping?.rawValue ?? "-") dept \(department ?? "-")"
                        #expect(fast.totals == raw.totals, "\(context)\n rollup \(fast.totals)\n raw    \(raw.totals)")
                        #expect(fast.groups == raw.groups, "\(context)")
                    }
                }
            }
        }
    }

    static func catchUp(_ app: TestApp, batchSize: Int, batches: Int? = nil) async throws {
        let rollups = ReportRollups(client: app.db, logger: TestDatabase.logger, batchSize: batchSize)
        let snapshot = app.mailbox.cache.current
        if let batches {
            for _ in 0..<batches { _ = try await rollups.runBatch(calendar: snapshot.calendar!, version: snapshot.version) }
        } else {
            _ = try await rollups.catchUp { (snapshot.calendar, snapshot.version) }
        }
    }

    @Test("After random workloads, with the worker behind or caught up, rollup reports equal raw recomputation")
    func rollupsEqualRaw() async throws {
        try await TestApp.run { app, http in
            var rng = SplitMix64(seed: 20_261_130)
            var actors = Actors()
            for d in Self.departments {
                actors.handler[d] = try await app.session(.handler, department: d)
                actors.lead[d] = try await app.session(.lead, department: d)
            }
            var serial = 0
            var letters: [(String, String)] = []
            try await Self.importLetters(http, &rng, count: 60, serial: &serial)
            // Nothing counted yet: every settled letter is dirty, so reports recompute them all.
            try await Self.expectReportsEqualRaw(app, "before the worker")
            try await Self.catchUp(app, batchSize: 7)
            #expect(try await ReportRollups(client: app.db, logger: TestDatabase.logger).dirtyCount() == 0)
            #expect(try await ReportRollups(client: app.db, logger: TestDatabase.logger).inconsistencies() == [])
            #expect(try await app.count("report_contributions") > 0)
            try await Self.expectReportsEqualRaw(app, "caught up after import")

            for round in 0..<4 {
                for _ in 0..<60 { try await Self.randomStep(http, app, &rng, letters: &letters, actors: actors) }
                if round == 1 {
                    // Calendar change: a Saturday of 2025 becomes a make-up working day. Letters settled since are
                    // recounted; the others cannot move (docs/metrics.md).
                    _ = try await app.mailbox.calendars.changeDays(
                        [CalendarDay(date: LocalDate(year: 2025, month: 6, day: 14), kind: .makeupWorkday, name: "测试调休")],
                        actor: "test", reason: "rollup test")
                    try await app.mailbox.reloadCalendar()
                }
                if round == 2 {
                    try await Self.importLetters(http, &rng, count: 30, serial: &serial)
                    try await Self.tour(http, actors)
                }
                // The worker only partly caught up.
                try await Self.catchUp(app, batchSize: 5, batches: 2)
                try await Self.expectReportsEqualRaw(app, "round \(round), worker behind")
            }
            try await Self.catchUp(app, batchSize: 50)
            #expect(try await ReportRollups(client: app.db, logger: TestDatabase.logger).inconsistencies() == [])
            try await Self.expectReportsEqualRaw(app, "caught up at the end")

            // The workload reached the interesting states.
            #expect(try await app.count("letters WHERE status = 'closed' AND NOT imported") > 0)
            #expect(try await app.count("letters WHERE status IN ('rejected', 'merged')") > 0)
            #expect(try await app.count("letter_ratings") > 0)
            #expect(try await app.count("letter_events WHERE kind = 'reopened'") > 0)
            #expect(try await app.count("letters WHERE sla_clock->'pauses' <> '[]'::jsonb AND status = 'closed'") > 0)
            #expect(try await app.count("letters WHERE sla_clock->'extensions' <> '[]'::jsonb") > 0)
            #expect(try await app.count("report_contributions WHERE NOT (bits & 1 = 1)") == 0)

            // Reports read open letters from report_open_rows, which the trigger kept equal to them through the
            // whole workload (checked above); a row lost or altered behind its back is named by the check.
            let open = try await app.count("report_open_rows")
            let openLetters = try await app.count("letters WHERE status NOT IN ('closed', 'rejected', 'merged')")
            #expect(open > 0 && open == openLetters)
            try await app.db.query("DELETE FROM report_open_rows WHERE id = (SELECT min(id) FROM report_open_rows)", logger: TestDatabase.logger)
            try await app.db.query("UPDATE report_open_rows SET town = coalesce(town, '') || 'x' WHERE id = (SELECT max(id) FROM report_open_rows)", logger: TestDatabase.logger)
            let problems = try await ReportRollups(client: app.db, logger: TestDatabase.logger).inconsistencies()
            #expect(problems.contains { $0.hasSuffix("missing from report_open_rows") }, "\(problems)")
            #expect(problems.contains { $0.hasSuffix("differs in report_open_rows") } && problems.count == 2, "\(problems)")
            try await app.db.query("SELECT report_open_rows_sync(0, 9223372036854775807)", logger: TestDatabase.logger)
            #expect(try await ReportRollups(client: app.db, logger: TestDatabase.logger).inconsistencies() == [])
        }
    }

    @Test("A settled letter changed later is dirty until the worker recounts it; a stale calendar version is refused")
    func dirtyTracking() async throws {
        try await TestApp.run { app, http in
            var rng = SplitMix64(seed: 7)
            var serial = 0
            try await Self.importLetters(http, &rng, count: 10, serial: &serial)
            let settled = try await app.count("letters WHERE status IN ('closed', 'rejected', 'merged')")
            #expect(try await app.count("letters WHERE rollup_dirty") == settled)
            #expect(try await app.count("letters WHERE rollup_dirty AND status NOT IN ('closed', 'rejected', 'merged')") == 0)
            let snapshot = app.mailbox.cache.current
            let rollups = ReportRollups(client: app.db, logger: TestDatabase.logger)
            if case .calendarChanged = try await rollups.runBatch(calendar: snapshot.calendar!, version: snapshot.version + 1) {
            } else {
                Issue.record("a batch with a stale calendar version must not count")
            }
            #expect(try await app.count("letters WHERE rollup_dirty") == settled)
            try await Self.catchUp(app, batchSize: 100)
            #expect(try await app.count("letters WHERE rollup_dirty") == 0)
            #expect(try await app.count("report_contributions") == settled)
            // Caught up, the worker's tick is a read: no transaction id taken, no row lock written (a FOR SHARE of
            // the calendar row would leave its transaction id in the row's xmax), so no WAL and no commit to flush.
            func calendarRowLocker() async throws -> String {
                for try await x in try await app.db.query("SELECT xmax::text FROM calendar_settings WHERE id = 1",
                                                           logger: TestDatabase.logger).decode(String.self) { return x }
                return "none"
            }
            let before = try await calendarRowLocker()
            for _ in 0..<3 { #expect(try await rollups.catchUp { (snapshot.calendar, snapshot.version) } == 0) }
            #expect(try await calendarRowLocker() == before)
            // An open letter's steps never touch the rollups; a rating of a closed letter does.
            let letter = try await http.postLetter(letterJSON())
            let t = try #require(decodeObject(letter.body)["tracking_no"] as? String)
            #expect(try await http.act(t, "accept", token: Self.disp).status == .ok)
            #expect(try await app.count("letters WHERE rollup_dirty") == 0)
            try await app.db.query("INSERT INTO letter_ratings (letter_id, round, satisfaction, resolved, channel, rated_at, reopened) SELECT id, 1, 'satisfied', true, 'portal', now(), false FROM letters WHERE status = 'closed' LIMIT 1", logger: TestDatabase.logger)
            #expect(try await app.count("letters WHERE rollup_dirty") == 1)
            // The index behind calendar recounts names the same bit as the code.
            #expect(try await app.count("pg_indexes WHERE indexname = 'report_contributions_outside_idx' AND indexdef LIKE '%\(SLAMetrics.outsideCalendarBit)%'") == 1)
        }
    }
}
