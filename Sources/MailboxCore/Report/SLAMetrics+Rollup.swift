import Foundation

/// The stored form of SLA figures for rollups (docs/metrics.md, "Rollups"): a settled letter's own
/// figures as bit flags plus its business seconds, and sums of many letters as counters in the
/// column order of the `report_rollups` table.
extension SLAMetrics {
    /// The counters of `report_rollups`, in column order; one bit each in `letterBits` (bit i is
    /// counter i). `handling_seconds` follows them as the last column and is not a bit.
    public static let rollupCounterColumns: [String] = [
        "received", "rejected", "merged", "closed", "open", "overdue_open", "closed_on_time",
        "closed_within_1_working_day", "rated", "returned", "extended", "reopened", "on_time_denominator",
        "within_1_denominator", "handling_count", "satisfied", "resolved", "outside_calendar",
    ]

    /// The bit of `outside_calendar` in `letterBits` (the partial index of migration 0009 names it).
    public static let outsideCalendarBit: Int32 = 1 << 17

    /// The counters in `rollupCounterColumns` order.
    public var rollupCounters: [Int64] {
        [received, rejected, merged, closed, open, overdueOpen, closedOnTime, closedWithin1WorkingDay, rated, returned,
         extended, reopened, onTimeDenominator, within1Denominator, handlingCount, satisfiedCount, resolvedCount,
         outsideCalendar].map(Int64.init)
    }

    /// Figures from stored sums: `counters` in `rollupCounterColumns` order, the business seconds, and D of the
    /// calendar the report uses. Rates are computed.
    public init(rollupCounters c: [Int64], handlingSeconds: Int64, secondsPerWorkingDay: Int) {
        precondition(c.count == Self.rollupCounterColumns.count, "one value per rollup counter")
        self.init()
        received = Int(c[0]); rejected = Int(c[1]); merged = Int(c[2]); closed = Int(c[3]); open = Int(c[4])
        overdueOpen = Int(c[5]); closedOnTime = Int(c[6]); closedWithin1WorkingDay = Int(c[7]); rated = Int(c[8])
        returned = Int(c[9]); extended = Int(c[10]); reopened = Int(c[11]); onTimeDenominator = Int(c[12])
        within1Denominator = Int(c[13]); handlingCount = Int(c[14]); satisfiedCount = Int(c[15])
        resolvedCount = Int(c[16]); outsideCalendar = Int(c[17])
        handlingBusinessSecondsSum = handlingSeconds
        self.secondsPerWorkingDay = secondsPerWorkingDay
        finish()
    }

    /// One letter's figures as bits (see `rollupCounterColumns`). Only for the figures of a single letter, where
    /// every counter is 0 or 1.
    public var letterBits: Int32 {
        var bits: Int32 = 0
        for (i, v) in rollupCounters.enumerated() {
            precondition(v == 0 || v == 1, "letterBits holds the figures of one letter")
            if v == 1 { bits |= 1 << Int32(i) }
        }
        return bits
    }

    /// One letter's figures from its bits, or their negation (`sign` -1) to take a stored letter out of a sum.
    public init(letterBits bits: Int32, handlingSeconds: Int64, secondsPerWorkingDay: Int, sign: Int64 = 1) {
        let counters = (0..<Self.rollupCounterColumns.count).map { i in ((Int64(bits) >> Int64(i)) & 1) * sign }
        self.init(rollupCounters: counters, handlingSeconds: handlingSeconds * sign, secondsPerWorkingDay: secondsPerWorkingDay)
    }

    /// The counters minus `other`'s (rates recomputed).
    public static func - (a: SLAMetrics, b: SLAMetrics) -> SLAMetrics {
        let counters = zip(a.rollupCounters, b.rollupCounters).map { $0 - $1 }
        return SLAMetrics(rollupCounters: counters, handlingSeconds: a.handlingBusinessSecondsSum - b.handlingBusinessSecondsSum,
                          secondsPerWorkingDay: a.secondsPerWorkingDay != 0 ? a.secondsPerWorkingDay : b.secondsPerWorkingDay)
    }
}

extension ReportLetter {
    /// Status closed, rejected or merged: the letter's figures stop changing with the report's as_of after
    /// `settledAt`.
    public var isSettled: Bool { settledAt != nil }

    /// The instant after which this letter's figures are the same for every as_of, or nil while they may still
    /// change with it (not final yet; or closed without a closure time, or with a pause that never ended).
    ///
    /// Rejected and merged letters count the same at any as_of: their receipt time. A closed letter: the latest of
    /// its closure and every pause and extension instant of its clock; after that `isClosed(asOf:)` holds, and
    /// `clock(asOf:)` keeps every pause and extension, so the clock, the mark and the average no longer move.
    public var settledAt: Date? {
        switch status {
        case .rejected, .merged:
            return receivedAt
        case .closed:
            guard let closedAt else { return nil }
            var latest = max(closedAt, receivedAt)
            if let clock {
                for p in clock.pauses {
                    guard let end = p.end else { return nil }
                    latest = max(latest, p.start, end)
                }
                for e in clock.extensions { latest = max(latest, e.approvedAt) }
                if let c = clock.closedAt { latest = max(latest, c) }
            }
            return latest
        default:
            return nil
        }
    }

    /// The figures this settled letter adds to every report whose as_of is after `settledAt` (nil if not settled).
    public func settledContribution(calendar: WorkCalendar) -> (metrics: SLAMetrics, settledAt: Date)? {
        guard let settledAt else { return nil }
        var m = SLAMetrics()
        m.add(self, asOf: settledAt.addingTimeInterval(1), calendar: calendar)
        return (m, settledAt)
    }
}

/// What a report groups letters by (`group_by`).
public enum ReportGrouping: String, Sendable, CaseIterable, Hashable {
    case category, department, channel, month, town
}

extension ReportGrouping {
    /// The group of a letter under this grouping, as the SQL of the raw report computes it (Beijing receipt month;
    /// '' for an unassigned department or an unknown town).
    public func key(category: String, departmentID: String?, channel: String, town: String?, receiptDay: LocalDate) -> String {
        switch self {
        case .category: category
        case .department: departmentID ?? ""
        case .channel: channel
        case .town: town ?? ""
        case .month: String(receiptDay.description.prefix(7))
        }
    }
}

extension ReportPeriod {
    /// [from, to] as the rollup rows that cover it: the months lying wholly inside, and the days of partial months.
    public static func rollupPeriods(from: LocalDate, to: LocalDate) -> (months: [LocalDate], days: [LocalDate]) {
        var months: [LocalDate] = []
        var days: [LocalDate] = []
        var d = from
        while d <= to {
            let (year, month, day) = d.components
            let last = LocalDate(year: year, month: month, day: LocalDate.daysInMonth(year: year, month: month))
            if day == 1, last <= to {
                months.append(d)
                d = last.adding(days: 1)
            } else {
                days.append(d)
                d = d.adding(days: 1)
            }
        }
        return (months, days)
    }
}
