import Foundation

/// One letter as a report sees it: what it is, where it stands, and its SLA clock. See docs/metrics.md.
public struct ReportLetter: Sendable, Hashable {
    /// The citizen's rating of the reply (评价). Only the latest rating of a letter counts.
    public struct Rating: Sendable, Hashable {
        /// 满意 or 基本满意 (anything but 不满意).
        public var satisfied: Bool
        /// The citizen says the problem was solved (已解决).
        public var resolved: Bool

        public init(satisfied: Bool, resolved: Bool) {
            self.satisfied = satisfied
            self.resolved = resolved
        }
    }

    public var receivedAt: Date
    public var category: LetterCategory
    public var channel: LetterChannel
    /// 承办单位, nil while not yet assigned.
    public var departmentID: String?
    /// 镇街, when known.
    public var town: String?
    /// The current status.
    public var status: LetterStatus
    /// When the letter was closed (办结时间); only meaningful with status `closed`.
    public var closedAt: Date?
    /// nil for letters without a clock (some imports): never overdue, left out of the average and the on-time rate.
    public var clock: SLAClock?
    /// Ever returned by a department (退回).
    public var returned: Bool
    /// Ever got an approved extension (延期).
    public var extended: Bool
    /// Reopened (重办).
    public var reopened: Bool
    /// The latest rating, if any.
    public var rating: Rating?

    public init(
        receivedAt: Date, category: LetterCategory, channel: LetterChannel, departmentID: String? = nil,
        town: String? = nil, status: LetterStatus, closedAt: Date? = nil, clock: SLAClock? = nil,
        returned: Bool = false, extended: Bool = false, reopened: Bool = false, rating: Rating? = nil
    ) {
        self.receivedAt = receivedAt
        self.category = category
        self.channel = channel
        self.departmentID = departmentID
        self.town = town
        self.status = status
        self.closedAt = closedAt
        self.clock = clock
        self.returned = returned
        self.extended = extended
        self.reopened = reopened
        self.rating = rating
    }

    /// Closed as of `asOf` (已办结): status closed with a closure time no later than `asOf`.
    public func isClosed(asOf: Date) -> Bool {
        guard status == .closed, let c = closedAt else { return false }
        return c <= asOf
    }

    /// Still being handled as of `asOf` (正在办理中): neither rejected, merged nor closed by `asOf`.
    public func isOpen(asOf: Date) -> Bool {
        status != .rejected && status != .merged && !isClosed(asOf: asOf)
    }

    /// The clock as it stood at `asOf`: closed only if the letter is closed by then; pauses that start after
    /// `asOf` dropped and pauses still running at `asOf` left open; extensions approved after `asOf` dropped.
    public func clock(asOf: Date) -> SLAClock? {
        guard var c = clock else { return nil }
        c.closedAt = isClosed(asOf: asOf) ? closedAt : nil
        if !c.pauses.isEmpty {
            c.pauses = c.pauses.compactMap { p in
                guard p.start < asOf else { return nil }
                var q = p
                if let end = q.end, end > asOf { q.end = nil }
                return q
            }
        }
        if !c.extensions.isEmpty {
            c.extensions = c.extensions.filter { $0.approvedAt <= asOf }
        }
        return c
    }
}

/// The figures of one group of letters (or the totals) for the published SLA report (办理情况统计).
/// See docs/metrics.md for the definitions; rates are nil when their denominator is 0.
///
/// JSON: the keys listed in `CodingKeys` (snake_case), every key always present (`null` for a missing rate).
/// The sums behind the rates (`onTimeDenominator`, `handlingBusinessSecondsSum`, …) are not encoded: they exist
/// so that `+` can merge groups exactly; a decoded value carries its rates but not its sums.
public struct SLAMetrics: Sendable, Hashable, Codable {
    /// Letters added (收到来信).
    public var received: Int = 0
    /// Status rejected (不予受理).
    public var rejected: Int = 0
    /// Status merged into another letter (已合并).
    public var merged: Int = 0
    /// Closed by `asOf` (已办结).
    public var closed: Int = 0
    /// Neither rejected, merged nor closed by `asOf` (正在办理中).
    public var open: Int = 0
    /// Open and past the clock's due time at `asOf` (超期未办结).
    public var overdueOpen: Int = 0
    /// Closed with the deadline met under the letter's own clock (按期办结).
    public var closedOnTime: Int = 0
    /// 按期办结率 = closedOnTime ÷ (closed letters with a clock + overdueOpen).
    public var onTimeRate: Double?
    /// Closed by the end of business of the first working day after the receipt date (1个工作日内办结).
    public var closedWithin1WorkingDay: Int = 0
    /// 1个工作日内办结率 = closedWithin1WorkingDay ÷ (closed + open letters whose 1-working-day mark has passed).
    public var within1WorkingDayRate: Double?
    /// 平均办件天数: mean business time of the closed letters with a clock, in standard working days.
    public var avgHandlingWorkingDays: Double?
    /// Letters with a rating (已评价).
    public var rated: Int = 0
    /// 满意率 = (满意 + 基本满意) ÷ rated.
    public var satisfactionRate: Double?
    /// 解决率 = 已解决 ÷ rated.
    public var resolutionRate: Double?
    /// Ever returned (退回).
    public var returned: Int = 0
    /// Ever extended (延期).
    public var extended: Int = 0
    /// Reopened (重办).
    public var reopened: Int = 0

