import Foundation

/// Why a calendar computation could not be answered.
public enum CalendarError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The computation needs this date, but the calendar has no data for it (日历未覆盖).
    /// For positions past the last covered working day the date is the first date after the coverage.
    case outsideCoverage(LocalDate)
    /// A calendar must cover whole, consecutive years (e.g. 2019…2026 without gaps).
    case nonContiguousYears([Int])
    /// A declared day contradicts the weekday rule (e.g. a make-up workday on a Wednesday).
    case invalidDay(LocalDate, String)
    /// Bad settings, e.g. a UTC offset of a day or more.
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case .outsideCoverage(let d): "the working calendar does not cover \(d)"
        case .nonContiguousYears(let ys): "calendar years must be contiguous, got \(ys.map(String.init).joined(separator: ", "))"
        case .invalidDay(let d, let why): "\(d): \(why)"
        case .invalidConfiguration(let why): why
        }
    }
}

/// The working-day calendar (工作日历) for whole, consecutive years, with business hours and a fixed UTC offset.
///
/// All time computations are O(1): per-day kinds, a prefix count of working days before each date, and a
/// working-day-ordinal → date table are built once at construction.
///
/// **Business position.** `pos(t)` = (working days strictly before the local date of `t`) × D
/// + (if that date is a working day: business seconds elapsed that day up to the time of day, in [0, D]),
/// counted from the first covered date. Instants are truncated to whole seconds.
public struct WorkCalendar: Sendable {
    public let businessHours: BusinessHours
    /// Fixed offset of local time from UTC (Asia/Shanghai: +8 h, no DST since 1991).
    public let utcOffsetSeconds: Int
    /// The covered years, ascending and contiguous (may be empty).
    public let coveredYears: [Int]
    /// Citations of the notices the calendar was built from (empty for hand-built calendars).
    public let sources: [CalendarSource]
    /// Trailing covered years whose notice is not loaded, filled by the plain weekday rule (Mon–Fri working,
    /// no holidays) so that a deadline in them can be given provisionally (``withProvisionalYears(through:)``).
    /// Empty for a calendar of announced years only.
    public private(set) var provisionalYears: [Int] = []

    @usableFromInline let firstDay: Int
    @usableFromInline let kinds: [DayKind]
    @usableFromInline let names: [String?]
    /// workBefore[i] = working days at indices < i; count = days + 1.
    @usableFromInline let workBefore: [Int32]
    /// ordinalDay[k] = day index of the (k+1)-th working day.
    @usableFromInline let ordinalDay: [Int32]
    @usableFromInline let secondsPerDay: Int64
    @usableFromInline let reciprocalSecondsPerDay: Double
    @usableFromInline let openingSecond: Int
    @usableFromInline let closingSecond: Int

    /// Builds a calendar: every date of `coveredYears` is Mon–Fri workday / Sat–Sun weekend unless overridden.
    /// Overrides must lie inside the covered years and agree with the weekday rule
    /// (makeup_workday and weekend only on Sat/Sun, workday only on Mon–Fri; holiday anywhere).
    public init(
        coveredYears: [Int], overrides: [CalendarDay], businessHours: BusinessHours = .standard,
        utcOffsetSeconds: Int = 8 * 3600, sources: [CalendarSource] = []
    ) throws(CalendarError) {
        let years = Array(Set(coveredYears)).sorted()
        if let f = years.first, let l = years.last, l - f + 1 != years.count {
            throw .nonContiguousYears(years)
        }
        guard abs(utcOffsetSeconds) < 86400 else {
            throw .invalidConfiguration("UTC offset must be less than a day, got \(utcOffsetSeconds) s")
        }
        self.businessHours = businessHours
        self.utcOffsetSeconds = utcOffsetSeconds
        self.coveredYears = years
        self.sources = sources
        self.secondsPerDay = Int64(businessHours.secondsPerWorkingDay)
        self.reciprocalSecondsPerDay = 1.0 / Double(businessHours.secondsPerWorkingDay)
        self.openingSecond = businessHours.openingSecond
        self.closingSecond = businessHours.closingSecond
        guard let f = years.first, let l = years.last else {
            firstDay = 0
            kinds = []
            names = []
            workBefore = [0]
            ordinalDay = []
            return
        }
        let first = LocalDate.firstOfYear(f).dayNumber
        let count = LocalDate.lastOfYear(l).dayNumber - first + 1
        var kinds = [DayKind](repeating: .workday, count: count)
        var names = [String?](repeating: nil, count: count)
        for i in 0..<count where LocalDate(dayNumber: first + i).isWeekend { kinds[i] = .weekend }
        for o in overrides {
            let i = o.date.dayNumber - first
            guard i >= 0, i < count else { throw .outsideCoverage(o.date) }
            try WorkCalendar.validate(o)
            kinds[i] = o.kind
            names[i] = o.name
        }
        var before = [Int32](repeating: 0, count: count + 1)
        var ordinals: [Int32] = []
        ordinals.reserveCapacity(count * 3 / 4)
        for i in 0..<count {
            before[i + 1] = before[i] + (kinds[i].isWorkingDay ? 1 : 0)
            if kinds[i].isWorkingDay { ordinals.append(Int32(i)) }
        }
        self.firstDay = first
        self.kinds = kinds
        self.names = names
        self.workBefore = before
        self.ordinalDay = ordinals
    }

