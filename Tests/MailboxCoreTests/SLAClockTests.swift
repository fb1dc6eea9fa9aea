import Foundation
import MailboxCore
import Testing

private func at(_ y: Int, _ mo: Int, _ d: Int, _ h: Int = 0, _ mi: Int = 0, _ s: Int = 0) -> Date {
    Fixture.at(y, mo, d, h, mi, s)
}

@Suite("SLA examples (real 2019–2026 data)")
struct SLAClockTests {
    let cal = Fixture.calendar

    func due(_ t: Date, _ n: Int, _ rule: CountingRule = .followingDays) throws -> Date {
        try SLAClock(receivedAt: t, rule: rule, limitWorkingDays: n).evaluate(on: cal, now: t).dueAt
    }

    @Test func tuesdayTenOClockBothRules() throws {
        // 2024-03-05 is an ordinary Tuesday.
        #expect(try due(at(2024, 3, 5, 10), 1) == at(2024, 3, 6, 17, 30))
        #expect(try due(at(2024, 3, 5, 10), 1, .elapsed) == at(2024, 3, 6, 10))
    }

    @Test func lateEveningAndLunchReceipts() throws {
        #expect(try due(at(2024, 3, 5, 23, 59), 1) == at(2024, 3, 6, 17, 30))
        #expect(try due(at(2024, 3, 5, 23, 59), 1, .elapsed) == at(2024, 3, 6, 17, 30))
        #expect(try due(at(2024, 3, 5, 12, 45), 1) == at(2024, 3, 6, 17, 30))
        // Lunch: 3 h of the day are used; 4 h (afternoon) + 3 h (next morning) = 7 h → Wednesday 12:00.
        #expect(try due(at(2024, 3, 5, 12, 45), 1, .elapsed) == at(2024, 3, 6, 12))
        // Before opening: the whole day is still available.
        #expect(try due(at(2024, 3, 5, 7, 0), 1, .elapsed) == at(2024, 3, 5, 17, 30))
    }

    @Test func eveOfTheNationalDayHoliday() throws {
        // Mon 2024-09-30 16:00, consultation (1 working day): 10-01..10-07 are 国庆节 → Tue 10-08 17:30.
        let policy = try #require(SLAPolicy.select(from: SLAPolicy.defaults, category: .consultation, departmentID: nil, channel: .portal))
        let clock = SLAClock(receivedAt: at(2024, 9, 30, 16), policy: policy)
        #expect(try clock.evaluate(on: cal, now: at(2024, 9, 30, 16)).dueAt == at(2024, 10, 8, 17, 30))
    }

    @Test func extendedSpringFestival2020() throws {
        // Thu 2020-01-23: 01-24..02-02 off (incl. 01-31 and the cancelled 02-01 make-up day) → Mon 02-03.
        #expect(try due(at(2020, 1, 23, 10), 1) == at(2020, 2, 3, 17, 30))
        // Received on the cancelled make-up day: a holiday, so counting starts Monday 02-03 (day 1).
        #expect(cal.day(LocalDate(year: 2020, month: 2, day: 1))?.isWorkingDay == false)
        #expect(try due(at(2020, 2, 1, 10), 1) == at(2020, 2, 3, 17, 30))
        #expect(try due(at(2020, 2, 1, 10), 1, .elapsed) == at(2020, 2, 3, 17, 30))
    }

