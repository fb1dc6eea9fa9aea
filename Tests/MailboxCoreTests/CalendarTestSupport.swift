import Foundation
import MailboxCore

/// Test fixtures: the real calendar file and an independent, deliberately naive reference implementation
/// of the rules (day-by-day loops, Foundation time-zone conversion, hard-coded business hours) against which
/// the O(1) calendar is compared.
enum Fixture {
    static let calendarPath: String = {
        // Tests/MailboxCoreTests/<this file> → repository root (symlinks resolved, so a scratch package
        // that links the test directory still finds the repository's data file).
        var url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("sql/migrations/0003_cn_calendar_2019_2026.calendar").path
    }()

    static let calendarText: String = try! String(contentsOfFile: calendarPath, encoding: .utf8)
    static let notice: CalendarNotice = try! CalendarNotice.parse(calendarText)
    static let calendar: WorkCalendar = try! WorkCalendar(notices: [notice])

    /// Asia/Shanghai from the system tz database (falls back to a fixed +8 zone if absent).
    static let shanghai: TimeZone = TimeZone(identifier: "Asia/Shanghai") ?? TimeZone(secondsFromGMT: 8 * 3600)!
    static let gregorian: Calendar = {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = shanghai
        return c
    }()

    /// Beijing local time → instant, via Foundation (independent of MailboxCore's offset arithmetic).
    static func at(_ y: Int, _ mo: Int, _ d: Int, _ h: Int = 0, _ mi: Int = 0, _ s: Int = 0) -> Date {
        gregorian.date(from: DateComponents(year: y, month: mo, day: d, hour: h, minute: mi, second: s))!
    }

    /// First and last instants (whole seconds) of the 2019–2026 coverage.
    static let coverageStart = at(2019, 1, 1)
    static let coverageEnd = at(2026, 12, 31, 23, 59, 59)
    /// Receipts late enough in 2026 would need 2027 for long limits; samples stop here.
    static let receiptEnd = at(2026, 11, 30)

    static var coverageSeconds: ClosedRange<Int> {
        Int(coverageStart.timeIntervalSince1970)...Int(coverageEnd.timeIntervalSince1970)
    }
    static var receiptSeconds: ClosedRange<Int> {
        Int(coverageStart.timeIntervalSince1970)...Int(receiptEnd.timeIntervalSince1970)
    }
}

/// The naive reference. It only shares `LocalDate` and the parsed file entries with the code under test.
enum Reference {
    static let intervals = [(9 * 3600, 12 * 3600), (13 * 3600 + 1800, 17 * 3600 + 1800)]
    static let D = 25200
    static let closing = 17 * 3600 + 1800
    static let first = LocalDate(year: 2019, month: 1, day: 1)
    static let last = LocalDate(year: 2026, month: 12, day: 31)

    struct OutOfRange: Error {}

    static let declared: [LocalDate: DayKind] = {
        var m: [LocalDate: DayKind] = [:]
        for d in Fixture.notice.days { m[d.date] = d.kind }
        return m
    }()

    static func kind(_ d: LocalDate) -> DayKind {
        declared[d] ?? (d.weekday >= 6 ? .weekend : .workday)
    }

    static func isWorking(_ d: LocalDate) throws -> Bool {
        guard d >= first, d <= last else { throw OutOfRange() }
        let k = kind(d)
        return k == .workday || k == .makeupWorkday
    }

    /// Local date and second of day of an instant, via Foundation.
    static func local(_ t: Date) -> (LocalDate, Int) {
        let c = Fixture.gregorian.dateComponents([.year, .month, .day, .hour, .minute, .second], from: t)
        return (LocalDate(year: c.year!, month: c.month!, day: c.day!), c.hour! * 3600 + c.minute! * 60 + c.second!)
    }

    static func instant(_ d: LocalDate, _ sod: Int) -> Date {
        Fixture.at(d.year, d.month, d.day).addingTimeInterval(Double(sod))
    }

    static func businessSecondsOfDay(upTo sod: Int) -> Int {
        intervals.reduce(0) { $0 + max(0, min(sod, $1.1) - $1.0) }
    }

    /// Position by counting every working day since 2019-01-01.
    static func position(_ t: Date) throws -> Int {
        let (date, sod) = local(t)
        guard date >= first, date <= last else { throw OutOfRange() }
        var pos = 0
        var d = first
        while d < date {
            if try isWorking(d) { pos += D }
            d = d.adding(days: 1)
        }
        if try isWorking(date) { pos += businessSecondsOfDay(upTo: sod) }
        return pos
    }

    /// following_days: 17:30 on the n-th working day after the receipt date.
    static func followingDue(_ t: Date, _ n: Int) throws -> Date {
        var (d, _) = local(t)
        var counted = 0
        while counted < n {
            d = d.adding(days: 1)
            if try isWorking(d) { counted += 1 }
        }
        return instant(d, closing)
    }

    /// elapsed: walk business seconds forward from the receipt; a total reached exactly at an interval's end
    /// stays at that end.
    static func elapsedDue(_ t: Date, seconds: Int) throws -> Date {
        var (d, from) = local(t)
        var remaining = seconds
        while true {
            if try isWorking(d) {
                for (s0, e) in intervals {
                    let s = max(s0, from)
                    if s >= e { continue }
                    if remaining <= e - s { return instant(d, s + remaining) }
                    remaining -= e - s
                }
            }
            d = d.adding(days: 1)
            from = 0
        }
    }

    /// Working days on or before `date`, counted one by one.
    static func ordinal(_ date: LocalDate) throws -> Int {
        var n = 0
        var d = first
        while d <= date {
            if try isWorking(d) { n += 1 }
            d = d.adding(days: 1)
        }
        return n
    }

    /// Whether an instant is on a working day, inside business hours or exactly at an interval's end.
    static func isInBusinessHours(_ t: Date) throws -> Bool {
        let (d, sod) = local(t)
        guard try isWorking(d) else { return false }
        return intervals.contains { sod > $0.0 && sod <= $0.1 } || intervals.contains { sod == $0.0 }
    }
}
