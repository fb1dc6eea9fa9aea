import Foundation
import MailboxCore
import PropertyBased
import Testing

/// Interesting local times: midnight, around opening, lunch and closing, late evening.
private let edgeSeconds = [0, 1, 9 * 3600 - 1, 9 * 3600, 9 * 3600 + 1, 12 * 3600 - 1, 12 * 3600, 12 * 3600 + 1,
                           13 * 3600, 13 * 3600 + 1800, 17 * 3600 + 1799, 17 * 3600 + 1800, 17 * 3600 + 1801,
                           23 * 3600 + 59 * 60, 86399]

/// Random instants: half uniformly random seconds, half a random date at an edge time of day.
private func instants(in range: ClosedRange<Int>) -> Generator<Date, some SendableSequenceType> {
    let days = (range.lowerBound / 86400)...(range.upperBound / 86400 - 1)
    return zip(Gen.int(in: range), Gen.int(in: days), Gen.int(in: 0..<edgeSeconds.count), Gen.bool())
        .map { (v: (Int, Int, Int, Bool)) -> Date in
            let (sec, day, edge, useEdge) = v
            guard useEdge else { return Date(timeIntervalSince1970: Double(sec)) }
            // Local midnight of a random date in Beijing time plus an edge time of day.
            let midnight = Date(timeIntervalSince1970: Double(day * 86400))
            let (date, _) = Reference.local(midnight)
            return Reference.instant(date, edgeSeconds[edge])
        }
}

@Suite("WorkCalendar properties (real 2019–2026 data)")
struct WorkCalendarPropertyTests {
    let cal = Fixture.calendar
    let D = Int64(Reference.D)

    @Test func businessPositionEqualsNaiveCount() async throws {
        await propertyCheck(count: 300, input: instants(in: Fixture.coverageSeconds)) { t in
            let expected = try Reference.position(t)
            #expect(try Int(cal.businessPosition(of: t)) == expected, "at \(t)")
        }
    }

    @Test func instantOfPositionMapsBack() async throws {
        await propertyCheck(count: 1000, input: instants(in: Fixture.coverageSeconds)) { t in
            let p = try cal.businessPosition(of: t)
            let back = try cal.instant(atBusinessPosition: p)
            #expect(try cal.businessPosition(of: back) == p)
            // The canonical instant is never later than the original one.
            #expect(back <= t || p == 0)
            #expect(try Reference.isInBusinessHours(back))
        }
    }

    @Test func everyPositionMapsBack() async throws {
        let total = Int(cal.workingDayCount) * Reference.D
        await propertyCheck(count: 1000, input: Gen.int(in: 0...total)) { p in
            let t = try cal.instant(atBusinessPosition: Int64(p))
            #expect(try cal.businessPosition(of: t) == Int64(p))
            #expect(try Reference.position(t) == p)
        }
        #expect(throws: CalendarError.self) { try cal.instant(atBusinessPosition: Int64(total) + 1) }
        #expect(throws: CalendarError.self) { try cal.instant(atBusinessPosition: -1) }
    }

    @Test func addingWorkingDaysThenMeasuringGivesNTimesD() async throws {
        await propertyCheck(count: 500, input: instants(in: Fixture.receiptSeconds), Gen.int(in: 0...20)) { t, n in
            let due = try cal.addingWorkingDays(n, to: t)
            #expect(try cal.workingSeconds(from: t, to: due) == Int64(n) * D)
            #expect(due >= t || n == 0)
        }
    }

    @Test func elapsedDueEqualsNaiveWalk() async throws {
        await propertyCheck(count: 500, input: instants(in: Fixture.receiptSeconds), Gen.int(in: 1...20)) { t, n in
            let expected = try Reference.elapsedDue(t, seconds: n * Reference.D)
            let fast = try cal.dueDate(receivedAt: t, workingDays: n, rule: .elapsed)
            #expect(fast == expected, "receipt \(t), n \(n)")
            let clock = SLAClock(receivedAt: t, rule: .elapsed, limitWorkingDays: n)
            #expect(try clock.evaluate(on: cal, now: t).dueAt == expected)
        }
    }