    @Test func makeupWorkdays() throws {
        // Received on a make-up Sunday (2024-02-04): it is a working day but, as the day of receipt, not counted.
        #expect(try due(at(2024, 2, 4, 10), 1) == at(2024, 2, 5, 17, 30))
        #expect(try due(at(2024, 2, 4, 10), 1, .elapsed) == at(2024, 2, 5, 10))
        // Make-up Saturday 2025-02-08: 3 days → Mon 10, Tue 11, Wed 12.
        #expect(try due(at(2025, 2, 8, 15), 3) == at(2025, 2, 12, 17, 30))
        // A make-up day is counted: Fri 2019-09-27 + 1 → Sun 2019-09-29 (国庆节调休).
        #expect(try due(at(2019, 9, 27, 10), 1) == at(2019, 9, 29, 17, 30))
        // Fri 2024-10-11 + 1 → Sat 2024-10-12 (国庆节调休).
        #expect(try due(at(2024, 10, 11, 10), 1) == at(2024, 10, 12, 17, 30))
        // Received on a weekend or holiday: the next working day is day 1.
        #expect(try due(at(2024, 3, 9, 10), 1) == at(2024, 3, 11, 17, 30))
        #expect(try due(at(2024, 10, 3, 10), 1) == at(2024, 10, 8, 17, 30))
    }

    @Test func warningTime() throws {
        // following_days, 1 day: 80 % of 7 h = 5 h 36 min into Wed: 09:00–12:00 (3 h) + 13:30 + 2 h 36 min = 16:06.
        let s = try SLAClock(receivedAt: at(2024, 3, 5, 10), limitWorkingDays: 1).evaluate(on: cal, now: at(2024, 3, 5, 10))
        #expect(s.warnAt == at(2024, 3, 6, 16, 6))
        #expect(!s.isWarning)
        let later = try SLAClock(receivedAt: at(2024, 3, 5, 10), limitWorkingDays: 1).evaluate(on: cal, now: at(2024, 3, 6, 16, 30))
        #expect(later.isWarning && !later.isOverdue)
    }

    @Test func pauseResumeExtensionAndClosure() throws {
        // Tue 2024-03-05 10:00, 5 working days → 3/6, 3/7, 3/8, 3/11, 3/12 → Tue 3/12 17:30.
        var clock = SLAClock(receivedAt: at(2024, 3, 5, 10), limitWorkingDays: 5)
        #expect(try clock.evaluate(on: cal, now: at(2024, 3, 5, 11)).dueAt == at(2024, 3, 12, 17, 30))

        // Paused Wed 10:00 → Thu 10:00 = 7 business hours = one working day.
        clock.pauses = [SLAPause(start: at(2024, 3, 6, 10), end: nil)]
        let whilePaused = try clock.evaluate(on: cal, now: at(2024, 3, 6, 15))
        #expect(whilePaused.isPaused)
        // Open pause counts up to now: Wed 10:00–12:00 + 13:30–15:00 = 3 h 30 min.
        #expect(whilePaused.pausedBusinessSeconds == 12600)
        #expect(try whilePaused.dueAt == cal.addingWorkingSeconds(12600, to: at(2024, 3, 12, 17, 30)))

        clock.pauses[0].end = at(2024, 3, 7, 10)
        let resumed = try clock.evaluate(on: cal, now: at(2024, 3, 8, 9))
        #expect(!resumed.isPaused)
        #expect(resumed.pausedBusinessSeconds == 25200)
        #expect(resumed.dueAt == at(2024, 3, 13, 17, 30))

        // Extension of 2 working days (延期): Wed 3/13 → Fri 3/15.
        clock.extensions = [SLAExtension(workingDays: 2, approvedAt: at(2024, 3, 11, 9), reason: "需现场核查")]
        #expect(try clock.evaluate(on: cal, now: at(2024, 3, 11, 10)).dueAt == at(2024, 3, 15, 17, 30))

        // Closed Tue 3/12 12:00: Tue 10:00→17:30 = 6 h, Wed/Thu/Fri/Mon 28 h, Tue morning 3 h = 37 h, minus 7 h paused.
        clock.closedAt = at(2024, 3, 12, 12)
        let closed = try clock.evaluate(on: cal, now: at(2024, 4, 1))
        #expect(closed.elapsedBusinessSeconds == 30 * 3600)
        #expect(closed.handlingWorkingDays == 30.0 / 7.0)
        #expect(closed.deadlineMet == true)
        #expect(!closed.isOverdue && !closed.isPaused)

        // Closed late without the extension.
        clock.extensions = []
        clock.closedAt = at(2024, 3, 14, 9, 30)
        let late = try clock.evaluate(on: cal, now: at(2024, 4, 1))
        #expect(late.deadlineMet == false)
        #expect(late.isOverdue)
        // Exactly at the deadline counts as met.
        clock.closedAt = at(2024, 3, 13, 17, 30)
        #expect(try clock.evaluate(on: cal, now: at(2024, 4, 1)).deadlineMet == true)
    }

