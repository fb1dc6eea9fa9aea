import Foundation
import MailboxCore
import PropertyBased
import Testing

// Expected values below are worked out by hand (business hours 09:00–12:00 and 13:30–17:30, 7 h a day) and
// cross-checked against the naive `Reference` walk; they never come from the code under test.

private func at(_ y: Int, _ mo: Int, _ d: Int, _ h: Int = 0, _ mi: Int = 0, _ s: Int = 0) -> Date {
    Fixture.at(y, mo, d, h, mi, s)
}

private let hour: Int64 = 3600
private let minute: Int64 = 60
/// Business seconds of one working day, hard-coded on purpose.
private let D: Int64 = 7 * hour
/// Limits written out here rather than read from SLAPolicy.defaults.
private let limits: [LetterCategory: Int] = [.consultation: 1, .help: 3, .complaint: 5, .suggestion: 10, .report: 15]

/// A letter with a following_days clock of its category's limit; closed when `closed` is given.
private func letter(
    _ category: LetterCategory, received: Date, closed: Date? = nil, pauses: [SLAPause] = [],
    extensions: [SLAExtension] = [], returned: Bool = false, reopened: Bool = false,
    rating: ReportLetter.Rating? = nil
) -> ReportLetter {
    ReportLetter(
        receivedAt: received, category: category, channel: .portal, departmentID: "d1",
        status: closed == nil ? .processing : .closed, closedAt: closed,
        clock: SLAClock(
            receivedAt: received, rule: .followingDays, limitWorkingDays: limits[category]!, pauses: pauses,
            extensions: extensions, closedAt: closed),
        returned: returned, extended: !extensions.isEmpty, reopened: reopened, rating: rating)
}

private func metrics(_ letters: [ReportLetter], asOf: Date) -> SLAMetrics {
    var m = SLAMetrics()
    for l in letters { m.add(l, asOf: asOf, calendar: Fixture.calendar) }
    return m
}

/// One scenario letter with its hand-computed figures.
private struct Worked {
    var letter: ReportLetter
    /// Business seconds from receipt to closure, pauses excluded (nil while open).
    var elapsed: Int64?
    /// Closed by its 1-working-day mark.
    var within1: Bool
    /// Closed by its own deadline.
    var onTime: Bool
}

@Suite("SLA report metrics (real 2019–2026 data)")
struct SLAMetricsTests {
    let cal = Fixture.calendar

    // MARK: The 2020Q1 scenario

