import Foundation

/// Office hours of a working day (办公时间), as one or more intervals of the local day.
///
/// Default ``standard``: 09:00–12:00 and 13:30–17:30, i.e. 7 hours = 25 200 business seconds a working day.
/// Text form: `"09:00-12:00,13:30-17:30"` (`HH:MM` or `HH:MM:SS`, `24:00` allowed as an end).
/// Intervals must be non-empty, ascending and non-overlapping (touching is allowed but pointless).
/// Encoded in JSON as that text.
public struct BusinessHours: Sendable, Codable, Hashable, CustomStringConvertible {
    /// A half-open interval `[start, end)` in seconds since local midnight.
    public struct Interval: Sendable, Hashable {
        public var start: Int
        public var end: Int
        public init(start: Int, end: Int) {
            self.start = start
            self.end = end
        }
    }

    public struct FormatError: Error, Equatable, Sendable, CustomStringConvertible {
        public var message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    /// The intervals, ascending.
    public let intervals: [Interval]
    /// Business seconds before each interval starts (prefix sums).
    private let cumulative: [Int]
    /// gaps[j] = start of interval j − end of interval j−1 (gaps[0] = 0).
    private let gaps: [Int]
    /// Total business seconds of a working day (D).
    public let secondsPerWorkingDay: Int

    /// 09:00–12:00, 13:30–17:30.
    public static let standard = try! BusinessHours(intervals: [
        Interval(start: 9 * 3600, end: 12 * 3600),
        Interval(start: 13 * 3600 + 1800, end: 17 * 3600 + 1800),
    ])

    public init(intervals: [Interval]) throws(FormatError) {
        guard !intervals.isEmpty else { throw FormatError("business hours need at least one interval") }
        var prevEnd = 0
        var cum: [Int] = []
        var total = 0
        for (i, iv) in intervals.enumerated() {
            guard iv.start >= 0, iv.end <= 86400 else {
                throw FormatError("interval \(i + 1) is outside 00:00–24:00")
            }
            guard iv.start < iv.end else { throw FormatError("interval \(i + 1) is empty or reversed") }
            guard i == 0 || iv.start >= prevEnd else {
                throw FormatError("interval \(i + 1) overlaps or precedes the previous one")
            }
            cum.append(total)
            total += iv.end - iv.start
            prevEnd = iv.end
        }
        self.intervals = intervals
        self.cumulative = cum
        self.gaps = intervals.indices.map { $0 == 0 ? 0 : intervals[$0].start - intervals[$0 - 1].end }
        self.secondsPerWorkingDay = total
    }

    /// Parses `"09:00-12:00,13:30-17:30"`.
    public init(parsing text: String) throws(FormatError) {
        var ivs: [Interval] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let p = part.trimmingCharacters(in: .whitespaces)
            let ends = p.split(separator: "-", omittingEmptySubsequences: false)
            guard ends.count == 2,
                  let s = BusinessHours.parseClock(String(ends[0]).trimmingCharacters(in: .whitespaces)),
                  let e = BusinessHours.parseClock(String(ends[1]).trimmingCharacters(in: .whitespaces))
            else {
                throw FormatError("bad interval '\(p)': expected HH:MM-HH:MM")
            }
            ivs.append(Interval(start: s, end: e))
        }
        try self.init(intervals: ivs)
    }

    /// The text form, e.g. `"09:00-12:00,13:30-17:30"`.
    public var text: String {
        intervals.map { BusinessHours.clock($0.start) + "-" + BusinessHours.clock($0.end) }.joined(separator: ",")
    }

    public var description: String { text }

    /// Start of the first interval (e.g. 09:00).
    public var openingSecond: Int { intervals[0].start }
    /// End of the last interval (e.g. 17:30): a `following_days` deadline falls here.
    public var closingSecond: Int { intervals[intervals.count - 1].end }

    /// Business seconds of a working day elapsed at `secondOfDay` (0…86400), clamped to [0, D].
    /// Branch-free over the (few) intervals: Σ max(0, min(s, end) − start).
    @inline(__always)
    public func businessSeconds(upTo secondOfDay: Int) -> Int {
        var acc = 0
        for iv in intervals {
            let x = min(secondOfDay, iv.end) &- iv.start
            acc &+= x & ~(x >> 63)  // max(0, x) without a branch
        }
        return acc
    }

    /// The second of the day at which `r` business seconds (0 < r ≤ D) have elapsed; a value exactly at the
    /// end of an interval maps to that end (e.g. 12:00 or 17:30), never to the next interval's start.
    /// `r ≤ 0` maps to the opening time.
    @inline(__always)
    public func secondOfDay(atBusinessSecond r: Int) -> Int {
        guard r > 0 else { return intervals[0].start }
        // Start of the first interval plus r, plus every gap (e.g. the lunch break) that r has passed.
        var s = intervals[0].start + min(r, secondsPerWorkingDay)
        for j in 1..<max(1, intervals.count) {
            s &+= gaps[j] & ((cumulative[j] &- r) >> 63)  // + gap if r > cumulative[j], without a branch
        }
        return s
    }

    /// `secondOfDay(atBusinessSecond: businessSeconds(upTo: s))` for `s` after the opening time, in one pass:
    /// `s` itself inside an interval (or at its end), else the end of the last interval that started before `s`.
    @inline(__always) @usableFromInline
    func clampedToHours(_ s: Int) -> Int {
        var clamped = 0
        for iv in intervals where iv.start < s {  // ascending, so the last match wins (compiles to cmov)
            clamped = min(s, iv.end)
        }
        return clamped
    }

    /// Whether `secondOfDay` is inside an interval or exactly at an interval end.
    public func contains(secondOfDay s: Int) -> Bool {
        intervals.contains { s >= $0.start && s <= $0.end }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        do {
            try self.init(parsing: s)
        } catch {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: error.message)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(text)
    }

    public static func == (a: BusinessHours, b: BusinessHours) -> Bool { a.intervals == b.intervals }
    public func hash(into h: inout Hasher) { h.combine(intervals) }

    static func parseClock(_ s: String) -> Int? {
        let parts = s.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3,
              parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) })
        else { return nil }
        let nums = parts.map { Int($0)! }
        let h = nums[0], m = nums[1], sec = nums.count == 3 ? nums[2] : 0
        guard m < 60, sec < 60, h < 24 || (h == 24 && m == 0 && sec == 0) else { return nil }
        return h * 3600 + m * 60 + sec
    }

    /// `HH:MM`, or `HH:MM:SS` when seconds are not zero.
    static func clock(_ s: Int) -> String {
        let h = s / 3600, m = (s % 3600) / 60, sec = s % 60
        var t = LocalDate.pad(h, 2) + ":" + LocalDate.pad(m, 2)
        if sec != 0 { t += ":" + LocalDate.pad(sec, 2) }
        return t
    }
}