    // MARK: Sums behind the rates (not encoded)

    /// Denominator of `onTimeRate`: closed letters whose clock could be evaluated, plus `overdueOpen`.
    public internal(set) var onTimeDenominator: Int = 0
    /// Denominator of `within1WorkingDayRate`: closed letters plus open letters whose mark has passed.
    public internal(set) var within1Denominator: Int = 0
    /// Closed letters with a clock whose business time is in `handlingBusinessSecondsSum`.
    public internal(set) var handlingCount: Int = 0
    /// Σ elapsed business seconds (pauses excluded) of those letters.
    public internal(set) var handlingBusinessSecondsSum: Int64 = 0
    /// D, the business seconds of one standard working day, of the calendar the letters were added with.
    public internal(set) var secondsPerWorkingDay: Int = 0
    /// Ratings that are 满意 or 基本满意.
    public internal(set) var satisfiedCount: Int = 0
    /// Ratings that say 已解决.
    public internal(set) var resolvedCount: Int = 0
    /// Letters whose clock or 1-working-day mark needs dates the calendar does not cover (日历未覆盖): they are
    /// counted in received/closed/open but left out of every clock-based figure.
    public internal(set) var outsideCalendar: Int = 0

    enum CodingKeys: String, CodingKey {
        case received, rejected, merged, closed, open
        case overdueOpen = "overdue_open"
        case closedOnTime = "closed_on_time"
        case onTimeRate = "on_time_rate"
        case closedWithin1WorkingDay = "closed_within_1_working_day"
        case within1WorkingDayRate = "within_1_working_day_rate"
        case avgHandlingWorkingDays = "avg_handling_working_days"
        case rated
        case satisfactionRate = "satisfaction_rate"
        case resolutionRate = "resolution_rate"
        case returned, extended, reopened
    }

