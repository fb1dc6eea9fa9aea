import Foundation
import MailboxCore

/// Throughput of SLA deadline computation: the O(1) calendar path versus naive day-by-day loops.
///
/// For random receipt instants in 2019-01-01 … 2026-11-30 (Beijing time) it computes 15-working-day
/// deadlines under both counting rules
///  1. with `WorkCalendar.dueDate` (prefix counts and an ordinal → date table, O(1));
///  2. with the naive loop: walk one day at a time, looking each date up in the holiday / make-up-day
///     table of the calendar file (a hash map) and applying the Mon–Fri rule otherwise — the obvious
///     implementation without an index;
///  3. with the same walk over the calendar's precomputed per-day array (`WorkCalendar.day(_:)`), to show how
///     much of the gain is the O(1) algorithm rather than the data structure;
/// checks that all answers are identical, and reports deadlines per second on the calling thread (one core)
/// and the speed-ups.
enum SLABenchmark {
    static let workingDays = 15
    static let sampleCount = 1 << 16

    static func run(seconds: Double, calendarText: String) -> [String] {
        let calendar: WorkCalendar
        let table: [LocalDate: DayKind]
        do {
            let notice = try CalendarNotice.parse(calendarText)
            calendar = try WorkCalendar(notices: [notice])
            table = Dictionary(notice.days.map { ($0.date, $0.kind) }, uniquingKeysWith: { $1 })
        } catch {
            return ["error: cannot load the calendar: \(error)"]
        }
        var lines: [String] = []
        let cov = calendar.coverage.map { "\($0.lowerBound)…\($0.upperBound)" } ?? "empty"
        lines.append("calendar: \(cov), \(calendar.workingDayCount) working days, business hours \(calendar.businessHours.text)")

        // Deterministic random receipt instants (SplitMix64), whole seconds.
        let lo = Int64(LocalDate(year: 2019, month: 1, day: 1).dayNumber) * 86400 - 8 * 3600
        let hi = Int64(LocalDate(year: 2026, month: 11, day: 30).dayNumber) * 86400 - 8 * 3600
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var receipts: [Date] = []
        receipts.reserveCapacity(sampleCount)
        for _ in 0..<sampleCount {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            receipts.append(Date(timeIntervalSince1970: Double(lo + Int64(z % UInt64(hi - lo)))))
        }
        lines.append("samples: \(sampleCount) receipt instants in 2019-01-01…2026-11-30 (UTC+8), limit \(workingDays) working days")

        let budget = max(0.05, seconds / 6)
        let naive = NaiveCalendar(table: table, coverage: calendar.coverage!, hours: calendar.businessHours)
        for rule in [CountingRule.followingDays, .elapsed] {
            let tag = "[\(rule.rawValue)]"
            // Correctness first: all methods must agree on every sample.
            var mismatches = 0
            var firstMismatch = ""
            for r in receipts {
                let fast = try? calendar.dueDate(receivedAt: r, workingDays: workingDays, rule: rule)
                let slow = try? naive.dueDate(receivedAt: r, workingDays: workingDays, rule: rule)
                let slow2 = try? arrayWalkDueDate(calendar, receivedAt: r, workingDays: workingDays, rule: rule)
                if fast == nil || fast != slow || fast != slow2 {
                    if mismatches == 0 {
                        firstMismatch = " first at receipt \(r): O(1) \(String(describing: fast)), table walk \(String(describing: slow)), array walk \(String(describing: slow2))"
                    }
                    mismatches += 1
                }
            }
            let fast = measure(budget: budget, receipts: receipts) { r in
                try calendar.dueDate(receivedAt: r, workingDays: workingDays, rule: rule)
            }
            let slow = measure(budget: budget, receipts: receipts) { r in
                try naive.dueDate(receivedAt: r, workingDays: workingDays, rule: rule)
            }
            let slow2 = measure(budget: budget, receipts: receipts) { r in
                try arrayWalkDueDate(calendar, receivedAt: r, workingDays: workingDays, rule: rule)
            }
            lines.append("\(tag) O(1) path:                  \(format(fast.rate)) deadlines/s (checksum \(fast.checksum % 1000))")
            lines.append("\(tag) naive loop (holiday table): \(format(slow.rate)) deadlines/s (checksum \(slow.checksum % 1000)) → O(1) is \(String(format: "%.1f", fast.rate / slow.rate))× faster")
            lines.append("\(tag) day loop over day array:    \(format(slow2.rate)) deadlines/s (checksum \(slow2.checksum % 1000)) → O(1) is \(String(format: "%.1f", fast.rate / slow2.rate))× faster")
            lines.append(mismatches == 0
                ? "\(tag) answers: identical for all \(receipts.count) samples"
                : "\(tag) answers: MISMATCH in \(mismatches) of \(receipts.count) samples;\(firstMismatch)")
        }
        return lines
    }