    @Test func pauseBeforeCountingStartsDoesNotMoveAFollowingDaysDeadline() throws {
        // Received Tue 10:00 and paused until 15:00 the same day: the receipt day is not counted anyway.
        var clock = SLAClock(receivedAt: at(2024, 3, 5, 10), limitWorkingDays: 1)
        clock.pauses = [SLAPause(start: at(2024, 3, 5, 10), end: at(2024, 3, 5, 15))]
        let s = try clock.evaluate(on: cal, now: at(2024, 3, 6, 9))
        #expect(s.dueAt == at(2024, 3, 6, 17, 30))
        #expect(s.pausedBusinessSeconds == 3 * 3600 + 30 * 60)
        #expect(s.deadlineShiftBusinessSeconds == 0)
        // Under the elapsed rule the same pause moves the deadline by 3 h 30 min: Wed 10:00 → 15:00.
        clock.rule = .elapsed
        #expect(try clock.evaluate(on: cal, now: at(2024, 3, 6, 9)).dueAt == at(2024, 3, 6, 15))
    }

    @Test func calendarEditMovesAnOpenDeadline() throws {
        let clock = SLAClock(receivedAt: at(2024, 3, 5, 10), limitWorkingDays: 5)
        #expect(try clock.evaluate(on: cal, now: at(2024, 3, 5, 11)).dueAt == at(2024, 3, 12, 17, 30))
        let edited = try cal.replacing([CalendarDay(date: LocalDate(year: 2024, month: 3, day: 8), kind: .holiday, name: "临时调整")])
        #expect(edited.day(LocalDate(year: 2024, month: 3, day: 8))?.kind == .holiday)
        #expect(try clock.evaluate(on: edited, now: at(2024, 3, 5, 11)).dueAt == at(2024, 3, 13, 17, 30))
        // Other data is kept.
        #expect(edited.day(LocalDate(year: 2024, month: 10, day: 1))?.name == "国庆节")
        #expect(edited.explicitDays.count == cal.explicitDays.count + 1)
        // Edits must stay inside the coverage.
        #expect(throws: CalendarError.outsideCoverage(LocalDate(year: 2027, month: 1, day: 4))) {
            try cal.replacing([CalendarDay(date: LocalDate(year: 2027, month: 1, day: 4), kind: .holiday)])
        }
        #expect(throws: CalendarError.self) {
            try cal.replacing([CalendarDay(date: LocalDate(year: 2024, month: 3, day: 6), kind: .makeupWorkday)])
        }
    }

    @Test func outsideCoverageIsReportedNeverGuessed() throws {
        // Fri 2026-12-25 + 10 working days needs January 2027, which no notice covers yet.
        let clock = SLAClock(receivedAt: at(2026, 12, 25, 10), limitWorkingDays: 10)
        #expect(throws: CalendarError.outsideCoverage(LocalDate(year: 2027, month: 1, day: 1))) {
            try clock.evaluate(on: cal, now: at(2026, 12, 25, 11))
        }
        let e = clock.explain(on: cal, now: at(2026, 12, 25, 11))
        #expect(e.calendarIncomplete)
        #expect(e.missingDates == [LocalDate(year: 2027, month: 1, day: 1)])
        #expect(e.dueAt == nil && e.warnAt == nil)
        #expect(e.linesZH.contains { $0.contains("工作日历不完整") && $0.contains("2027-01-01") })
        #expect(e.linesEN.contains { $0.contains("incomplete") && $0.contains("2027-01-01") })
        // Receipt before the coverage.
        #expect(throws: CalendarError.outsideCoverage(LocalDate(year: 2018, month: 12, day: 28))) {
            try SLAClock(receivedAt: at(2018, 12, 28, 10), limitWorkingDays: 1).evaluate(on: cal, now: at(2019, 1, 2))
        }
        // The deadline is known but "now" is past the coverage: elapsed time is unknown, the deadline is shown.
        let open = SLAClock(receivedAt: at(2026, 12, 1, 10), limitWorkingDays: 3)
        let e2 = open.explain(on: cal, now: at(2027, 1, 5))
        #expect(e2.calendarIncomplete)
        #expect(e2.missingDates == [LocalDate(year: 2027, month: 1, day: 5)])
        #expect(e2.dueAt == at(2026, 12, 4, 17, 30))
        #expect(e2.elapsedBusinessSeconds == nil)
        // A closed letter does not need "now".
        var closed = open
        closed.closedAt = at(2026, 12, 3, 10)
        #expect(try closed.evaluate(on: cal, now: at(2027, 3, 1)).deadlineMet == true)
        #expect(!closed.explain(on: cal, now: at(2027, 3, 1)).calendarIncomplete)
        // An empty calendar covers nothing.
        let empty = try WorkCalendar(coveredYears: [], overrides: [])
        #expect(empty.coverage == nil)
        #expect(throws: CalendarError.self) { try empty.businessPosition(of: at(2024, 1, 1)) }
    }

    @Test func explanationShowsSkippedAndCountedDays() throws {
        // Report (15 days) received Mon 2024-09-30 16:00.
        let clock = SLAClock(receivedAt: at(2024, 9, 30, 16), limitWorkingDays: 15)
        let e = clock.explain(on: cal, now: at(2024, 10, 9, 10))
        #expect(!e.calendarIncomplete)
        #expect(e.receivedOn == LocalDate(year: 2024, month: 9, day: 30))
        #expect(e.receivedOnKind == .workday)
        #expect(e.countingStartsOn == LocalDate(year: 2024, month: 10, day: 8))
        #expect(e.countedDays.count == 15)
        #expect(e.countedDays.allSatisfy { $0.businessSeconds == 25200 })
        // The make-up Saturday 10-12 is counted and flagged.
        let sat = try #require(e.countedDays.first { $0.date == LocalDate(year: 2024, month: 10, day: 12) })
        #expect(sat.isMakeupWorkday && sat.name == "国庆节调休")
        // Receipt day, the seven holiday days and the ordinary weekends are skipped.
        #expect(e.skippedDays.first?.date == e.receivedOn)
        #expect(e.skippedDays.first?.reasonEN.contains("receipt") == true)
        let holidays = e.skippedDays.filter { $0.kind == .holiday }
        #expect(holidays.count == 7 && holidays.allSatisfy { $0.name == "国庆节" && $0.reasonZH.contains("国庆节") })
        // Counted + skipped days cover the window from receipt to due without gaps.
        let dueDay = try #require(e.dueOn)
        #expect(e.countedDays.count + e.skippedDays.count == dueDay.dayNumber - e.receivedOn.dayNumber + 1)
        #expect(e.countedDays.last?.date == dueDay)
        #expect(e.dueAt == (try Reference.followingDue(at(2024, 9, 30, 16), 15)))
        #expect(e.linesZH.contains { $0.contains("调休上班") })
        #expect(e.linesEN.contains { $0.contains("make-up workday") })
        #expect(e.linesZH.contains { $0.contains("2024-10-01 至 2024-10-07") && $0.contains("国庆节") })
        #expect(e.sources.contains { $0.contains("国办发明电〔2023〕7号") })
        // Explanation encodes to JSON.
        let json = try JSONEncoder().encode(e)
        #expect(!json.isEmpty)
    }

    @Test func explanationMatchesEvaluate() throws {
        var clock = SLAClock(receivedAt: at(2025, 1, 24, 11), rule: .elapsed, limitWorkingDays: 3)
        clock.pauses = [SLAPause(start: at(2025, 2, 5, 9), end: at(2025, 2, 5, 12))]
        let now = at(2025, 2, 6, 10)
        let s = try clock.evaluate(on: cal, now: now)
        let e = clock.explain(on: cal, now: now)
        #expect(e.dueAt == s.dueAt && e.warnAt == s.warnAt)
        #expect(e.elapsedBusinessSeconds == s.elapsedBusinessSeconds)
        let pause = try #require(e.pauses.first)
        #expect(pause.businessSeconds == Int64(3 * 3600))
        #expect(pause.deadlineShiftSeconds == Int64(3 * 3600))
        // Elapsed rule: the receipt day counts partially (11:00–12:00 + 13:30–17:30 = 5 h).
        #expect(e.countedDays.first?.date == LocalDate(year: 2025, month: 1, day: 24))
        #expect(e.countedDays.first?.businessSeconds == 5 * 3600)
        // 1/26 (Sun) is a make-up day for 春节; 1/27 is a workday; then 1/28–2/4 off; paused 3 h on 2/5.
        #expect(e.countedDays.contains { $0.date == LocalDate(year: 2025, month: 1, day: 26) && $0.isMakeupWorkday })
        #expect(e.skippedDays.contains { $0.date == LocalDate(year: 2025, month: 2, day: 3) && $0.kind == .holiday })
        // 5 h (1/24) + 7 h (1/26) + 7 h (1/27) = 19 h, 2 h left + 3 h paused → 2/5 09:00 + 5 h = 15:30.
        #expect(s.dueAt == at(2025, 2, 5, 15, 30))
    }

    @Test func policySelectionPrefersTheMostSpecific() throws {
        let policies = SLAPolicy.defaults + [
            SLAPolicy(category: .complaint, channel: .app, limitWorkingDays: 4),
            SLAPolicy(category: .complaint, departmentID: "zhujianwei", limitWorkingDays: 7),
            SLAPolicy(category: .complaint, departmentID: "zhujianwei", channel: .app, limitWorkingDays: 2),
            SLAPolicy(category: .help, departmentID: "other", limitWorkingDays: 9),
        ]
        func pick(_ c: LetterCategory, _ dept: String?, _ ch: LetterChannel) -> Int? {
            SLAPolicy.select(from: policies, category: c, departmentID: dept, channel: ch)?.limitWorkingDays
        }
        #expect(pick(.complaint, "zhujianwei", .app) == 2)
        #expect(pick(.complaint, "zhujianwei", .portal) == 7)
        #expect(pick(.complaint, nil, .app) == 4)
        #expect(pick(.complaint, "other", .app) == 4)
        #expect(pick(.complaint, nil, .staff) == 5)
        #expect(pick(.help, "zhujianwei", .portal) == 3)
        #expect(pick(.help, "other", .portal) == 9)
        #expect(SLAPolicy.select(from: [], category: .report, departmentID: nil, channel: .portal) == nil)
        // Order in the list does not matter for specificity.
        #expect(SLAPolicy.select(from: policies.reversed(), category: .complaint, departmentID: "zhujianwei", channel: .app)?.limitWorkingDays == 2)
    }

    @Test func defaultPolicies() {
        let limits = Dictionary(uniqueKeysWithValues: SLAPolicy.defaults.map { ($0.category, $0.limitWorkingDays) })
        #expect(limits == [.consultation: 1, .help: 3, .complaint: 5, .suggestion: 10, .report: 15])
        #expect(SLAPolicy.defaults.allSatisfy { $0.rule == .followingDays && $0.warningRatio == 0.8 && $0.departmentID == nil && $0.channel == nil })
    }
}