    /// Builds a calendar from parsed calendar files. Each covered year comes entirely from the LAST notice that
    /// declares it (a later file declaring a year replaces that year). The years must be contiguous.
    public init(
        notices: [CalendarNotice], businessHours: BusinessHours = .standard, utcOffsetSeconds: Int = 8 * 3600
    ) throws(CalendarError) {
        var owner: [Int: Int] = [:]
        for (n, notice) in notices.enumerated() {
            for y in notice.years { owner[y] = n }
        }
        var overrides: [CalendarDay] = []
        var sources: [CalendarSource] = []
        for (n, notice) in notices.enumerated() {
            overrides += notice.days.filter { owner[$0.date.year] == n }
            sources += notice.citations.filter { owner[$0.year] == n }
        }
        try self.init(
            coveredYears: Array(owner.keys), overrides: overrides, businessHours: businessHours,
            utcOffsetSeconds: utcOffsetSeconds, sources: sources)
    }

    /// Parses a calendar file and builds the calendar from it (convenience for `init(notices:)`).
    public init(calendarText: String, businessHours: BusinessHours = .standard, utcOffsetSeconds: Int = 8 * 3600) throws {
        try self.init(notices: [CalendarNotice.parse(calendarText)], businessHours: businessHours, utcOffsetSeconds: utcOffsetSeconds)
    }

    static func validate(_ d: CalendarDay) throws(CalendarError) {
        switch d.kind {
        case .makeupWorkday where !d.date.isWeekend:
            throw .invalidDay(d.date, "a make-up workday (调休上班) must be a Saturday or Sunday")
        case .weekend where !d.date.isWeekend:
            throw .invalidDay(d.date, "only Saturdays and Sundays can be weekend days; use holiday")
        case .workday where d.date.isWeekend:
            throw .invalidDay(d.date, "a weekend working day must be declared makeup_workday")
        default: break
        }
    }

    // MARK: - Days

    /// First … last covered date, or nil for an empty calendar.
    public var coverage: ClosedRange<LocalDate>? {
        kinds.isEmpty ? nil : LocalDate(dayNumber: firstDay)...LocalDate(dayNumber: firstDay + kinds.count - 1)
    }

    /// D: business seconds of one working day.
    public var secondsPerWorkingDay: Int { businessHours.secondsPerWorkingDay }

    /// Number of working days in the whole coverage.
    public var workingDayCount: Int { ordinalDay.count }

    /// The day, or nil outside the coverage.
    public func day(_ date: LocalDate) -> CalendarDay? {
        let i = date.dayNumber - firstDay
        guard i >= 0, i < kinds.count else { return nil }
        return CalendarDay(date: date, kind: kinds[i], name: names[i])
    }

    /// Whether the date is a working day, or nil outside the coverage.
    public func isWorkingDay(_ date: LocalDate) -> Bool? {
        let i = date.dayNumber - firstDay
        guard i >= 0, i < kinds.count else { return nil }
        return kinds[i].isWorkingDay
    }

    /// All days from `from` through `to`, clipped to the coverage.
    public func days(from: LocalDate, to: LocalDate) -> [CalendarDay] {
        let lo = max(from.dayNumber, firstDay), hi = min(to.dayNumber, firstDay + kinds.count - 1)
        guard lo <= hi else { return [] }
        return (lo...hi).map { CalendarDay(date: LocalDate(dayNumber: $0), kind: kinds[$0 - firstDay], name: names[$0 - firstDay]) }
    }