    /// 47 letters received in 2020Q1: 46 closed, 1 in progress at 2020-04-01 09:00.
    ///
    /// Calendar facts used by hand: 2020-01-01 元旦; Sun 01-19 is a make-up working day (春节调休); 01-24…02-02 are
    /// off (春节, extended to 02-02 by 国办发明电〔2020〕1号, which also cancels the Sat 02-01 make-up day); 02-03
    /// onwards every Monday–Friday of February and March is a working day; 04-04…04-06 清明节.
    fileprivate static let scenario: [Worked] = {
        var w: [Worked] = []
        func add(_ l: ReportLetter, _ elapsed: Int64?, within1: Bool, onTime: Bool) {
            w.append(Worked(letter: l, elapsed: elapsed, within1: within1, onTime: onTime))
        }
        // — Consultations (咨询, 1 working day): mark = due = 17:30 of the first working day after the receipt date.
        // Thu 01-02 10:00 → Fri 01-03 16:00: 6 h + (3 h + 2.5 h). Mark Fri 17:30.
        add(letter(.consultation, received: at(2020, 1, 2, 10), closed: at(2020, 1, 3, 16)),
            11 * hour + 30 * minute, within1: true, onTime: true)
        // Fri 01-03 15:00 → Mon 01-06 17:30 exactly: 2.5 h + 7 h. At the mark: counts.
        add(letter(.consultation, received: at(2020, 1, 3, 15), closed: at(2020, 1, 6, 17, 30)),
            9 * hour + 30 * minute, within1: true, onTime: true)
        // Same, closed 17:31: the same business time (after hours), but one minute past the mark.
        add(letter(.consultation, received: at(2020, 1, 3, 15), closed: at(2020, 1, 6, 17, 31)),
            9 * hour + 30 * minute, within1: false, onTime: false)
        // Sat 01-18 11:00 (weekend) → make-up Sun 01-19 11:00: the mark is Sun 01-19 17:30; 2 h.
        add(letter(.consultation, received: at(2020, 1, 18, 11), closed: at(2020, 1, 19, 11)),
            2 * hour, within1: true, onTime: true)
        // Make-up Sun 01-19 10:00 (a working day, but the receipt date): mark Mon 01-20 17:30. 6 h + 6.5 h.
        add(letter(.consultation, received: at(2020, 1, 19, 10), closed: at(2020, 1, 20, 17)),
            12 * hour + 30 * minute, within1: true, onTime: true)
        // Make-up Sun 01-19 10:00 → Tue 01-21 09:30: 6 h + 7 h + 0.5 h, a day late.
        add(letter(.consultation, received: at(2020, 1, 19, 10), closed: at(2020, 1, 21, 9, 30)),
            13 * hour + 30 * minute, within1: false, onTime: false)
        // Thu 01-23 15:00, eve of the holiday: next working day Mon 02-03. 2.5 h + 6.5 h.
        add(letter(.consultation, received: at(2020, 1, 23, 15), closed: at(2020, 2, 3, 17)),
            9 * hour, within1: true, onTime: true)
        // Mon 01-27 (holiday) → Tue 02-04 10:00: 7 h (02-03) + 1 h. Mark 02-03 17:30. Reopened once.
        add(letter(.consultation, received: at(2020, 1, 27, 10), closed: at(2020, 2, 4, 10), reopened: true),
            8 * hour, within1: false, onTime: false)
        // Fri 01-31 20:00 (an extension day) → Mon 02-03 11:00: 2 h.
        add(letter(.consultation, received: at(2020, 1, 31, 20), closed: at(2020, 2, 3, 11)),
            2 * hour, within1: true, onTime: true)
        // Sat 02-01 09:30, the cancelled make-up day (a holiday now) → Mon 02-03 17:30: 7 h. Had 02-01 stayed a
        // working day this would be 6.5 h + 7 h.
        add(letter(.consultation, received: at(2020, 2, 1, 9, 30), closed: at(2020, 2, 3, 17, 30)),
            7 * hour, within1: true, onTime: true)
        // Tue 03-10 09:00, paused Wed 03-11 10:00–15:00 (2 h + 1.5 h = 3.5 h), closed Thu 03-12 11:00.
        // Mark: Wed 17:30 + 3.5 h = Thu 14:00 (3 h morning + 0.5 h). Elapsed 7 + 7 + 2 − 3.5 = 12.5 h.
        add(letter(.consultation, received: at(2020, 3, 10, 9), closed: at(2020, 3, 12, 11),
                   pauses: [SLAPause(start: at(2020, 3, 11, 10), end: at(2020, 3, 11, 15))]),
            12 * hour + 30 * minute, within1: true, onTime: true)
        // Fri 03-20 16:00 → Tue 03-24 09:00: 1.5 h + 7 h + 0. Mark Mon 03-23 17:30.
        add(letter(.consultation, received: at(2020, 3, 20, 16), closed: at(2020, 3, 24, 9)),
            8 * hour + 30 * minute, within1: false, onTime: false)

        // — Other categories, around the holiday.
        // Complaint (5 days) Wed 01-22 10:00: 01-23, 02-03, 02-04, 02-05, 02-06 → due 02-06 17:30; closed 02-06 16:00.
        // 6 h + 7 h + 3 × 7 h + 5.5 h = 39.5 h.
        add(letter(.complaint, received: at(2020, 1, 22, 10), closed: at(2020, 2, 6, 16)),
            39 * hour + 30 * minute, within1: false, onTime: true)
        // Help (3 days) Mon 01-20 14:00 → due Thu 01-23 17:30, closed exactly then: 3.5 h + 3 × 7 h.
        add(letter(.help, received: at(2020, 1, 20, 14), closed: at(2020, 1, 23, 17, 30)),
            24 * hour + 30 * minute, within1: false, onTime: true)
        // Complaint Thu 01-16 10:00: 01-17, Sun 01-19, 01-20, 01-21, 01-22 → due 01-22; closed 01-23 10:00,
        // six working days later: 6 × 7 h. Returned once by a department.
        add(letter(.complaint, received: at(2020, 1, 16, 10), closed: at(2020, 1, 23, 10), returned: true),
            6 * D, within1: false, onTime: false)
        // Suggestion (10 days) Mon 02-10 10:00 → due Mon 02-24; extended 5 days (approved 02-20) → Mon 03-02.
        // Closed Fri 02-28 10:00 = 14 working days later.
        add(letter(.suggestion, received: at(2020, 2, 10, 10), closed: at(2020, 2, 28, 10),
                   extensions: [SLAExtension(workingDays: 5, approvedAt: at(2020, 2, 20, 10), reason: "需现场核查")]),
            14 * D, within1: false, onTime: true)
        // Same-day closures, 10:00 → 15:00: 2 h + 1.5 h.
        add(letter(.help, received: at(2020, 2, 5, 10), closed: at(2020, 2, 5, 15)),
            3 * hour + 30 * minute, within1: true, onTime: true)
        add(letter(.report, received: at(2020, 3, 2, 10), closed: at(2020, 3, 2, 15)),
            3 * hour + 30 * minute, within1: true, onTime: true)

        // — 28 plain letters, 10:00 → 10:00 k working days later (no holidays between 02-03 and 03-31):
        // elapsed k × 7 h; within 1 working day iff k = 1; on time iff k ≤ the category's limit.
        let plain: [(String, String, Int64, LetterCategory)] = [
            ("2020-02-03", "2020-02-04", 1, .help), ("2020-02-04", "2020-02-05", 1, .help),
            ("2020-02-05", "2020-02-07", 2, .help), ("2020-02-06", "2020-02-10", 2, .help),
            ("2020-02-07", "2020-02-12", 3, .help), ("2020-02-10", "2020-02-13", 3, .help),
            ("2020-02-11", "2020-02-17", 4, .help),
            ("2020-02-12", "2020-02-13", 1, .complaint), ("2020-02-13", "2020-02-17", 2, .complaint),
            ("2020-02-14", "2020-02-19", 3, .complaint), ("2020-02-17", "2020-02-21", 4, .complaint),
            ("2020-02-18", "2020-02-25", 5, .complaint), ("2020-02-19", "2020-02-27", 6, .complaint),
            ("2020-02-20", "2020-02-28", 6, .complaint),
            ("2020-02-21", "2020-02-25", 2, .suggestion), ("2020-02-24", "2020-03-02", 5, .suggestion),
            ("2020-02-25", "2020-03-06", 8, .suggestion), ("2020-02-26", "2020-03-11", 10, .suggestion),
            ("2020-02-27", "2020-03-13", 11, .suggestion),
            ("2020-02-28", "2020-03-04", 3, .report), ("2020-03-02", "2020-03-11", 7, .report),
            ("2020-03-03", "2020-03-17", 10, .report), ("2020-03-04", "2020-03-25", 15, .report),
            ("2020-03-05", "2020-03-27", 16, .report),
            ("2020-03-06", "2020-03-09", 1, .help), ("2020-03-09", "2020-03-11", 2, .help),
            ("2020-03-10", "2020-03-11", 1, .complaint), ("2020-03-11", "2020-03-16", 3, .complaint),
        ]
        for (i, (r, c, k, category)) in plain.enumerated() {
            // Ratings on the first 20: all satisfied but #2 and #6; all resolved but #2, #6 and #9.
            let rating = i < 20 ? ReportLetter.Rating(satisfied: i != 2 && i != 6, resolved: ![2, 6, 9].contains(i)) : nil
            let l = letter(
                category, received: Reference.instant(LocalDate(iso: r)!, 10 * 3600),
                closed: Reference.instant(LocalDate(iso: c)!, 10 * 3600), returned: i == 4 || i == 12, rating: rating)
            add(l, k * D, within1: k == 1, onTime: k <= Int64(limits[category]!))
        }

        // — The one in progress: a suggestion received Mon 03-30 10:00 (due 04-14, not overdue at 04-01 09:00);
        // its 1-working-day mark, Tue 03-31 17:30, has passed.
        add(letter(.suggestion, received: at(2020, 3, 30, 10)), nil, within1: false, onTime: false)
        return w
    }()