@Suite("Provisional deadlines: a year whose notice is not loaded (issue 9)")
struct ProvisionalDeadlineTests {
    let cal = Fixture.calendar  // 2019–2026 announced
    var provisional: WorkCalendar { cal.withProvisionalYears(through: 2028) }

    @Test("A deadline that needs 2027 is computed on the weekday rule and marked provisional")
    func deadlineIntoAnUnannouncedYear() throws {
        // Received Monday 2026-12-21 10:00, 15 working days: 2026-12-22…31 gives 8, the rest fall in 2027.
        let clock = SLAClock(receivedAt: Fixture.at(2026, 12, 21, 10), rule: .followingDays, limitWorkingDays: 15)
        #expect(throws: CalendarError.self) { try clock.evaluate(on: cal, now: clock.receivedAt) }
        let (status, isProvisional) = try #require(clock.evaluate(on: cal, provisional: provisional, now: clock.receivedAt))
        #expect(isProvisional)
        // Independently: count weekdays after the receipt date by Foundation, with 2026's holidays from the notice.
        var day = Fixture.gregorian.startOfDay(for: clock.receivedAt)
        var counted = 0
        while counted < 15 {
            day = Fixture.gregorian.date(byAdding: .day, value: 1, to: day)!
            let c = Fixture.gregorian.dateComponents([.year, .month, .day, .weekday], from: day)
            let working = c.year! >= 2027
                ? !(c.weekday == 1 || c.weekday == 7)
                : cal.isWorkingDay(LocalDate(year: c.year!, month: c.month!, day: c.day!))!
            if working { counted += 1 }
        }
        let c = Fixture.gregorian.dateComponents([.year, .month, .day], from: day)
        #expect(status.dueAt == Fixture.at(c.year!, c.month!, c.day!, 17, 30))
        #expect(c.year == 2027)
        // The explanation says so, names the year, and gives the same deadline.
        let e = clock.explain(on: cal, provisional: provisional, now: clock.receivedAt)
        #expect(e.provisional && e.provisionalYears == [2027] && !e.calendarIncomplete)
        #expect(e.dueAt == status.dueAt)
        #expect(e.noteZH?.contains("2027年") == true && e.linesZH.first == e.noteZH)
    }