    /// The fused `elapsed` deadline agrees with its definition, pos(t) + n × D mapped back, errors included, for
    /// odd business hours (touching intervals, 00:00 and 24:00 ends, second-level bounds) and receipts at interval
    /// bounds, outside the coverage and with fractional seconds.
    @Test(arguments: ["09:00-12:00,13:30-17:30", "09:00-17:00", "00:00-08:00,08:00-12:00,13:00:30-24:00",
                      "08:00-09:00,10:00-11:00,14:00-15:00,16:00:01-18:00"])
    func elapsedDueEqualsPositionArithmetic(hours text: String) async throws {
        let hours = try BusinessHours(parsing: text)
        let c = cal.withBusinessHours(hours)
        let bounds = hours.intervals.flatMap { [$0.start - 1, $0.start, $0.start + 1, $0.end - 1, $0.end, $0.end + 1] }
            .filter { (0..<86400).contains($0) }
        let first = LocalDate(year: 2019, month: 1, day: 1).dayNumber, last = LocalDate(year: 2026, month: 12, day: 31).dayNumber
        func check(_ t: Date, _ n: Int) {
            let fused = Result { () throws(CalendarError) in try c.dueDate(receivedAt: t, workingDays: n, rule: .elapsed) }
            let general = Result { () throws(CalendarError) in try c.addingWorkingDays(n, to: t) }
            #expect(fused == general, "\(text): receipt \(t), n \(n)")
        }
        await propertyCheck(
            count: 500, input: Gen.int(in: (first - 3)...(last + 3)), Gen.int(in: 0...86399), Gen.int(in: 0..<bounds.count),
            Gen.int(in: 0...7), Gen.int(in: -2...40)
        ) { dn, sod, b, variant, n in
            // variant bit 0: receipt at an interval bound; bits 1–2: plus 0, ¼, ½ or ¾ of a second.
            let t = c.instant(on: LocalDate(dayNumber: dn), secondOfDay: variant & 1 == 1 ? bounds[b] : sod)
                .addingTimeInterval(Double(variant >> 1) / 4)
            check(t, n)
        }
        // Limits around the number of working days in the coverage.
        let w = c.workingDayCount
        for dn in [first - 1, first, first + 1, last] {
            for sod in [0] + bounds {
                for n in [w - 1, w, w + 1] { check(c.instant(on: LocalDate(dayNumber: dn), secondOfDay: sod), n) }
            }
        }
    }

    @Test func followingDaysDueEqualsNaiveWalk() async throws {
        await propertyCheck(count: 500, input: instants(in: Fixture.receiptSeconds), Gen.int(in: 1...20)) { t, n in
            let expected = try Reference.followingDue(t, n)
            let fast = try cal.dueDate(receivedAt: t, workingDays: n, rule: .followingDays)
            #expect(fast == expected, "receipt \(t), n \(n)")
            let clock = SLAClock(receivedAt: t, rule: .followingDays, limitWorkingDays: n)
            #expect(try clock.evaluate(on: cal, now: t).dueAt == expected)
            // Extensions of k days equal a limit of n + k days.
            var extended = clock
            extended.extensions = [SLAExtension(workingDays: 2, approvedAt: t, reason: "test")]
            #expect(try extended.evaluate(on: cal, now: t).dueAt == Reference.followingDue(t, n + 2))
        }
    }

    @Test func workOrdinalEqualsNaiveCount() async throws {
        let first = LocalDate(year: 2019, month: 1, day: 1).dayNumber
        let last = LocalDate(year: 2026, month: 12, day: 31).dayNumber
        await propertyCheck(count: 300, input: Gen.int(in: first...last)) { dn in
            let date = LocalDate(dayNumber: dn)
            let expected = try Reference.ordinal(date)
            #expect(cal.workOrdinal(of: date) == expected)
            #expect(cal.day(date)?.kind == Reference.kind(date))
        }
    }

    @Test(arguments: CountingRule.allCases)
    func dueTimesAreMonotonicInReceiptTime(rule: CountingRule) async throws {
        await propertyCheck(
            count: 500, input: instants(in: Fixture.receiptSeconds), Gen.int(in: 0...(5 * 86400)), Gen.int(in: 1...15)
        ) { t, delta, n in
            let later = t.addingTimeInterval(Double(delta))
            let a = try cal.dueDate(receivedAt: t, workingDays: n, rule: rule)
            let b = try cal.dueDate(receivedAt: later, workingDays: n, rule: rule)
            #expect(a <= b, "\(rule): \(t) → \(a) but \(later) → \(b)")
        }
    }

    @Test(arguments: CountingRule.allCases)
    func dueTimesAreInsideBusinessHoursOnWorkingDays(rule: CountingRule) async throws {
        await propertyCheck(count: 500, input: instants(in: Fixture.receiptSeconds), Gen.int(in: 1...15)) { t, n in
            let due = try cal.dueDate(receivedAt: t, workingDays: n, rule: rule)
            let (date, sod) = Reference.local(due)
            #expect(try Reference.isWorking(date))
            #expect(Reference.intervals.contains { sod > $0.0 && sod <= $0.1 }, "due \(due) at second \(sod)")
            if rule == .followingDays {
                #expect(sod == Reference.closing)
                #expect(date > Reference.local(t).0)
            }
        }
    }