    /// The days whose kind or name differs from the plain weekday rule (holidays, make-up days, named days),
    /// ascending. `WorkCalendar(coveredYears: coveredYears, overrides: explicitDays)` rebuilds this calendar.
    public var explicitDays: [CalendarDay] {
        kinds.indices.compactMap { i in
            let d = LocalDate(dayNumber: firstDay + i)
            return kinds[i] != CalendarDay.defaultKind(for: d) || names[i] != nil
                ? CalendarDay(date: d, kind: kinds[i], name: names[i]) : nil
        }
    }

    /// Number of working days on or before `date` within the coverage (1 for the first working day), or nil
    /// outside the coverage. Working days between two dates = difference of ordinals.
    public func workOrdinal(of date: LocalDate) -> Int? {
        let i = date.dayNumber - firstDay
        guard i >= 0, i < kinds.count else { return nil }
        return Int(workBefore[i + 1])
    }

    /// The date of the `ordinal`-th working day of the coverage (1-based, inverse of ``workOrdinal(of:)`` on working days).
    public func workingDay(ordinal: Int) throws(CalendarError) -> LocalDate {
        guard ordinal >= 1 else { throw .outsideCoverage(beforeCoverage) }
        guard ordinal <= ordinalDay.count else { throw .outsideCoverage(afterCoverage) }
        return LocalDate(dayNumber: firstDay + Int(ordinalDay[ordinal - 1]))
    }

    /// The `n`-th working day strictly after `date` (n ≥ 1), e.g. n = 1 is the next working day.
    public func workingDay(_ n: Int, after date: LocalDate) throws(CalendarError) -> LocalDate {
        guard let w = workOrdinal(of: date) else { throw .outsideCoverage(date) }
        return try workingDay(ordinal: w + n)
    }

    /// Returns a copy with single days replaced (admin edits, e.g. a newly announced holiday).
    /// Every day must lie inside the current coverage and agree with the weekday rule; to add a year,
    /// import that year's notice file instead (coverage only grows by whole, cited years).
    public func replacing(_ days: [CalendarDay]) throws(CalendarError) -> WorkCalendar {
        var map: [LocalDate: CalendarDay] = [:]
        for d in explicitDays { map[d.date] = d }
        for d in days {
            guard day(d.date) != nil else { throw .outsideCoverage(d.date) }
            map[d.date] = d
        }
        return try WorkCalendar(
            coveredYears: coveredYears, overrides: Array(map.values), businessHours: businessHours,
            utcOffsetSeconds: utcOffsetSeconds, sources: sources)
    }

    /// This calendar extended through `lastYear` with years not announced yet, by the plain weekday rule (no
    /// holidays, no make-up days), marked as ``provisionalYears``. A deadline computed on it that reaches such a
    /// year is provisional: the year's notice may move it (docs/sla.md, "Provisional deadlines"). Returns self
    /// when the announced years already reach `lastYear`, or when there are none.
    public func withProvisionalYears(through lastYear: Int) -> WorkCalendar {
        guard let last = coveredYears.last, lastYear > last, provisionalYears.isEmpty else { return self }
        // The explicit days lie inside the announced years and were valid for self: rebuilding cannot fail.
        var extended = try! WorkCalendar(
            coveredYears: coveredYears + Array((last + 1)...lastYear), overrides: explicitDays, businessHours: businessHours,
            utcOffsetSeconds: utcOffsetSeconds, sources: sources)
        extended.provisionalYears = Array((last + 1)...lastYear)
        return extended
    }

    /// True for a date in one of the ``provisionalYears``.
    public func isProvisional(_ date: LocalDate) -> Bool {
        guard let first = provisionalYears.first else { return false }
        return date.year >= first && date.year <= provisionalYears[provisionalYears.count - 1]
    }

    /// Returns a copy with different business hours.
    public func withBusinessHours(_ hours: BusinessHours) -> WorkCalendar {
        // The overrides were valid for self, so rebuilding cannot fail.
        try! WorkCalendar(
            coveredYears: coveredYears, overrides: explicitDays, businessHours: hours,
            utcOffsetSeconds: utcOffsetSeconds, sources: sources)
    }

    var beforeCoverage: LocalDate { LocalDate(dayNumber: firstDay - 1) }
    @usableFromInline var afterCoverage: LocalDate { LocalDate(dayNumber: firstDay + kinds.count) }

    // MARK: - Instants