    @Test("Within announced years nothing is provisional, and the provisional calendar agrees with the announced one")
    func announcedYearsUnchanged() throws {
        let clock = SLAClock(receivedAt: Fixture.at(2026, 9, 28, 10), rule: .followingDays, limitWorkingDays: 15)
        let (status, isProvisional) = try #require(clock.evaluate(on: cal, provisional: provisional, now: clock.receivedAt))
        #expect(!isProvisional)
        #expect(status == (try clock.evaluate(on: cal, now: clock.receivedAt)))
        #expect(!clock.explain(on: cal, provisional: provisional, now: clock.receivedAt).provisional)
        for d in cal.days(from: LocalDate(year: 2026, month: 1, day: 1), to: LocalDate(year: 2026, month: 12, day: 31)) {
            #expect(provisional.day(d.date) == d)
            #expect(!provisional.isProvisional(d.date))
        }
        #expect(provisional.isProvisional(LocalDate(year: 2027, month: 2, day: 6)))
        #expect(provisional.provisionalYears == [2027, 2028] && cal.provisionalYears.isEmpty)
    }

    @Test("Loading the notice replaces the provisional deadline: a holiday on the provisional due date moves it")
    func noticeMovesIt() throws {
        let clock = SLAClock(receivedAt: Fixture.at(2026, 12, 21, 10), rule: .followingDays, limitWorkingDays: 15)
        let (guess, _) = try #require(clock.evaluate(on: cal, provisional: provisional, now: clock.receivedAt))
        let dueOn = cal.localDate(of: guess.dueAt)
        // A hypothetical 2027 notice making the provisional due date a holiday.
        let with2027 = try WorkCalendar(
            coveredYears: cal.coveredYears + [2027], overrides: cal.explicitDays + [CalendarDay(date: dueOn, kind: .holiday, name: "假日")])
        let (real, isProvisional) = try #require(clock.evaluate(on: with2027, provisional: with2027.withProvisionalYears(through: 2028),
                                                                now: clock.receivedAt))
        #expect(!isProvisional)
        #expect(real.dueAt > guess.dueAt)
    }
}