    static let scenarioAsOf = at(2020, 4, 1, 9)

    @Test func scenarioHandFiguresAgreeWithTheNaiveReference() throws {
        // Guards the hand arithmetic above: elapsed = naive position difference − paused seconds.
        for w in Self.scenario {
            guard let closed = w.letter.closedAt, let elapsed = w.elapsed else { continue }
            var paused: Int64 = 0
            for p in w.letter.clock?.pauses ?? [] {
                paused += Int64(try Reference.position(p.end!) - Reference.position(p.start))
            }
            let naive = Int64(try Reference.position(closed) - Reference.position(w.letter.receivedAt)) - paused
            #expect(naive == elapsed, "received \(w.letter.receivedAt)")
        }
        // And the plain rows really are k working days apart.
        #expect(Self.scenario.count == 47)
    }

    @Test func quarter2020Q1Totals() throws {
        let letters = Self.scenario.map(\.letter)
        let period = try #require(ReportPeriod(quarter: "2020Q1"))
        #expect(letters.allSatisfy { period.contains($0.receivedAt, calendar: cal) })
        let m = metrics(letters, asOf: Self.scenarioAsOf)

        // Independent sums of the hand figures.
        let closed = Self.scenario.filter { $0.elapsed != nil }
        let within = Self.scenario.filter(\.within1).count
        let onTime = Self.scenario.filter(\.onTime).count
        let elapsedSum = closed.reduce(Int64(0)) { $0 + $1.elapsed! }

        #expect(m.received == 47)
        #expect(m.closed == 46 && closed.count == 46)
        #expect(m.open == 1)
        #expect(m.rejected == 0 && m.merged == 0)
        #expect(m.overdueOpen == 0)
        #expect(m.closedWithin1WorkingDay == 15 && within == 15)
        // Denominator: 46 closed + the open suggestion whose mark (03-31 17:30) has passed.
        #expect(m.within1WorkingDayRate == 15.0 / 47.0)
        #expect(m.closedOnTime == 36 && onTime == 36)
        #expect(m.onTimeRate == 36.0 / 46.0)
        #expect(elapsedSum == 4_591_800)
        #expect(m.avgHandlingWorkingDays == Double(elapsedSum) / Double(46 * D))
        #expect(abs(m.avgHandlingWorkingDays! - 3.961_180_124_223_602_7) < 1e-12)
        #expect(m.rated == 20)
        #expect(m.satisfactionRate == 18.0 / 20.0)
        #expect(m.resolutionRate == 17.0 / 20.0)
        #expect(m.returned == 3 && m.extended == 1 && m.reopened == 1)
    }

    @Test func quarter2020Q1Consultations() throws {
        let consultations = Self.scenario.filter { $0.letter.category == .consultation }
        let m = metrics(consultations.map(\.letter), asOf: Self.scenarioAsOf)
        let elapsedSum = consultations.reduce(Int64(0)) { $0 + $1.elapsed! }
        #expect(m.received == 12 && m.closed == 12 && m.open == 0)
        #expect(m.closedWithin1WorkingDay == 8)
        #expect(m.within1WorkingDayRate == 8.0 / 12.0)
        #expect(m.closedOnTime == 8 && m.onTimeRate == 8.0 / 12.0)
        #expect(elapsedSum == 379_800)
        #expect(m.avgHandlingWorkingDays == 379_800.0 / (12.0 * 25_200.0))
    }