    @Test(arguments: CountingRule.allCases)
    func pausesNeverShortenElapsedOrMoveDueEarlier(rule: CountingRule) async throws {
        await propertyCheck(
            count: 300, input: instants(in: Fixture.receiptSeconds), Gen.int(in: 0...(10 * 86400)),
            Gen.int(in: 0...(5 * 86400)), Gen.int(in: 0...(20 * 86400))
        ) { t, startOffset, length, nowOffset in
            let now = t.addingTimeInterval(Double(nowOffset))
            let plain = SLAClock(receivedAt: t, rule: rule, limitWorkingDays: 5)
            var paused = plain
            paused.pauses = [SLAPause(start: t.addingTimeInterval(Double(startOffset)),
                                      end: t.addingTimeInterval(Double(startOffset + length)))]
            let a = try plain.evaluate(on: cal, now: now)
            let b = try paused.evaluate(on: cal, now: now)
            #expect(b.dueAt >= a.dueAt)
            #expect(b.warnAt >= a.warnAt)
            #expect(b.elapsedBusinessSeconds <= a.elapsedBusinessSeconds)
            #expect(b.elapsedBusinessSeconds + b.pausedBusinessSeconds == a.elapsedBusinessSeconds)
            // The deadline moves by exactly the pause's business time after counting starts.
            let posA = try cal.businessPosition(of: a.dueAt), posB = try cal.businessPosition(of: b.dueAt)
            #expect(posB - posA == b.deadlineShiftBusinessSeconds)
            // An open pause counts up to now and never shortens the time either.
            var open = plain
            open.pauses = [SLAPause(start: t.addingTimeInterval(Double(startOffset)), end: nil)]
            let c = try open.evaluate(on: cal, now: now)
            #expect(c.dueAt >= a.dueAt)
            #expect(c.elapsedBusinessSeconds <= a.elapsedBusinessSeconds)
        }
    }

    @Test func warningIsBetweenStartAndDue() async throws {
        await propertyCheck(count: 300, input: instants(in: Fixture.receiptSeconds), Gen.int(in: 1...15)) { t, n in
            for rule in CountingRule.allCases {
                let s = try SLAClock(receivedAt: t, rule: rule, limitWorkingDays: n).evaluate(on: cal, now: t)
                #expect(s.warnAt <= s.dueAt)
                let start = try cal.countingWindow(receivedAt: t, workingDays: n, rule: rule).start
                let warnPos = try cal.businessPosition(of: s.warnAt)
                #expect(warnPos == start + Int64(0.8 * Double(Int64(n) * D)))
            }
        }
    }
}

@Suite("SLA explanation properties")
struct SLAExplanationPropertyTests {
    let cal = Fixture.calendar

    /// Receipts from mid-2018 to mid-2027 (partly outside the coverage), any limit, pauses and closure:
    /// explain() never traps, flags exactly the cases evaluate() rejects, and otherwise agrees with it.
    @Test func explainFlagsExactlyWhatEvaluateRejects() async throws {
        let lo = Int(Fixture.at(2018, 7, 1).timeIntervalSince1970), hi = Int(Fixture.at(2027, 6, 30).timeIntervalSince1970)
        await propertyCheck(
            count: 300, input: Gen.int(in: lo...hi), Gen.int(in: 1...30), Gen.int(in: 0...(40 * 86400)),
            Gen.int(in: 0...3), Gen.bool()
        ) { receipt, n, nowOffset, variant, closed in
            let t = Date(timeIntervalSince1970: Double(receipt))
            let now = t.addingTimeInterval(Double(nowOffset))
            var clock = SLAClock(receivedAt: t, rule: variant % 2 == 0 ? .followingDays : .elapsed, limitWorkingDays: n)
            if variant >= 2 { clock.pauses = [SLAPause(start: t.addingTimeInterval(3600), end: variant == 3 ? nil : t.addingTimeInterval(90_000))] }
            if closed { clock.closedAt = now }
            let e = clock.explain(on: cal, now: now)
            do {
                let s = try clock.evaluate(on: cal, now: now)
                #expect(!e.calendarIncomplete)
                #expect(e.dueAt == s.dueAt && e.warnAt == s.warnAt)
                #expect(e.elapsedBusinessSeconds == s.elapsedBusinessSeconds)
                #expect(e.deadlineMet == s.deadlineMet)
                // The counted days add up to the allowed working time plus pause shifts and extensions.
                let total = e.countedDays.reduce(0) { $0 + $1.businessSeconds }
                #expect(Int64(total) == Int64(n) * 25200 + s.deadlineShiftBusinessSeconds)
            } catch let error as CalendarError {
                guard case .outsideCoverage(let d) = error else {
                    Issue.record("unexpected \(error)")
                    return
                }
                #expect(e.calendarIncomplete)
                #expect(e.missingDates.contains(d))
                #expect(!(cal.coverage?.contains(d) ?? false))
                #expect(e.noteZH != nil && e.noteEN != nil)
            }
        }
    }
}