    /// Whole seconds since 1970 (floor), clamped to a sane range so absurd dates cannot trap.
    @inline(__always) @usableFromInline
    static func epochSeconds(_ t: Date) -> Int64 {
        let s = t.timeIntervalSince1970
        guard s > -1.0e12, s < 1.0e12 else { return s < 0 || s.isNaN ? -1_000_000_000_000 : 1_000_000_000_000 }
        // Truncation plus a correction is a floor without a libm call.
        let i = Int64(s)
        return Double(i) > s ? i - 1 : i
    }

    /// The local date (at the calendar's UTC offset) of an instant.
    public func localDate(of t: Date) -> LocalDate {
        let local = WorkCalendar.epochSeconds(t) + Int64(utcOffsetSeconds)
        return LocalDate(dayNumber: Int(WorkCalendar.floorDiv(local, 86400)))
    }

    /// Seconds since local midnight (0…86399) of an instant.
    public func secondOfDay(of t: Date) -> Int {
        let local = WorkCalendar.epochSeconds(t) + Int64(utcOffsetSeconds)
        return Int(local - WorkCalendar.floorDiv(local, 86400) * 86400)
    }

    /// The instant at `secondOfDay` (may be 86400) local time on `date`.
    public func instant(on date: LocalDate, secondOfDay: Int) -> Date {
        Date(timeIntervalSince1970: Double(date.dayNumber * 86400 + secondOfDay - utcOffsetSeconds))
    }