    @Test func quarter2020Q1Paragraph() throws {
        let letters = Self.scenario.map(\.letter)
        let totals = metrics(letters, asOf: Self.scenarioAsOf)
        let consultation = metrics(letters.filter { $0.category == .consultation }, asOf: Self.scenarioAsOf)
        let period = try #require(ReportPeriod(quarter: "2020Q1"))
        // 8/12 = 66.67 % → "66.7%"; 4 591 800 / (46 × 25 200) = 3.961… → "4.0".
        #expect(QuarterlySummary.paragraph(period: period, totals: totals, consultation: consultation)
            == "区长信箱2020年一季度共收到公众来信47件，已办结46件，正在办理中1件。咨询类信件1个工作日内办结率66.7%，平均办件天数4.0个工作日。")
    }

    @Test func groupsByCategorySumToTheTotals() throws {
        let letters = Self.scenario.map(\.letter)
        let groups = SLAMetrics.grouped(letters, asOf: Self.scenarioAsOf, calendar: cal) { $0.category }
        #expect(groups.count == 5)
        let sum = groups.values.reduce(SLAMetrics(), +)
        #expect(sum == metrics(letters, asOf: Self.scenarioAsOf))
    }

    // MARK: The 1-working-day mark

    @Test func closingTimeIsTheMark() throws {
        // Tue 2024-03-05 10:00 → mark Wed 03-06 17:30.
        let r = at(2024, 3, 5, 10)
        #expect(try SLAMetrics.oneWorkingDayMark(receivedAt: r, pausedBusinessSeconds: 0, calendar: cal)
            == at(2024, 3, 6, 17, 30))
        let asOf = at(2024, 3, 8, 12)
        let onTheDot = metrics([letter(.complaint, received: r, closed: at(2024, 3, 6, 17, 30))], asOf: asOf)
        #expect(onTheDot.closedWithin1WorkingDay == 1 && onTheDot.within1WorkingDayRate == 1)
        let aMinuteLate = metrics([letter(.complaint, received: r, closed: at(2024, 3, 6, 17, 31))], asOf: asOf)
        #expect(aMinuteLate.closedWithin1WorkingDay == 0 && aMinuteLate.within1WorkingDayRate == 0)
        // The category's own limit does not matter: the complaint is on time either way.
        #expect(aMinuteLate.closedOnTime == 1)
        // Closed the same evening after hours: still the receipt date, within.
        let evening = metrics([letter(.complaint, received: r, closed: at(2024, 3, 5, 20))], asOf: asOf)
        #expect(evening.closedWithin1WorkingDay == 1)
    }

    @Test func receiptOnAMakeupDayIsNotCounted() throws {
        func mark(_ t: Date) throws -> Date {
            try SLAMetrics.oneWorkingDayMark(receivedAt: t, pausedBusinessSeconds: 0, calendar: cal)
        }
        // Make-up Sunday 2020-01-19 (春节调休) → Mon 01-20.
        #expect(try mark(at(2020, 1, 19, 10)) == at(2020, 1, 20, 17, 30))
        // Make-up Sunday 2024-09-29 (国庆节调休) → Mon 09-30.
        #expect(try mark(at(2024, 9, 29, 10)) == at(2024, 9, 30, 17, 30))
        // Make-up Saturday 2024-10-12 → Mon 10-14.
        #expect(try mark(at(2024, 10, 12, 10)) == at(2024, 10, 14, 17, 30))
        // A make-up day after the receipt date is counted: Fri 2024-10-11 → Sat 10-12.
        #expect(try mark(at(2024, 10, 11, 10)) == at(2024, 10, 12, 17, 30))
        // Ordinary Saturday → Monday.
        #expect(try mark(at(2024, 3, 9, 10)) == at(2024, 3, 11, 17, 30))
    }

    @Test func eveOfALongHoliday() throws {
        // Mon 2024-09-30 16:00; 10-01…10-07 国庆节 → Tue 10-08 17:30.
        let r = at(2024, 9, 30, 16)
        #expect(try SLAMetrics.oneWorkingDayMark(receivedAt: r, pausedBusinessSeconds: 0, calendar: cal)
            == at(2024, 10, 8, 17, 30))
        let asOf = at(2024, 10, 31)
        let m = metrics([
            letter(.consultation, received: r, closed: at(2024, 10, 8, 17)),
            letter(.consultation, received: r, closed: at(2024, 10, 9, 9, 1)),
        ], asOf: asOf)
        #expect(m.closedWithin1WorkingDay == 1 && m.within1WorkingDayRate == 0.5)
        #expect(m.closedOnTime == 1 && m.onTimeRate == 0.5)
        // 1.5 h + 6.5 h, and 1.5 h + 7 h + 1 min.
        let elapsedSum: Int64 = (8 * hour) + (8 * hour + 30 * minute + minute)
        #expect(m.avgHandlingWorkingDays == Double(elapsedSum) / Double(2 * D))
    }

    @Test func springFestival2020() throws {
        func mark(_ t: Date) throws -> Date {
            try SLAMetrics.oneWorkingDayMark(receivedAt: t, pausedBusinessSeconds: 0, calendar: cal)
        }
        // Thu 2020-01-23 afternoon: off until 02-02 (extension) → Mon 02-03.
        #expect(try mark(at(2020, 1, 23, 15)) == at(2020, 2, 3, 17, 30))
        // During the holiday, and on the cancelled make-up Saturday 02-01.
        #expect(try mark(at(2020, 1, 28, 10)) == at(2020, 2, 3, 17, 30))
        #expect(try mark(at(2020, 2, 1, 10)) == at(2020, 2, 3, 17, 30))
        // Wed 01-22 → Thu 01-23.
        #expect(try mark(at(2020, 1, 22, 10)) == at(2020, 1, 23, 17, 30))
    }

    @Test func pausedTimeMovesTheMarkLater() throws {
        // Wed 2024-03-06 17:30 + 3.5 business hours = Thu 03-07 14:00 (3 h morning + 30 min after lunch).
        #expect(try SLAMetrics.oneWorkingDayMark(
            receivedAt: at(2024, 3, 5, 10), pausedBusinessSeconds: 3 * hour + 30 * minute, calendar: cal)
            == at(2024, 3, 7, 14))
        // A whole day of pause: Thu 17:30.
        #expect(try SLAMetrics.oneWorkingDayMark(receivedAt: at(2024, 3, 5, 10), pausedBusinessSeconds: D, calendar: cal)
            == at(2024, 3, 7, 17, 30))

        let r = at(2024, 3, 5, 10)
        let asOf = at(2024, 3, 20)
        // Paused Wed 10:00–11:00 (1 h): mark Thu 10:00; closed Thu 09:30 → within.
        let paused = letter(.complaint, received: r, closed: at(2024, 3, 7, 9, 30),
                            pauses: [SLAPause(start: at(2024, 3, 6, 10), end: at(2024, 3, 6, 11))])
        #expect(try SLAMetrics.oneWorkingDayMark(for: paused, asOf: asOf, calendar: cal) == at(2024, 3, 7, 10))
        #expect(metrics([paused], asOf: asOf).closedWithin1WorkingDay == 1)
        // Paused on the receipt date only (Tue 10:30–17:00): that date is not counted, the mark stays Wed 17:30.
        let pausedOnReceiptDate = letter(.complaint, received: r, closed: at(2024, 3, 7, 9, 30),
                                         pauses: [SLAPause(start: at(2024, 3, 5, 10, 30), end: at(2024, 3, 5, 17))])
        #expect(try SLAMetrics.oneWorkingDayMark(for: pausedOnReceiptDate, asOf: asOf, calendar: cal)
            == at(2024, 3, 6, 17, 30))
        let m = metrics([pausedOnReceiptDate], asOf: asOf)
        #expect(m.closedWithin1WorkingDay == 0)
        // Its elapsed time still leaves the pause out: 6 h + 7 h + 0.5 h − (1.5 h + 3.5 h) = 8.5 h.
        let elapsed: Int64 = 8 * hour + 30 * minute
        #expect(m.avgHandlingWorkingDays == Double(elapsed) / Double(D))
    }

    @Test func anOpenPauseKeepsTheMarkAhead() throws {
        // Received Tue 2024-03-05 10:00, paused since Wed 09:00 and still paused at Thu 12:00: 7 h + 3 h paused,
        // so the mark is Wed 17:30 + 10 h = Fri 03-08 12:00 — not passed, not in the denominator; the clock's
        // due time moves the same way, so not overdue either.
        let open = letter(.consultation, received: at(2024, 3, 5, 10), pauses: [SLAPause(start: at(2024, 3, 6, 9))])
        let asOf = at(2024, 3, 7, 12)
        #expect(try SLAMetrics.oneWorkingDayMark(for: open, asOf: asOf, calendar: cal) == at(2024, 3, 8, 12))
        let m = metrics([open], asOf: asOf)
        #expect(m.open == 1 && m.overdueOpen == 0)
        #expect(m.within1WorkingDayRate == nil && m.onTimeRate == nil)
        // Without the pause the same letter is overdue and past its mark at that instant.
        let unpaused = metrics([letter(.consultation, received: at(2024, 3, 5, 10))], asOf: asOf)
        #expect(unpaused.overdueOpen == 1 && unpaused.onTimeRate == 0 && unpaused.within1WorkingDayRate == 0)
    }

    // MARK: Counting rules

    @Test func emptyDenominatorsGiveNilRates() throws {
        let empty = SLAMetrics()
        #expect(empty.onTimeRate == nil && empty.within1WorkingDayRate == nil && empty.avgHandlingWorkingDays == nil)
        #expect(empty.satisfactionRate == nil && empty.resolutionRate == nil)
        // Only rejected and merged letters: counted, but no rate has a denominator.
        let r = at(2024, 3, 5, 10)
        var rejected = letter(.complaint, received: r)
        rejected.status = .rejected
        var merged = letter(.complaint, received: r)
        merged.status = .merged
        let m = metrics([rejected, merged], asOf: at(2024, 4, 1))
        #expect(m.received == 2 && m.rejected == 1 && m.merged == 1 && m.open == 0 && m.closed == 0)
        #expect(m.onTimeRate == nil && m.within1WorkingDayRate == nil && m.avgHandlingWorkingDays == nil)
        #expect(m.satisfactionRate == nil && m.resolutionRate == nil)
        // A fresh open letter before its mark and deadline: still nothing to divide by.
        let fresh = metrics([letter(.consultation, received: r)], asOf: at(2024, 3, 5, 11))
        #expect(fresh.open == 1 && fresh.onTimeRate == nil && fresh.within1WorkingDayRate == nil)
        for v in [m, fresh] {
            for rate in [v.onTimeRate, v.within1WorkingDayRate, v.avgHandlingWorkingDays, v.satisfactionRate] {
                #expect(rate.map { $0.isNaN } != true)
            }
        }
    }

    @Test func closureAfterAsOfCountsAsOpen() throws {
        // Consultation received Tue 2024-03-05 10:00 (due Wed 17:30), closed Fri 03-08 10:00.
        let l = letter(.consultation, received: at(2024, 3, 5, 10), closed: at(2024, 3, 8, 10))
        let before = metrics([l], asOf: at(2024, 3, 7, 12))
        #expect(before.closed == 0 && before.open == 1 && before.overdueOpen == 1)
        #expect(before.onTimeRate == 0 && before.avgHandlingWorkingDays == nil)
        let after = metrics([l], asOf: at(2024, 3, 8, 10))
        #expect(after.closed == 1 && after.open == 0 && after.overdueOpen == 0 && after.closedOnTime == 0)
        // 6 h + 7 h + 7 h + 1 h.
        #expect(after.avgHandlingWorkingDays == 3.0)
    }

    @Test func lettersWithoutAClock() throws {
        let r = at(2024, 3, 5, 10)
        let closed = ReportLetter(receivedAt: r, category: .consultation, channel: .staff, status: .closed,
                                  closedAt: at(2024, 3, 6, 9, 30))
        let forgotten = ReportLetter(receivedAt: r, category: .consultation, channel: .staff, status: .processing)
        let m = metrics([closed, forgotten], asOf: at(2024, 12, 31))
        #expect(m.closed == 1 && m.open == 1)
        #expect(m.overdueOpen == 0)
        // Left out of the on-time rate and the average, but the 1-working-day mark needs no clock.
        #expect(m.onTimeRate == nil && m.avgHandlingWorkingDays == nil)
        #expect(m.closedWithin1WorkingDay == 1 && m.within1WorkingDayRate == 0.5)
    }

    @Test func extensionsAndPausesAfterAsOfAreIgnored() throws {
        // Complaint Tue 2024-03-05 10:00, due Tue 03-12 17:30; an extension approved 03-14 (after the deadline).
        let l = letter(.complaint, received: at(2024, 3, 5, 10), closed: at(2024, 3, 15, 10),
                       extensions: [SLAExtension(workingDays: 5, approvedAt: at(2024, 3, 14, 9), reason: "补充调查")])
        // As of 03-13 the extension does not exist yet: overdue.
        #expect(metrics([l], asOf: at(2024, 3, 13, 9)).overdueOpen == 1)
        // As of 03-20 it does: closed on time.
        #expect(metrics([l], asOf: at(2024, 3, 20)).closedOnTime == 1)
    }

    @Test func datesOutsideTheCalendarAreCountedButNotMeasured() throws {
        let l = letter(.complaint, received: at(2026, 12, 30, 10), closed: at(2026, 12, 31, 10))
        let m = metrics([l], asOf: at(2026, 12, 31, 12))
        // The 5-day deadline needs 2027, which the calendar does not cover.
        #expect(m.received == 1 && m.closed == 1 && m.outsideCalendar == 1)
        #expect(m.onTimeRate == nil && m.within1WorkingDayRate == nil && m.avgHandlingWorkingDays == nil)
    }

    // MARK: Merging and JSON

    /// Random letters across 2019–2026 with pauses, extensions, ratings and all statuses.
    static let randomLetters = zip(
        Gen.int(in: Int(Fixture.coverageStart.timeIntervalSince1970)...Int(Fixture.receiptEnd.timeIntervalSince1970)),
        Gen.int(in: 0..<LetterCategory.allCases.count),
        Gen.int(in: 0..<LetterStatus.allCases.count),
        Gen.int(in: 0...(20 * 86400)),  // closure delay
        Gen.int(in: 0...(5 * 86400)),  // pause start offset
        Gen.int(in: 0...(3 * 86400)),  // pause length (0: no pause)
        Gen.int(in: 0...255),  // flags
        Gen.int(in: 0...1)  // group
    ).map { (v: (Int, Int, Int, Int, Int, Int, Int, Int)) -> (ReportLetter, Int) in
        let (t, c, s, delay, pauseAt, pauseLength, flags, group) = v
        let received = Date(timeIntervalSince1970: Double(t))
        let category = LetterCategory.allCases[c]
        let status = LetterStatus.allCases[s]
        let closed = status == .closed || flags & 1 != 0 ? received.addingTimeInterval(Double(delay)) : nil
        var l = letter(category, received: received, closed: status == .closed ? closed : nil)
        l.status = status
        l.closedAt = closed
        if pauseLength > 0 {
            let start = received.addingTimeInterval(Double(pauseAt))
            l.clock?.pauses = [SLAPause(start: start, end: flags & 2 != 0 ? nil : start.addingTimeInterval(Double(pauseLength)))]
        }
        if flags & 4 != 0 {
            l.clock?.extensions = [SLAExtension(workingDays: 3, approvedAt: received.addingTimeInterval(86400), reason: "x")]
            l.extended = true
        }
        if flags & 8 != 0 { l.clock = nil }
        l.returned = flags & 16 != 0
        l.reopened = flags & 32 != 0
        if flags & 64 != 0 { l.rating = .init(satisfied: flags & 128 != 0, resolved: delay % 2 == 0) }
        return (l, group)
    }

    @Test func sumOfGroupsEqualsAddingAllLetters() async throws {
        await propertyCheck(count: 200, input: Self.randomLetters.array(of: 0...25), Gen.int(in: 0...(30 * 86400))) {
            sample, asOfDelay in
            let asOf = (sample.map(\.0.receivedAt).max() ?? Fixture.coverageStart).addingTimeInterval(Double(asOfDelay))
            var all = SLAMetrics(), a = SLAMetrics(), b = SLAMetrics()
            for (l, group) in sample {
                all.add(l, asOf: asOf, calendar: cal)
                if group == 0 { a.add(l, asOf: asOf, calendar: cal) } else { b.add(l, asOf: asOf, calendar: cal) }
            }
            #expect(a + b == all)
            #expect(b + a == all)
            #expect(all + SLAMetrics() == all)
            #expect(all.received == sample.count)
            #expect(all.rejected + all.merged + all.closed + all.open == all.received)
            #expect(all.closedOnTime <= all.closed && all.overdueOpen <= all.open)
            for rate in [all.onTimeRate, all.within1WorkingDayRate, all.satisfactionRate, all.resolutionRate] {
                if let rate { #expect(rate >= 0 && rate <= 1) }
            }
        }
    }

    @Test func jsonKeysAndNulls() throws {
        let expectedKeys: Set<String> = [
            "received", "rejected", "merged", "closed", "open", "overdue_open", "closed_on_time", "on_time_rate",
            "closed_within_1_working_day", "within_1_working_day_rate", "avg_handling_working_days", "rated",
            "satisfaction_rate", "resolution_rate", "returned", "extended", "reopened",
        ]
        let empty = try JSONSerialization.jsonObject(with: JSONEncoder().encode(SLAMetrics())) as! [String: Any]
        #expect(Set(empty.keys) == expectedKeys)
        #expect(empty["on_time_rate"] is NSNull && empty["avg_handling_working_days"] is NSNull)
        #expect((empty["received"] as? Int) == 0)

        let m = metrics(Self.scenario.map(\.letter), asOf: Self.scenarioAsOf)
        let data = try JSONEncoder().encode(m)
        let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        #expect(Set(object.keys) == expectedKeys)
        #expect((object["closed_within_1_working_day"] as? Int) == 15)
        #expect((object["within_1_working_day_rate"] as? Double) == 15.0 / 47.0)
        #expect((object["avg_handling_working_days"] as? Double) == 4_591_800.0 / (46.0 * 25_200.0))
        // The decoded value carries the published figures (not the sums behind them).
        let back = try JSONDecoder().decode(SLAMetrics.self, from: data)
        #expect(back.closed == 46 && back.onTimeRate == m.onTimeRate && back.avgHandlingWorkingDays == m.avgHandlingWorkingDays)
    }

    // MARK: Periods and wording

    @Test func quarters() throws {
        let q1 = try #require(ReportPeriod(quarter: "2020Q1"))
        #expect(q1.from == LocalDate(year: 2020, month: 1, day: 1) && q1.to == LocalDate(year: 2020, month: 3, day: 31))
        #expect(q1.quarterName == "一季度" && q1.chineseName == "2020年一季度")
        let q4 = try #require(ReportPeriod(quarter: "2024q4"))
        #expect(q4.from == LocalDate(year: 2024, month: 10, day: 1) && q4.to == LocalDate(year: 2024, month: 12, day: 31))
        #expect(q4.quarterName == "四季度")
        #expect(ReportPeriod(quarter: "2021Q2")?.to == LocalDate(year: 2021, month: 6, day: 30))
        #expect(ReportPeriod(quarter: "2021Q3")?.quarterName == "三季度")
        for bad in ["", "2020", "2020Q0", "2020Q5", "20Q1", "2020-Q1", "2020Q1 ", "２０２０Q1", "0000Q1"] {
            #expect(ReportPeriod(quarter: bad) == nil, "\(bad)")
        }
        let custom = ReportPeriod(from: LocalDate(year: 2020, month: 1, day: 1), to: LocalDate(year: 2020, month: 2, day: 15))
        #expect(custom.quarterName == nil && custom.chineseName == "2020年1月1日至2月15日")
        let straddling = ReportPeriod(from: LocalDate(year: 2019, month: 12, day: 1), to: LocalDate(year: 2020, month: 2, day: 29))
        #expect(straddling.quarterName == nil && straddling.chineseName == "2019年12月1日至2020年2月29日")
        // Ten years: 2016-01-01…2026-01-01 is 3,653 days (three leap days); 3,660 is the last allowed.
        let start = LocalDate(year: 2016, month: 1, day: 1)
        #expect(!ReportPeriod(from: start, to: LocalDate(year: 2026, month: 1, day: 1)).isTooLong)
        #expect(!ReportPeriod(from: start, to: LocalDate(year: 2026, month: 1, day: 8)).isTooLong)
        #expect(ReportPeriod(from: start, to: LocalDate(year: 2026, month: 1, day: 9)).isTooLong)
        #expect(q1.contains(at(2020, 3, 31, 23, 59), calendar: cal) && !q1.contains(at(2020, 4, 1, 0, 0, 1), calendar: cal))
    }

    @Test func percentAndDecimalWording() {
        #expect(QuarterlySummary.percent(1) == "100%")
        #expect(QuarterlySummary.percent(0) == "0%")
        #expect(QuarterlySummary.percent(0.975) == "97.5%")
        #expect(QuarterlySummary.percent(46.0 / 47.0) == "97.9%")
        #expect(QuarterlySummary.percent(2.0 / 3.0) == "66.7%")
        #expect(QuarterlySummary.percent(0.5) == "50%")
        #expect(QuarterlySummary.oneDecimal(1.3) == "1.3")
        #expect(QuarterlySummary.oneDecimal(2) == "2.0")
        #expect(QuarterlySummary.oneDecimal(1.25) == "1.3")
    }

    @Test func paragraphWithMissingRatesRejectedAndMerged() throws {
        var totals = SLAMetrics()
        totals.received = 5
        totals.closed = 0
        totals.open = 2
        totals.rejected = 2
        totals.merged = 1
        let text = QuarterlySummary.paragraph(
            period: try #require(ReportPeriod(quarter: "2024Q3")), totals: totals, consultation: SLAMetrics())
        #expect(text == "区长信箱2024年三季度共收到公众来信5件，已办结0件，正在办理中2件，不予受理2件，重复来信合并1件。咨询类信件1个工作日内办结率暂无数据，平均办件天数暂无数据。")
    }

    @Test func departmentTableLines() throws {
        let r = at(2024, 3, 5, 10)
        var satisfied = letter(.complaint, received: r, closed: at(2024, 3, 6, 10))
        satisfied.rating = .init(satisfied: true, resolved: true)
        // 1 working day and 3 working days (10:00 → 10:00): average 2.0; one overdue open consultation.
        let a = metrics([satisfied, letter(.complaint, received: r, closed: at(2024, 3, 8, 10)),
                         letter(.consultation, received: r)], asOf: at(2024, 3, 20))
        let lines = QuarterlySummary.departmentTable([(name: "区城管委", metrics: a), (name: "鼓楼街道", metrics: SLAMetrics())])
        #expect(lines == [
            "承办单位\t收件\t办结\t按期办结率\t超期未办结\t平均办件天数\t满意率",
            "区城管委\t3\t2\t66.7%\t1\t2.0\t100%",
            "鼓楼街道\t0\t0\t—\t0\t—\t—",
        ])
    }

    // MARK: Rollups (docs/metrics.md, "Rollups")

    @Test func settledContributionsDoNotMoveWithAsOf() throws {
        var settled = 0
        for w in Self.scenario {
            guard let (m, settledAt) = w.letter.settledContribution(calendar: cal) else { continue }
            settled += 1
            for later: TimeInterval in [1, 3600, 86_400 * 40, 86_400 * 400] {
                var at = SLAMetrics()
                at.add(w.letter, asOf: settledAt.addingTimeInterval(later), calendar: cal)
                #expect(at == m, "\(w.letter.receivedAt) at +\(later) s")
            }
            // Stored as bits and seconds, it comes back the same; negated, it cancels.
            let back = SLAMetrics(letterBits: m.letterBits, handlingSeconds: m.handlingBusinessSecondsSum,
                                  secondsPerWorkingDay: cal.secondsPerWorkingDay)
            #expect(back == m)
            let zero = m + SLAMetrics(letterBits: m.letterBits, handlingSeconds: m.handlingBusinessSecondsSum,
                                      secondsPerWorkingDay: cal.secondsPerWorkingDay, sign: -1)
            #expect(zero.rollupCounters.allSatisfy { $0 == 0 } && zero.handlingBusinessSecondsSum == 0)
            #expect(m - m == zero)
        }
        #expect(settled == 46)
        // The open letter is not settled; a closed letter with a pause that never ended is not either.
        #expect(Self.scenario.filter { !$0.letter.isSettled }.count == 1)
        var open = letter(.help, received: at(2024, 3, 5, 10), closed: at(2024, 3, 6, 10),
                          pauses: [SLAPause(start: at(2024, 3, 5, 11), end: nil)])
        #expect(open.settledAt == nil)
        open.clock?.pauses = [SLAPause(start: at(2024, 3, 5, 11), end: at(2024, 3, 7, 9))]
        #expect(open.settledAt == at(2024, 3, 7, 9))
        var rejected = letter(.report, received: at(2024, 3, 5, 10))
        rejected.status = .rejected
        #expect(rejected.settledAt == at(2024, 3, 5, 10))
    }

    @Test func summedContributionsEqualTheReport() throws {
        let letters = Self.scenario.map(\.letter)
        let sum = letters.compactMap { $0.settledContribution(calendar: cal)?.metrics }.reduce(SLAMetrics(), +)
        var settledOnly = SLAMetrics()
        for l in letters where l.isSettled { settledOnly.add(l, asOf: Self.scenarioAsOf, calendar: cal) }
        #expect(sum == settledOnly)
        #expect(sum.rollupCounters.count == SLAMetrics.rollupCounterColumns.count)
        #expect(SLAMetrics.rollupCounterColumns.firstIndex(of: "outside_calendar").map { 1 << $0 } == Int(SLAMetrics.outsideCalendarBit))
    }

    @Test func rollupPeriodsCoverTheRangeOnce() throws {
        let p = ReportPeriod.rollupPeriods(from: LocalDate(year: 2020, month: 1, day: 15), to: LocalDate(year: 2020, month: 4, day: 10))
        #expect(p.months.map(\.description) == ["2020-02-01", "2020-03-01"])
        #expect(p.days.count == 17 + 10 && p.days.first?.description == "2020-01-15" && p.days.last?.description == "2020-04-10")
        let quarter = ReportPeriod.rollupPeriods(from: LocalDate(year: 2020, month: 1, day: 1), to: LocalDate(year: 2020, month: 3, day: 31))
        #expect(quarter.months.count == 3 && quarter.days.isEmpty)
        var rng = SplitMix64(seed: 42)
        for _ in 0..<300 {
            let from = LocalDate(year: 2019, month: 1, day: 1).adding(days: Int(rng.next() % 1500))
            let to = from.adding(days: Int(rng.next() % 400))
            let r = ReportPeriod.rollupPeriods(from: from, to: to)
            var covered: [Int] = r.days.map(\.dayNumber)
            for m in r.months {
                let n = LocalDate.daysInMonth(year: m.year, month: m.month)
                #expect(m.day == 1)
                covered += (0..<n).map { m.dayNumber + $0 }
            }
            #expect(covered.sorted() == Array(from.dayNumber...to.dayNumber))
        }
    }
}
