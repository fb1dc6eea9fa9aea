import Foundation
import HTTPTypes
import HummingbirdTesting
import MailboxAPI
import MailboxCore
import MailboxStore
import NIOCore
import PostgresNIO
import Testing

/// The SLA clock stored on letters: computed at intake and import, moved by staff actions and
/// calendar changes, frozen at closure.
@Suite("SLA clocks on stored letters")
struct SLAIntegrationTests {
    static func beijing(_ text: String) -> Date { MailboxJSON.parseTimestamp(text)! }

    /// Two consultations received 2024-09-30 16:00: one still open, one closed 2024-10-08 10:00.
    static func importEveOfNationalDay(_ http: any TestClientProtocol, open: String, closed: String) async throws {
        let openLine = ImportTests.line(["tracking_no": open, "received_at": "2024-09-30T16:00:00+08:00"])
        let closedLine = ImportTests.line(["tracking_no": closed, "received_at": "2024-09-30T16:00:00+08:00",
                                           "status": "closed", "closed_at": "2024-10-08T10:00:00+08:00", "reply": "已答复"])
        #expect(try await ImportTests.post(http, [openLine, closedLine]).status == .ok)
    }

    @Test("Intake stores the due and warning times the core computes for the receipt instant")
    func intakeStoresDeadline() async throws {
        try await TestApp.run { app, http in
            let r = try await http.postLetter(letterJSON(["category": "help"]))
            #expect(r.status == .created)
            let tracking = try #require(decodeObject(r.body)["tracking_no"] as? String)
            let letter = try #require(try await app.mailbox.letters.letter(trackingNo: tracking))
            let calendar = try #require(app.mailbox.cache.current.calendar)
            let policy = try #require(SLAPolicy.select(from: app.mailbox.cache.current.policies, category: .help,
                                                       departmentID: nil, channel: .portal))
            let clock = SLAClock(receivedAt: letter.receivedAt, rule: policy.rule, limitWorkingDays: policy.limitWorkingDays,
                                 warningRatio: policy.warningRatio, pauses: [], extensions: [], closedAt: nil)
            // Within the announced years exactly the core's deadline; past them (a receipt near the year's end before
            // the next notice is loaded), the provisional one, flagged.
            let (expected, provisional) = try #require(
                clock.evaluate(on: calendar, provisional: app.mailbox.cache.current.provisional, now: letter.receivedAt))
            #expect(letter.sla.state == .running && letter.sla.provisional == provisional)
            #expect(provisional == ((try? clock.evaluate(on: calendar, now: letter.receivedAt)) == nil))
            #expect(abs(letter.sla.dueAt!.timeIntervalSince(expected.dueAt)) < 0.001)
            #expect(abs(letter.sla.warnAt!.timeIntervalSince(expected.warnAt)) < 0.001)
            #expect(letter.sla.dueAt! > letter.receivedAt)
        }
    }

    @Test("A calendar change moves an open deadline (with an event) but not a closed outcome")
    func calendarChangeMovesOpenNotClosed() async throws {
        try await TestApp.run { app, http in
            // 2024-09-30 16:00, eve of the National Day holiday (10-01..10-07): a consultation is due
            // at the end of the first working day after it, 2024-10-08 17:30.
            try await Self.importEveOfNationalDay(http, open: "2024-0000100", closed: "2024-0000101")
            let before = try #require(try await app.mailbox.letters.letter(trackingNo: "2024-0000100"))
            let closedBefore = try #require(try await app.mailbox.letters.letter(trackingNo: "2024-0000101"))
            #expect(before.sla.dueAt == Self.beijing("2024-10-08T17:30:00+08:00"))
            #expect(closedBefore.sla.deadlineMet == true)
            // 09-30 16:00–17:30 (5400 s), the holiday, then 10-08 09:00–10:00 (3600 s).
            let elapsed: Int64 = try #require(closedBefore.sla.elapsedBusinessSeconds)
            #expect(elapsed == 5400 + 3600)

            // The district declares 2024-10-08 a day off (as a short-notice change would).
            let change = try await http.staff("/v1/admin/calendar/days/2024-10-08", method: .put,
                                              body: ["kind": "holiday", "name": "国庆节", "reason": "test: short-notice change"])
            #expect(change.status == .ok, "\(String(buffer: change.body))")
            #expect(decodeObject(change.body)["letters_moved"] as? Int == 1)

            let after = try #require(try await app.mailbox.letters.letter(trackingNo: "2024-0000100"))
            #expect(after.sla.dueAt == Self.beijing("2024-10-09T17:30:00+08:00"))
            #expect(after.version == before.version + 1)
            let events = try await app.mailbox.letters.events(letterID: after.id, publicOnly: false)
            #expect(events.last?.kind == "sla_recomputed")
            // The same answer the core gives on the changed calendar.
            let calendar = try #require(app.mailbox.cache.current.calendar)
            #expect(calendar.day(LocalDate(year: 2024, month: 10, day: 8))?.kind == .holiday)
            let clock = try MailboxJSON.decoder().decode(SLAClock.self, from: Data(after.sla.clockJSON!.utf8))
            #expect(try clock.evaluate(on: calendar, now: Date()).dueAt == after.sla.dueAt)

            let closedAfter = try #require(try await app.mailbox.letters.letter(trackingNo: "2024-0000101"))
            #expect(closedAfter.sla == closedBefore.sla)
            #expect(closedAfter.version == closedBefore.version)

            // The change is visible on the calendar API and recorded.
            let days = try await http.execute(uri: "/v1/calendar/days?from=2024-10-07&to=2024-10-09", method: .get)
            let list = decodeObject(days.body)["days"] as? [[String: Any]] ?? []
            #expect(list.map { $0["kind"] as? String } == ["holiday", "holiday", "workday"])
            #expect(try await app.count("calendar_changes WHERE day = '2024-10-08' AND new_kind = 'holiday'") == 1)
            #expect(try await app.count("calendar_days WHERE day = '2024-10-08' AND kind = 'holiday'") == 1)
        }
    }

    @Test("Bad calendar edits are refused and change nothing")
    func badCalendarEdits() async throws {
        try await TestApp.run { app, http in
            let weekdayMakeup = try await http.staff("/v1/admin/calendar/days/2024-10-09", method: .put, body: ["kind": "makeup_workday"])
            #expect(weekdayMakeup.status == .unprocessableContent)
            let outside = try await http.staff("/v1/admin/calendar/days/2031-01-06", method: .put, body: ["kind": "holiday", "name": "x"])
            #expect(outside.status == .unprocessableContent)
            let badDate = try await http.staff("/v1/admin/calendar/days/2024-13-01", method: .put, body: ["kind": "holiday", "name": "x"])
            #expect(badDate.status == .badRequest)
            let anonymous = try await http.execute(uri: "/v1/admin/calendar/days/2024-10-09", method: .put,
                                                   body: jsonBuffer(["kind": "holiday", "name": "x"]))
            #expect(anonymous.status == .unauthorized)
            #expect(try await app.count("calendar_changes") == 0)
        }
    }

    @Test("Pause, resume, extension and closure move the clock as the core says, one event each")
    func staffClockActions() async throws {
        try await TestApp.run { app, http in
            let tracking = try #require(decodeObject(try await http.postLetter(letterJSON(["category": "complaint"])).body)["tracking_no"] as? String)
            let received = try #require(try await app.mailbox.letters.letter(trackingNo: tracking))
            // Fails (rather than skipping) once "now" leaves the loaded years: load the next notice.
            try #require(received.sla.state != .calendarIncomplete,
                         "the calendar does not cover today's deadlines: run mailbox calendar import for the next year")
            let disp = TestApp.dispatcherToken
            let handler = try await app.session(.handler, department: "housing")
            let lead = try await app.session(.lead, department: "housing")
            #expect(try await http.act(tracking, "accept", token: disp).status == .ok)
            #expect(try await http.act(tracking, "route", ["department_id": "housing"], token: disp).status == .ok)
            #expect(try await http.act(tracking, "sign", token: handler).status == .ok)
            #expect(try await http.act(tracking, "start", token: handler).status == .ok)

            let paused = try await http.act(tracking, "pause", ["reason": "请补充房屋产权证明"], token: handler)
            #expect(paused.status == .ok, "\(String(buffer: paused.body))")
            #expect(decodeObject(paused.body)["status"] as? String == "awaiting_citizen")
            #expect(decodeObject(paused.body)["sla_state"] as? String == "paused")
            #expect(try await http.act(tracking, "pause", ["reason": "again"], token: handler).status == .conflict)

            #expect(try await http.act(tracking, "resume", token: handler).status == .ok)
            let requested = try await http.act(tracking, "request-extension", ["working_days": 2, "reason": "需多部门会商"], token: handler)
            #expect(requested.status == .ok)
            // Only the final approval moves the deadline: the lead's forwards it to the centre.
            #expect(try await http.act(tracking, "approve-extension", token: lead).status == .ok)
            let endorsed = try #require(try await app.mailbox.letters.letter(trackingNo: tracking))
            #expect(endorsed.sla.dueAt == received.sla.dueAt && endorsed.pendingExtension?.stage == .dispatcher)
            #expect(try await http.act(tracking, "approve-extension", token: disp).status == .ok)
            let afterExtension = try #require(try await app.mailbox.letters.letter(trackingNo: tracking))
            let calendar = try #require(app.mailbox.cache.current.calendar)
            let clock = try MailboxJSON.decoder().decode(SLAClock.self, from: Data(afterExtension.sla.clockJSON!.utf8))
            #expect(clock.pauses.count == 1 && clock.pauses[0].end != nil && clock.extensions.map(\.workingDays) == [2])
            let expected = try clock.evaluate(on: calendar, now: Date())
            #expect(abs(afterExtension.sla.dueAt!.timeIntervalSince(expected.dueAt)) < 0.001)
            #expect(afterExtension.sla.dueAt! > received.sla.dueAt!)
            #expect(afterExtension.pendingExtension == nil)

            let badExtension = try await http.act(tracking, "request-extension", ["working_days": 0, "reason": "x"], token: handler)
            #expect(badExtension.status == .unprocessableContent)

            // The reply is drafted, submitted and approved by the lead (a complaint also by the centre).
            #expect(try await http.act(tracking, "draft-reply", ["text": "已督促物业整改"], token: handler).status == .ok)
            #expect(try await http.act(tracking, "submit-reply", token: handler).status == .ok)
            let inReview = try #require(try await app.mailbox.letters.letter(trackingNo: tracking))
            #expect(inReview.status == .reviewing && inReview.sla.state == .running)
            #expect(try await http.act(tracking, "approve-reply", token: lead).status == .ok)
            if try #require(try await app.mailbox.letters.letter(trackingNo: tracking)).status == .reviewing {
                #expect(try await http.act(tracking, "approve-reply", token: disp).status == .ok)
            }
            let final = try #require(try await app.mailbox.letters.letter(trackingNo: tracking))
            #expect(final.status == .closed && final.sla.state == .stopped && final.reply == "已督促物业整改")
            #expect(final.sla.deadlineMet == true)
            #expect(final.sla.elapsedBusinessSeconds != nil && final.sla.elapsedBusinessSeconds! >= 0)
            let kinds = try await app.mailbox.letters.events(letterID: final.id, publicOnly: false).map(\.kind)
            #expect(kinds == ["received", "accepted", "routed", "signed", "started", "sla_paused", "sla_resumed",
                              "extension_requested", "extension_endorsed", "sla_extended", "reply_drafted", "reply_submitted"]
                + (kinds.contains("reply_approved") ? ["reply_approved"] : []) + ["closed"])
            #expect(try await http.act(tracking, "resume", token: handler).status == .conflict)

            let explain = try await http.staff("/v1/letters/\(tracking)/sla", token: handler)
            #expect(explain.status == .ok)
            let explanation = decodeObject(explain.body)["explanation"] as? [String: Any] ?? [:]
            #expect((explanation["lines_zh"] as? [String])?.isEmpty == false)
            #expect((explanation["lines_en"] as? [String])?.isEmpty == false)
        }
    }

    @Test("Preview explains a deadline across the extended 2020 Spring Festival")
    func preview() async throws {
        try await TestApp.run { _, http in
            let r = try await http.execute(uri: "/v1/sla/preview?category=consultation&received_at=2020-01-23T10:00:00%2B08:00", method: .get)
            #expect(r.status == .ok, "\(String(buffer: r.body))")
            let body = decodeObject(r.body)
            let due = try #require((body["due_at"] as? String).flatMap(MailboxJSON.parseTimestamp))
            // 01-24..02-02 are holidays (the 02-01 make-up day was cancelled by 国办发明电〔2020〕1号).
            #expect(due == Self.beijing("2020-02-03T17:30:00+08:00"))
            let skipped = (body["skipped_days"] as? [[String: Any]] ?? []).compactMap { $0["date"] as? String }
            #expect(skipped.contains("2020-02-01"))
            let bad = try await http.execute(uri: "/v1/sla/preview?category=nope", method: .get)
            #expect(bad.status == .unprocessableContent)
        }
    }

    @Test("A deadline in a year whose notice is not loaded is provisional everywhere it shows, and recomputed when it is")
    func importNextYear() async throws {
        try await TestApp.run { app, http in
            // A 200-working-day policy makes a letter received now due beyond 2026, the last announced year.
            try await app.db.query("UPDATE sla_policies SET limit_working_days = 200 WHERE category = 'report' AND department_id IS NULL AND channel IS NULL",
                                   logger: TestDatabase.logger)
            app.mailbox.cache.replace(try await app.mailbox.calendars.snapshot())
            let receipt = decodeObject(try await http.postLetter(letterJSON(["category": "report"])).body)
            let tracking = try #require(receipt["tracking_no"] as? String)
            #expect(receipt["sla_provisional"] as? Bool == true && receipt["due_at"] != nil)
            let before = try #require(try await app.mailbox.letters.letter(trackingNo: tracking))
            #expect(before.sla.state == .running && before.sla.provisional)
            let due = try #require(before.sla.dueAt)
            // The plain weekday rule, counted here by Foundation: 200 working days after the receipt date, 2026's days
            // from the announced calendar, later ones Monday to Friday.
            let cal = try #require(app.mailbox.cache.current.calendar)
            var day = cal.localDate(of: before.receivedAt)
            var counted = 0
            while counted < 200 {
                day = LocalDate(dayNumber: day.dayNumber + 1)
                if day.year > 2026 ? !day.isWeekend : cal.isWorkingDay(day)! { counted += 1 }
            }
            #expect(cal.localDate(of: due) == day)

            let view = decodeObject(try await http.staff("/v1/letters/\(tracking)", token: TestApp.dispatcherToken).body)
            #expect(view["sla_provisional"] as? Bool == true)
            let sla = decodeObject(try await http.staff("/v1/letters/\(tracking)/sla", token: TestApp.dispatcherToken).body)
            let explain = sla["explanation"] as? [String: Any]
            #expect(sla["sla_provisional"] as? Bool == true)
            #expect(explain?["provisional"] as? Bool == true && explain?["calendar_incomplete"] as? Bool == false)
            #expect((explain?["provisional_years"] as? [Int])?.contains(2027) == true)
            let list = decodeObject(try await http.staff("/v1/letters?category=report", token: TestApp.dispatcherToken).body)
            #expect((list["items"] as? [[String: Any]])?.first?["sla_provisional"] as? Bool == true)

            // The notices arrive; 2027-01-01 (a Friday) is a holiday the weekday rule counted as a working day.
            var notice = "source 2027 test notice\nyear 2027\n2027-01-01 holiday 元旦\n"
            notice += "source 2028 test notice\nyear 2028\n2028-01-03 holiday 元旦\n"
            let result = try await app.mailbox.calendars.importNotice(text: notice, actor: "test")
            #expect(result.lettersMoved >= 1)
            let after = try #require(try await app.mailbox.letters.letter(trackingNo: tracking))
            #expect(after.sla.state == .running && !after.sla.provisional)
            #expect(try #require(after.sla.dueAt) > due)
            let events = try await app.mailbox.letters.events(letterID: after.id, publicOnly: false)
            #expect(events.last?.kind == "sla_recomputed")
            let data = try JSONDecoder().decode([String: String].self, from: Data(try #require(events.last?.dataJSON).utf8))
            #expect(data["provisional"] == "false" && data["new_due_at"].flatMap(MailboxJSON.parseTimestamp) == after.sla.dueAt)

            // A gap in the years is refused, nothing changes.
            await #expect(throws: (any Error).self) {
                try await app.mailbox.calendars.importNotice(text: "source 2031 x\nyear 2031\n", actor: "test")
            }
            #expect(try await app.count("calendar_years WHERE year = 2031") == 0)
        }
    }

    @Test("SQL counts working days by ordinals exactly as the Swift calendar does")
    func sqlWorkingDays() async throws {
        try await TestApp.run { app, _ in
            let calendar = try #require(app.mailbox.cache.current.calendar)
            var rng = SystemRandomNumberGenerator()
            let first = LocalDate(year: 2019, month: 1, day: 1).dayNumber, last = LocalDate(year: 2026, month: 12, day: 31).dayNumber
            for _ in 0..<200 {
                let a = LocalDate(dayNumber: Int.random(in: first...last, using: &rng))
                let b = LocalDate(dayNumber: Int.random(in: a.dayNumber...last, using: &rng))
                var sql: Int32?
                for try await n in try await app.db.query(
                    "SELECT working_days_between(\(a.description)::date, \(b.description)::date)", logger: TestDatabase.logger
                ).decode(Int32?.self) { sql = n }
                // The reference: count working days in (a, b] one by one.
                let counted = (a.dayNumber + 1...max(a.dayNumber + 1, b.dayNumber)).filter { n in
                    n <= b.dayNumber && calendar.day(LocalDate(dayNumber: n))!.isWorkingDay
                }.count
                #expect(sql.map(Int.init) == counted, "\(a)…\(b)")
            }
            var outside: Int32? = 1
            for try await n in try await app.db.query("SELECT working_days_between('2026-12-30', '2031-01-02')", logger: TestDatabase.logger)
                .decode(Int32?.self) { outside = n }
            #expect(outside == nil)
        }
    }

    @Test("New business hours move open deadlines, keep closed outcomes, and feed the handling-time view")
    func businessHoursChange() async throws {
        try await TestApp.run { app, http in
            try await Self.importEveOfNationalDay(http, open: "2024-0000200", closed: "2024-0000201")
            let closedBefore = try #require(try await app.mailbox.letters.letter(trackingNo: "2024-0000201"))

            let bad = try await http.staff("/v1/admin/calendar/business-hours", method: .put, body: ["business_hours": "17:00-09:00"])
            #expect(bad.status == .unprocessableContent)
            let r = try await http.staff("/v1/admin/calendar/business-hours", method: .put,
                                         body: ["business_hours": "08:30-12:00,13:00-18:00", "reason": "summer hours"])
            #expect(r.status == .ok, "\(String(buffer: r.body))")
            #expect(decodeObject(r.body)["seconds_per_working_day"] as? Int == 3 * 3600 + 1800 + 5 * 3600)
            // following_days: the end of business on 2024-10-08 is now 18:00.
            let moved = try #require(try await app.mailbox.letters.letter(trackingNo: "2024-0000200"))
            #expect(moved.sla.dueAt == Self.beijing("2024-10-08T18:00:00+08:00"))
            let closedAfter = try #require(try await app.mailbox.letters.letter(trackingNo: "2024-0000201"))
            #expect(closedAfter.sla == closedBefore.sla)

            var days: Double = -1
            for try await d in try await app.db.query(
                "SELECT handling_working_days FROM letter_handling WHERE tracking_no = '2024-0000201'", logger: TestDatabase.logger
            ).decode(Double.self) { days = d }
            // 9000 business seconds, frozen at closure, over the new 8.5-hour day.
            #expect(abs(days - 9000.0 / 30600.0) < 1e-9)
        }
    }

    @Test("Time limits are configuration: a policy set through the API governs letters received afterwards")
    func policies() async throws {
        try await TestApp.run { app, http in
            let set = try await http.staff("/v1/admin/sla/policies", method: .put,
                                           body: ["category": "consultation", "channel": "app", "limit_working_days": 3,
                                                  "rule": "elapsed", "warning_ratio": 0.5] as [String: Any])
            #expect(set.status == .ok, "\(String(buffer: set.body))")
            let listed = decodeObject(try await http.execute(uri: "/v1/sla/policies", method: .get).body)["policies"] as? [[String: Any]] ?? []
            #expect(listed.contains { $0["channel"] as? String == "app" && $0["limit_working_days"] as? Int == 3 })

            // The app channel gets the new policy; the portal keeps the default.
            let app3 = decodeObject(try await http.execute(
                uri: "/v1/sla/preview?category=consultation&channel=app&received_at=2024-10-08T10:00:00%2B08:00", method: .get).body)
            #expect(app3["limit_working_days"] as? Int == 3 && app3["rule"] as? String == "elapsed")
            #expect((app3["due_at"] as? String).flatMap(MailboxJSON.parseTimestamp) == Self.beijing("2024-10-11T10:00:00+08:00"))
            let portal = decodeObject(try await http.execute(
                uri: "/v1/sla/preview?category=consultation&channel=portal&received_at=2024-10-08T10:00:00%2B08:00", method: .get).body)
            #expect(portal["limit_working_days"] as? Int == 1 && portal["rule"] as? String == "following_days")

            for bad: [String: Any] in [["category": "consultation", "limit_working_days": 0],
                                       ["category": "consultation", "limit_working_days": 2, "warning_ratio": 1.5],
                                       ["category": "consultation", "limit_working_days": 2, "department_id": "nowhere"],
                                       ["category": "praise", "limit_working_days": 2]] {
                #expect(try await http.staff("/v1/admin/sla/policies", method: .put, body: bad).status == .unprocessableContent)
            }
            #expect(try await app.count("sla_policies") == 6)
        }
    }
}