    @inline(__always) @usableFromInline
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && a < 0) ? q - 1 : q
    }

    /// Business seconds from the start of the coverage to `t` (see the type's documentation). O(1).
    public func businessPosition(of t: Date) throws(CalendarError) -> Int64 {
        let local = WorkCalendar.epochSeconds(t) + Int64(utcOffsetSeconds)
        let dayNumber = WorkCalendar.floorDiv(local, 86400)
        let i = Int(dayNumber) - firstDay
        guard i >= 0, i < kinds.count else { throw .outsideCoverage(LocalDate(dayNumber: Int(dayNumber))) }
        // Branch-free: the day's working flag is the step of the prefix count.
        let before = Int64(workBefore[i])
        let isWorking = Int64(workBefore[i + 1]) - before
        let today = Int64(businessHours.businessSeconds(upTo: Int(local - dayNumber * 86400)))
        return before * secondsPerDay + isWorking * today
    }

    /// The instant at a business position. O(1). A position exactly at a day boundary maps to the END of the
    /// earlier working day (e.g. 17:30), never to the next morning; position 0 maps to the opening time of the
    /// first working day. `businessPosition(of: instant(atBusinessPosition: p)) == p` for every valid `p`.
    public func instant(atBusinessPosition p: Int64) throws(CalendarError) -> Date {
        guard p >= 0 else { throw .outsideCoverage(beforeCoverage) }
        guard !ordinalDay.isEmpty else { throw .outsideCoverage(afterCoverage) }
        if p == 0 {
            return instant(on: LocalDate(dayNumber: firstDay + Int(ordinalDay[0])), secondOfDay: businessHours.openingSecond)
        }
        let k = workingDayIndex(ofPosition: p)
        guard k < ordinalDay.count else { throw .outsideCoverage(afterCoverage) }
        let r = Int(p - Int64(k) * secondsPerDay)
        let dayNumber = firstDay + Int(ordinalDay[k])
        return Date(timeIntervalSince1970: Double(dayNumber * 86400 + businessHours.secondOfDay(atBusinessSecond: r) - utcOffsetSeconds))
    }

    /// ⌊(p − 1) / D⌋ for p ≥ 1, via a floating-point reciprocal with an exact integer correction
    /// (avoids a 64-bit integer division on the hot path).
    @inline(__always)
    func workingDayIndex(ofPosition p: Int64) -> Int {
        let q = p - 1
        var k = Int64(Double(q) * reciprocalSecondsPerDay)
        if k * secondsPerDay > q { k -= 1 } else if (k + 1) * secondsPerDay <= q { k += 1 }
        return Int(k)
    }

    /// Business seconds between two instants: pos(to) − pos(from) (negative when `to` is earlier).
    public func workingSeconds(from a: Date, to b: Date) throws(CalendarError) -> Int64 {
        try businessPosition(of: b) - businessPosition(of: a)
    }

    /// The instant after `seconds` more business seconds (elapsed-time arithmetic).
    public func addingWorkingSeconds(_ seconds: Int64, to t: Date) throws(CalendarError) -> Date {
        try instant(atBusinessPosition: businessPosition(of: t) + seconds)
    }

    /// The instant after `n` working days of business time (`elapsed` rule): pos(t) + n × D.
    public func addingWorkingDays(_ n: Int, to t: Date) throws(CalendarError) -> Date {
        try addingWorkingSeconds(Int64(n) * secondsPerDay, to: t)
    }

    /// Positions that frame an SLA window: `start` is where counting begins (pos(receipt) for `elapsed`,
    /// the start of the first counted working day for `following_days`); `due` = start + n × D.
    public func countingWindow(receivedAt t: Date, workingDays n: Int, rule: CountingRule) throws(CalendarError)
        -> (start: Int64, due: Int64)
    {
        switch rule {
        case .elapsed:
            let p = try businessPosition(of: t)
            return (p, p + Int64(n) * secondsPerDay)
        case .followingDays:
            let local = WorkCalendar.epochSeconds(t) + Int64(utcOffsetSeconds)
            let dayNumber = WorkCalendar.floorDiv(local, 86400)
            let i = Int(dayNumber) - firstDay
            guard i >= 0, i < kinds.count else { throw .outsideCoverage(LocalDate(dayNumber: Int(dayNumber))) }
            let w = Int64(workBefore[i + 1])
            return (w * secondsPerDay, (w + Int64(n)) * secondsPerDay)
        }
    }

    /// The deadline for a letter received at `t` with a limit of `n` working days (no pauses or extensions).
    /// O(1). `following_days`: closing time (17:30) of the n-th working day after the receipt date;
    /// `elapsed`: `addingWorkingDays(n, to: t)`.
    @inlinable  // callers in other modules (server, benchmark) inline the O(1) paths
    public func dueDate(receivedAt t: Date, workingDays n: Int, rule: CountingRule) throws(CalendarError) -> Date {
        switch rule {
        case .elapsed:
            // Same as instant(atBusinessPosition: pos(t) + n × D), fused: no division, one pass over the business
            // hours (1 ≤ n ≤ working days, so the position is past 0; other n take the general path).
            guard n >= 1, n <= ordinalDay.count else {
                return try instant(atBusinessPosition: businessPosition(of: t) + Int64(n) * secondsPerDay)
            }
            let local = WorkCalendar.epochSeconds(t) + Int64(utcOffsetSeconds)
            let dayNumber = WorkCalendar.floorDiv(local, 86400)
            let i = Int(dayNumber) - firstDay
            guard i >= 0, i < kinds.count else { throw .outsideCoverage(LocalDate(dayNumber: Int(dayNumber))) }
            let before = Int(workBefore[i])
            let s = Int(local - dayNumber * 86400)
            // pos(t) + n × D = (before + n) × D + today (business seconds of the receipt date up to s, 0 unless it
            // is a working day). If today > 0 (a working day, after opening time) that is `today` into working day
            // before + n, at s clamped into the business hours; else exactly the closing time of working day
            // before + n − 1. Selected arithmetically: receipts are random, a branch would mispredict.
            let counts = (s > openingSecond ? 1 : 0) & (Int(workBefore[i + 1]) - before)  // 1 iff today > 0
            let k = before + n - 1 + counts
            guard k < ordinalDay.count else { throw .outsideCoverage(afterCoverage) }
            let second = closingSecond + counts * (businessHours.clampedToHours(s) - closingSecond)
            return Date(timeIntervalSince1970: Double((firstDay + Int(ordinalDay[k])) * 86400 + second - utcOffsetSeconds))
        case .followingDays:
            // Same as instant(atBusinessPosition: (W + n) × D) for n ≥ 1, without the division.
            guard n >= 1 else {
                return try instant(atBusinessPosition: countingWindow(receivedAt: t, workingDays: n, rule: rule).due)
            }
            let local = WorkCalendar.epochSeconds(t) + Int64(utcOffsetSeconds)
            let dayNumber = WorkCalendar.floorDiv(local, 86400)
            let i = Int(dayNumber) - firstDay
            guard i >= 0, i < kinds.count else { throw .outsideCoverage(LocalDate(dayNumber: Int(dayNumber))) }
            let k = Int(workBefore[i + 1]) + n - 1
            guard k < ordinalDay.count else { throw .outsideCoverage(afterCoverage) }
            return Date(timeIntervalSince1970: Double((firstDay + Int(ordinalDay[k])) * 86400 + closingSecond - utcOffsetSeconds))
        }
    }
}