    /// Runs `body` over the receipts repeatedly for about `budget` seconds; returns calls per second.
    static func measure(budget: Double, receipts: [Date], _ body: (Date) throws -> Date) -> (rate: Double, checksum: Int64) {
        let clock = ContinuousClock()
        let start = clock.now
        var calls = 0
        var checksum: Int64 = 0
        var elapsed = 0.0
        repeat {
            for r in receipts {
                if let d = try? body(r) { checksum &+= Int64(d.timeIntervalSince1970) }
            }
            calls += receipts.count
            let e = clock.now - start
            elapsed = Double(e.components.seconds) + Double(e.components.attoseconds) * 1e-18
        } while elapsed < budget
        return (Double(calls) / elapsed, checksum)
    }

    /// Walks one day at a time over the calendar's per-day array.
    static func arrayWalkDueDate(_ cal: WorkCalendar, receivedAt t: Date, workingDays n: Int, rule: CountingRule) throws -> Date {
        let hours = cal.businessHours
        var date = cal.localDate(of: t)
        switch rule {
        case .followingDays:
            var counted = 0
            while counted < n {
                date = date.adding(days: 1)
                guard let day = cal.day(date) else { throw CalendarError.outsideCoverage(date) }
                if day.isWorkingDay { counted += 1 }
            }
            return cal.instant(on: date, secondOfDay: hours.closingSecond)
        case .elapsed:
            var remaining = n * hours.secondsPerWorkingDay
            var from = cal.secondOfDay(of: t)
            while true {
                guard let day = cal.day(date) else { throw CalendarError.outsideCoverage(date) }
                if day.isWorkingDay {
                    for iv in hours.intervals {
                        let s = max(iv.start, from)
                        guard s < iv.end else { continue }
                        if remaining <= iv.end - s { return cal.instant(on: date, secondOfDay: s + remaining) }
                        remaining -= iv.end - s
                    }
                }
                date = date.adding(days: 1)
                from = 0
            }
        }
    }

    static func format(_ rate: Double) -> String {
        rate >= 1e6 ? String(format: "%7.2f M", rate / 1e6) : String(format: "%7.0f k", rate / 1e3)
    }
}

extension SLABenchmark {
    /// The naive calendar: a hash map of declared days plus the Mon–Fri rule, walked one day at a time.
    struct NaiveCalendar {
        let table: [LocalDate: DayKind]
        let coverage: ClosedRange<LocalDate>
        let hours: BusinessHours
        let utcOffset = 8 * 3600

        func isWorkingDay(_ d: LocalDate) throws -> Bool {
            guard coverage.contains(d) else { throw CalendarError.outsideCoverage(d) }
            return (table[d] ?? (d.weekday >= 6 ? .weekend : .workday)).isWorkingDay
        }

        func instant(_ d: LocalDate, _ secondOfDay: Int) -> Date {
            Date(timeIntervalSince1970: Double(d.dayNumber * 86400 + secondOfDay - utcOffset))
        }

        func dueDate(receivedAt t: Date, workingDays n: Int, rule: CountingRule) throws -> Date {
            let local = Int(t.timeIntervalSince1970.rounded(.down)) + utcOffset
            let dayNumber = Int((Double(local) / 86400).rounded(.down))
            var date = LocalDate(dayNumber: dayNumber)
            switch rule {
            case .followingDays:
                var counted = 0
                while counted < n {
                    date = date.adding(days: 1)
                    if try isWorkingDay(date) { counted += 1 }
                }
                return instant(date, hours.closingSecond)
            case .elapsed:
                var remaining = n * hours.secondsPerWorkingDay
                var from = local - dayNumber * 86400
                while true {
                    if try isWorkingDay(date) {
                        for iv in hours.intervals {
                            let s = max(iv.start, from)
                            guard s < iv.end else { continue }
                            if remaining <= iv.end - s { return instant(date, s + remaining) }
                            remaining -= iv.end - s
                        }
                    }
                    date = date.adding(days: 1)
                    from = 0
                }
            }
        }
    }
}