    /// All counts zero, all rates nil.
    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        received = try c.decode(Int.self, forKey: .received)
        rejected = try c.decode(Int.self, forKey: .rejected)
        merged = try c.decode(Int.self, forKey: .merged)
        closed = try c.decode(Int.self, forKey: .closed)
        open = try c.decode(Int.self, forKey: .open)
        overdueOpen = try c.decode(Int.self, forKey: .overdueOpen)
        closedOnTime = try c.decode(Int.self, forKey: .closedOnTime)
        onTimeRate = try c.decodeIfPresent(Double.self, forKey: .onTimeRate)
        closedWithin1WorkingDay = try c.decode(Int.self, forKey: .closedWithin1WorkingDay)
        within1WorkingDayRate = try c.decodeIfPresent(Double.self, forKey: .within1WorkingDayRate)
        avgHandlingWorkingDays = try c.decodeIfPresent(Double.self, forKey: .avgHandlingWorkingDays)
        rated = try c.decode(Int.self, forKey: .rated)
        satisfactionRate = try c.decodeIfPresent(Double.self, forKey: .satisfactionRate)
        resolutionRate = try c.decodeIfPresent(Double.self, forKey: .resolutionRate)
        returned = try c.decode(Int.self, forKey: .returned)
        extended = try c.decode(Int.self, forKey: .extended)
        reopened = try c.decode(Int.self, forKey: .reopened)
    }

    /// Encodes every key; a nil rate is written as `null` rather than left out.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        func rate(_ v: Double?, _ key: CodingKeys) throws {
            if let v { try c.encode(v, forKey: key) } else { try c.encodeNil(forKey: key) }
        }
        try c.encode(received, forKey: .received)
        try c.encode(rejected, forKey: .rejected)
        try c.encode(merged, forKey: .merged)
        try c.encode(closed, forKey: .closed)
        try c.encode(open, forKey: .open)
        try c.encode(overdueOpen, forKey: .overdueOpen)
        try c.encode(closedOnTime, forKey: .closedOnTime)
        try rate(onTimeRate, .onTimeRate)
        try c.encode(closedWithin1WorkingDay, forKey: .closedWithin1WorkingDay)
        try rate(within1WorkingDayRate, .within1WorkingDayRate)
        try rate(avgHandlingWorkingDays, .avgHandlingWorkingDays)
        try c.encode(rated, forKey: .rated)
        try rate(satisfactionRate, .satisfactionRate)
        try rate(resolutionRate, .resolutionRate)
        try c.encode(returned, forKey: .returned)
        try c.encode(extended, forKey: .extended)
        try c.encode(reopened, forKey: .reopened)
    }

    /// Adds one letter as of `asOf`; `calendar` decides working days and business hours.
    public mutating func add(_ letter: ReportLetter, asOf: Date, calendar: WorkCalendar) {
        secondsPerWorkingDay = calendar.secondsPerWorkingDay
        received += 1
        if letter.returned { returned += 1 }
        if letter.extended { extended += 1 }
        if letter.reopened { reopened += 1 }
        if let r = letter.rating {
            rated += 1
            if r.satisfied { satisfiedCount += 1 }
            if r.resolved { resolvedCount += 1 }
        }
        defer { finish() }

        if letter.status == .rejected {
            rejected += 1
            return
        }
        if letter.status == .merged {
            merged += 1
            return
        }
        let isClosed = letter.isClosed(asOf: asOf)
        if isClosed { closed += 1 } else { open += 1 }

        do throws(CalendarError) {
            let clock = letter.clock(asOf: asOf)
            let status = try clock?.evaluate(on: calendar, now: asOf)
            var paused: Int64 = 0
            if let clock {
                paused = try SLAMetrics.pausedAfterReceiptDate(
                    clock, receivedAt: letter.receivedAt, asOf: asOf, calendar: calendar)
            }
            let mark = try SLAMetrics.oneWorkingDayMark(
                receivedAt: letter.receivedAt, pausedBusinessSeconds: paused, calendar: calendar)

            if isClosed, let closedAt = letter.closedAt {
                within1Denominator += 1
                if closedAt <= mark { closedWithin1WorkingDay += 1 }
                if let status {
                    onTimeDenominator += 1
                    if status.deadlineMet == true { closedOnTime += 1 }
                    handlingCount += 1
                    handlingBusinessSecondsSum += status.elapsedBusinessSeconds
                }
            } else {
                if mark < asOf { within1Denominator += 1 }
                if let status, status.dueAt < asOf {
                    overdueOpen += 1
                    onTimeDenominator += 1
                }
            }
        } catch {
            outsideCalendar += 1
        }
    }

    /// Recomputes the rates from the counts (called by `add`; also after merging groups).
    public mutating func finish() {
        func ratio(_ n: Int, _ d: Int) -> Double? { d > 0 ? Double(n) / Double(d) : nil }
        onTimeRate = ratio(closedOnTime, onTimeDenominator)
        within1WorkingDayRate = ratio(closedWithin1WorkingDay, within1Denominator)
        satisfactionRate = ratio(satisfiedCount, rated)
        resolutionRate = ratio(resolvedCount, rated)
        if handlingCount > 0, secondsPerWorkingDay > 0 {
            // One division of two exact integers: the same Double however the letters were grouped.
            avgHandlingWorkingDays =
                Double(handlingBusinessSecondsSum) / Double(Int64(handlingCount) * Int64(secondsPerWorkingDay))
        } else {
            avgHandlingWorkingDays = nil
        }
    }

    /// Sum of two groups' counts, rates recomputed: equal to adding both groups' letters to one value.
    /// Both groups must come from calendars with the same business hours (the same D).
    public static func + (a: SLAMetrics, b: SLAMetrics) -> SLAMetrics {
        var s = SLAMetrics()
        s.received = a.received + b.received
        s.rejected = a.rejected + b.rejected
        s.merged = a.merged + b.merged
        s.closed = a.closed + b.closed
        s.open = a.open + b.open
        s.overdueOpen = a.overdueOpen + b.overdueOpen
        s.closedOnTime = a.closedOnTime + b.closedOnTime
        s.closedWithin1WorkingDay = a.closedWithin1WorkingDay + b.closedWithin1WorkingDay
        s.rated = a.rated + b.rated
        s.returned = a.returned + b.returned
        s.extended = a.extended + b.extended
        s.reopened = a.reopened + b.reopened
        s.onTimeDenominator = a.onTimeDenominator + b.onTimeDenominator
        s.within1Denominator = a.within1Denominator + b.within1Denominator
        s.handlingCount = a.handlingCount + b.handlingCount
        s.handlingBusinessSecondsSum = a.handlingBusinessSecondsSum + b.handlingBusinessSecondsSum
        s.secondsPerWorkingDay = a.secondsPerWorkingDay != 0 ? a.secondsPerWorkingDay : b.secondsPerWorkingDay
        s.satisfiedCount = a.satisfiedCount + b.satisfiedCount
        s.resolvedCount = a.resolvedCount + b.resolvedCount
        s.outsideCalendar = a.outsideCalendar + b.outsideCalendar
        s.finish()
        return s
    }

    public static func += (a: inout SLAMetrics, b: SLAMetrics) { a = a + b }

    /// Adds every letter to the group `key` returns (letters with a nil key are skipped).
    public static func grouped<Key: Hashable>(
        _ letters: some Sequence<ReportLetter>, asOf: Date, calendar: WorkCalendar, by key: (ReportLetter) -> Key?
    ) -> [Key: SLAMetrics] {
        var groups: [Key: SLAMetrics] = [:]
        for letter in letters {
            guard let k = key(letter) else { continue }
            groups[k, default: SLAMetrics()].add(letter, asOf: asOf, calendar: calendar)
        }
        return groups
    }

    // MARK: The 1-working-day mark (1个工作日内办结)

    /// The latest closure instant that counts as "closed within 1 working day": the end of business (e.g. 17:30)
    /// of the first working day strictly after the local receipt date (the receipt date itself never counts,
    /// even when it is a working or make-up day), moved later by `pausedBusinessSeconds` of business time.
    ///
    /// `pausedBusinessSeconds` is the business time the clock was paused after the receipt date
    /// (see ``pausedAfterReceiptDate(_:receivedAt:asOf:calendar:)``); 0 for letters without a clock.
    public static func oneWorkingDayMark(
        receivedAt: Date, pausedBusinessSeconds: Int64, calendar: WorkCalendar
    ) throws(CalendarError) -> Date {
        let day = try calendar.workingDay(1, after: calendar.localDate(of: receivedAt))
        let endOfBusiness = calendar.instant(on: day, secondOfDay: calendar.businessHours.closingSecond)
        guard pausedBusinessSeconds > 0 else { return endOfBusiness }
        return try calendar.addingWorkingSeconds(pausedBusinessSeconds, to: endOfBusiness)
    }

    /// A letter's 1-working-day mark as of `asOf` (pauses counted up to its closure, else up to `asOf`).
    public static func oneWorkingDayMark(
        for letter: ReportLetter, asOf: Date, calendar: WorkCalendar
    ) throws(CalendarError) -> Date {
        var paused: Int64 = 0
        if let clock = letter.clock(asOf: asOf) {
            paused = try pausedAfterReceiptDate(clock, receivedAt: letter.receivedAt, asOf: asOf, calendar: calendar)
        }
        return try oneWorkingDayMark(receivedAt: letter.receivedAt, pausedBusinessSeconds: paused, calendar: calendar)
    }

    /// Business seconds a clock was paused from the start of the first working day after the receipt date up to
    /// its closure (else `asOf`), overlapping pauses counted once. Pauses on the receipt date itself do not move
    /// the mark: that date is never counted anyway. For a `following_days` clock this equals
    /// `SLAStatus.deadlineShiftBusinessSeconds`.
    public static func pausedAfterReceiptDate(
        _ clock: SLAClock, receivedAt: Date, asOf: Date, calendar: WorkCalendar
    ) throws(CalendarError) -> Int64 {
        guard !clock.pauses.isEmpty else { return 0 }
        // A one-day following_days clock over the same pauses shifts its deadline by exactly these seconds.
        let window = SLAClock(
            receivedAt: receivedAt, rule: .followingDays, limitWorkingDays: 1, pauses: clock.pauses,
            closedAt: clock.closedAt)
        return try window.evaluate(on: calendar, now: asOf).deadlineShiftBusinessSeconds
    }
}
