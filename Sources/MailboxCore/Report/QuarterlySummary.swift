import Foundation

/// The receipt dates a report covers: Beijing dates `from`…`to`, inclusive (统计期间).
public struct ReportPeriod: Sendable, Hashable, Codable {
    public var from: LocalDate
    public var to: LocalDate

    public init(from: LocalDate, to: LocalDate) {
        self.from = from
        self.to = to
    }

    /// Reports and the dashboard cover at most ten years (3,660 days, leap days included).
    public static let maxDays = 3660

    /// More than `maxDays` from `from` to `to`.
    public var isTooLong: Bool { to.dayNumber - from.dayNumber > Self.maxDays }

    /// "2020Q1" → 2020-01-01…2020-03-31 (also "2020q1"); nil when malformed.
    public init?(quarter: String) {
        let u = Array(quarter.utf8)
        guard u.count == 6, u[4] == UInt8(ascii: "Q") || u[4] == UInt8(ascii: "q"),
              u[0..<4].allSatisfy({ $0 >= 48 && $0 <= 57 }), u[5] >= UInt8(ascii: "1"), u[5] <= UInt8(ascii: "4")
        else { return nil }
        let year = u[0..<4].reduce(0) { $0 * 10 + Int($1 - 48) }
        let q = Int(u[5] - 48)
        guard year >= 1 else { return nil }
        self.init(year: year, quarter: q)
    }

    /// Quarter `quarter` (1…4) of `year`.
    public init(year: Int, quarter: Int) {
        precondition((1...4).contains(quarter), "quarter must be 1…4, got \(quarter)")
        let firstMonth = 3 * (quarter - 1) + 1
        from = LocalDate(year: year, month: firstMonth, day: 1)
        let lastMonth = firstMonth + 2
        to = LocalDate(year: year, month: lastMonth, day: LocalDate.daysInMonth(year: year, month: lastMonth))
    }

    /// The year and quarter when the period is exactly one calendar quarter.
    public var quarter: (year: Int, quarter: Int)? {
        let (y, m, d) = from.components
        guard d == 1, (m - 1) % 3 == 0 else { return nil }
        let q = (m - 1) / 3 + 1
        return ReportPeriod(year: y, quarter: q) == self ? (y, q) : nil
    }

    /// "一季度" … "四季度" when the period is exactly a quarter.
    public var quarterName: String? {
        quarter.map { ["一季度", "二季度", "三季度", "四季度"][$0.quarter - 1] }
    }

    /// The period as the district writes it: "2020年一季度", else "2020年1月1日至2月15日"
    /// (the year repeated only when it changes).
    public var chineseName: String {
        if let q = quarter, let name = quarterName { return "\(q.year)年\(name)" }
        let (fy, fm, fd) = from.components
        let (ty, tm, td) = to.components
        if from == to { return "\(fy)年\(fm)月\(fd)日" }
        let end = fy == ty ? "\(tm)月\(td)日" : "\(ty)年\(tm)月\(td)日"
        return "\(fy)年\(fm)月\(fd)日至\(end)"
    }

    /// Whether a Beijing date lies in the period.
    public func contains(_ date: LocalDate) -> Bool { date >= from && date <= to }

    /// Whether an instant (e.g. a receipt time) falls on a date of the period, in the calendar's local time.
    public func contains(_ t: Date, calendar: WorkCalendar) -> Bool { contains(calendar.localDate(of: t)) }
}

/// The text the district publishes about a period (季度办理情况通报), in its own wording.
public enum QuarterlySummary {
    /// The paragraph the district publishes, e.g.
    /// "区长信箱2020年一季度共收到公众来信47件，已办结46件，正在办理中1件。咨询类信件1个工作日内办结率100%，平均办件天数1.3个工作日。"
    ///
    /// `totals`: all letters of the period; `consultation`: the consultation (咨询) group. 正在办理中 is `open`;
    /// rejected (不予受理) and merged (重复来信合并) letters get their own clause only when there are any, so the
    /// numbers always add up. The average is that of all letters. A nil rate or average reads "暂无数据".
    public static func paragraph(period: ReportPeriod, totals: SLAMetrics, consultation: SLAMetrics) -> String {
        var first = "区长信箱\(period.chineseName)共收到公众来信\(totals.received)件，已办结\(totals.closed)件，正在办理中\(totals.open)件"
        if totals.rejected > 0 { first += "，不予受理\(totals.rejected)件" }
        if totals.merged > 0 { first += "，重复来信合并\(totals.merged)件" }
        let within = consultation.within1WorkingDayRate.map(percent) ?? "暂无数据"
        let average = totals.avgHandlingWorkingDays.map { oneDecimal($0) + "个工作日" } ?? "暂无数据"
        return first + "。咨询类信件1个工作日内办结率\(within)，平均办件天数\(average)。"
    }

    /// Column titles of ``departmentTable(_:)``.
    public static let departmentColumns = ["承办单位", "收件", "办结", "按期办结率", "超期未办结", "平均办件天数", "满意率"]

    /// The per-department table as text lines, tab-separated: a header line, then one line per row in the given
    /// order with name, received, closed, on-time rate, overdue open, average working days (one decimal) and
    /// satisfaction rate; "—" where a figure is nil.
    public static func departmentTable(_ rows: [(name: String, metrics: SLAMetrics)]) -> [String] {
        var lines = [departmentColumns.joined(separator: "\t")]
        for (name, m) in rows {
            let cells = [
                name, String(m.received), String(m.closed), m.onTimeRate.map(percent) ?? "—", String(m.overdueOpen),
                m.avgHandlingWorkingDays.map(oneDecimal) ?? "—", m.satisfactionRate.map(percent) ?? "—",
            ]
            lines.append(cells.joined(separator: "\t"))
        }
        return lines
    }

    /// A rate as a percentage: whole numbers without decimals ("100%"), else one decimal ("97.5%"), rounded half
    /// away from zero at the first decimal.
    public static func percent(_ rate: Double) -> String {
        tenths(rate * 1000) + "%"
    }

    /// One decimal, rounded half away from zero: 1.25 → "1.3", 2 → "2.0".
    public static func oneDecimal(_ value: Double) -> String {
        let t = tenths(value * 10)
        return t.contains(".") ? t : t + ".0"
    }

    /// `x` (in tenths) as a decimal with at most one digit after the point, the digit dropped when it is 0.
    private static func tenths(_ x: Double) -> String {
        guard x.isFinite else { return "—" }
        let n = Int(x.rounded(.toNearestOrAwayFromZero))
        let sign = n < 0 ? "-" : ""
        let whole = abs(n) / 10, digit = abs(n) % 10
        return sign + (digit == 0 ? "\(whole)" : "\(whole).\(digit)")
    }
}
