import Foundation

/// A problem in a calendar data file, with the 1-based line it was found on
/// (line 0 = the file as a whole, e.g. "no year declared").
public struct CalendarFileError: Error, Equatable, Sendable, CustomStringConvertible {
    public var line: Int
    public var message: String
    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }
    public var description: String { line > 0 ? "line \(line): \(message)" : message }
}

/// The citation of a State Council notice (国务院办公厅关于…部分节假日安排的通知) for one year.
public struct CalendarSource: Sendable, Codable, Hashable {
    public var year: Int
    public var citation: String
    public init(year: Int, citation: String) {
        self.year = year
        self.citation = citation
    }
}

/// One parsed calendar data file (see docs/sla.md, "Calendar file format").
///
/// ```
/// # comment
/// source 2020 国办发明电〔2019〕16号 国务院办公厅关于2020年部分节假日安排的通知
/// year 2020
/// 2020-01-24..2020-01-30 holiday 春节
/// 2020-02-01 makeup_workday 春节调休
/// 2020-01-31..2020-02-02 holiday 春节   # later lines win: 国办发明电〔2020〕1号 extension
/// ```
public struct CalendarNotice: Sendable, Hashable {
    /// The years this file fully declares, ascending.
    public var years: [Int]
    /// The explicit entries after applying "later line wins", one per date, ascending by date.
    public var days: [CalendarDay]
    /// The `source` lines' text as written after the keyword, i.e. `"YEAR citation"`
    /// (e.g. `"2020 国办发明电〔2020〕1号 国务院办公厅关于延长2020年春节假期的通知"`), in file order.
    public var sources: [String]
    /// The `source` lines with their years, in file order.
    public var citations: [CalendarSource]

    public init(years: [Int], days: [CalendarDay], citations: [CalendarSource]) {
        self.years = years.sorted()
        self.days = days.sorted { $0.date < $1.date }
        self.citations = citations
        self.sources = citations.map { "\($0.year) \($0.citation)" }
    }

    /// Longest date range accepted on one line (longer ranges are almost certainly typos).
    public static let maximumRangeDays = 31

    /// Parses the text of a calendar file. Errors carry the line number and what is wrong.
    public static func parse(_ text: String) throws(CalendarFileError) -> CalendarNotice {
        struct Entry { var line: Int; var first: LocalDate; var last: LocalDate; var kind: DayKind; var name: String? }
        var years: [Int: Int] = [:]  // year -> line
        var citations: [(line: Int, source: CalendarSource)] = []
        var entries: [Entry] = []

        var lineNo = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNo += 1
            var line = Substring(rawLine)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            // A UTF-8 byte order mark at the start is tolerated.
            let content = trimmed.hasPrefix("\u{FEFF}") ? String(trimmed.dropFirst()) : trimmed
            let (head, rest1) = splitFirstWord(Substring(content))
            switch head {
            case "year":
                let (ys, extra) = splitFirstWord(rest1)
                guard let y = Int(ys), (1971...9998).contains(y) else {
                    throw CalendarFileError(line: lineNo, message: "bad year '\(ys)': expected a four-digit year")
                }
                guard extra.isEmpty else {
                    throw CalendarFileError(line: lineNo, message: "unexpected text after 'year \(y)': '\(extra)'")
                }
                if let prev = years[y] {
                    throw CalendarFileError(line: lineNo, message: "year \(y) is already declared on line \(prev)")
                }
                years[y] = lineNo
            case "source":
                let (ys, citation) = splitFirstWord(rest1)
                guard let y = Int(ys), (1971...9998).contains(y) else {
                    throw CalendarFileError(line: lineNo, message: "bad year '\(ys)' in source line: expected 'source YEAR citation'")
                }
                guard !citation.isEmpty else {
                    throw CalendarFileError(line: lineNo, message: "source line for \(y) has no citation text")
                }
                citations.append((lineNo, CalendarSource(year: y, citation: String(citation))))
            default:
                let first: LocalDate
                let last: LocalDate
                if let dots = head.range(of: "..") {
                    let a = String(head[..<dots.lowerBound]), b = String(head[dots.upperBound...])
                    guard let da = LocalDate(iso: a) else {
                        throw CalendarFileError(line: lineNo, message: "bad date '\(a)': expected YYYY-MM-DD")
                    }
                    guard let db = LocalDate(iso: b) else {
                        throw CalendarFileError(line: lineNo, message: "bad date '\(b)': expected YYYY-MM-DD")
                    }
                    guard da <= db else {
                        throw CalendarFileError(line: lineNo, message: "range \(head) ends before it starts")
                    }
                    guard db.dayNumber - da.dayNumber < maximumRangeDays else {
                        throw CalendarFileError(line: lineNo, message: "range \(head) is longer than \(maximumRangeDays) days")
                    }
                    first = da
                    last = db
                } else if let d = LocalDate(iso: head) {
                    first = d
                    last = d
                } else if head.first?.isNumber == true {
                    throw CalendarFileError(line: lineNo, message: "bad date '\(head)': expected YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD")
                } else {
                    throw CalendarFileError(line: lineNo, message: "unknown directive '\(head)': expected 'source', 'year' or a date")
                }
                let (kindText, nameText) = splitFirstWord(rest1)
                guard !kindText.isEmpty else {
                    throw CalendarFileError(line: lineNo, message: "missing kind after \(head): expected holiday, makeup_workday or workday")
                }
                guard let kind = DayKind(rawValue: kindText), kind != .weekend else {
                    throw CalendarFileError(line: lineNo, message: "unknown kind '\(kindText)': expected holiday, makeup_workday or workday")
                }
                var d = first
                while d <= last {
                    switch kind {
                    case .makeupWorkday where !d.isWeekend:
                        throw CalendarFileError(line: lineNo, message: "\(d) is a \(d.weekdayNameEN): makeup_workday must be a Saturday or Sunday")
                    case .workday where d.isWeekend:
                        throw CalendarFileError(line: lineNo, message: "\(d) is a \(d.weekdayNameEN): use makeup_workday for a weekend working day")
                    default: break
                    }
                    d = d.adding(days: 1)
                }
                entries.append(Entry(line: lineNo, first: first, last: last, kind: kind, name: nameText.isEmpty ? nil : String(nameText)))
            }
        }

        guard !years.isEmpty else {
            throw CalendarFileError(line: 0, message: "the file declares no year (add a 'year YYYY' line)")
        }
        for (line, src) in citations where years[src.year] == nil {
            throw CalendarFileError(line: line, message: "source for \(src.year), but the file does not declare 'year \(src.year)'")
        }
        for (y, line) in years.sorted(by: { $0.key < $1.key }) where !citations.contains(where: { $0.source.year == y }) {
            throw CalendarFileError(line: line, message: "year \(y) has no 'source \(y) …' line citing the State Council notice")
        }
        var byDate: [LocalDate: CalendarDay] = [:]
        for e in entries {
            for date in [e.first, e.last] where years[date.year] == nil {
                let declared = years.keys.sorted().map(String.init).joined(separator: ", ")
                throw CalendarFileError(line: e.line, message: "\(date) is outside the declared years (\(declared))")
            }
            var d = e.first
            while d <= e.last {
                byDate[d] = CalendarDay(date: d, kind: e.kind, name: e.name)
                d = d.adding(days: 1)
            }
        }
        return CalendarNotice(
            years: Array(years.keys),
            days: Array(byDate.values),
            citations: citations.map(\.source))
    }

    /// Renders the notice back into the file format (one line per date; parse(render()) == self).
    public func render() -> String {
        var out: [String] = []
        for c in citations { out.append("source \(c.year) \(c.citation)") }
        for y in years { out.append("year \(y)") }
        for d in days {
            out.append("\(d.date) \(d.kind.rawValue)" + (d.name.map { " " + $0 } ?? ""))
        }
        return out.joined(separator: "\n") + "\n"
    }

    private static func splitFirstWord(_ s: Substring) -> (String, Substring) {
        let t = s.drop(while: { $0 == " " || $0 == "\t" })
        guard let sp = t.firstIndex(where: { $0 == " " || $0 == "\t" }) else { return (String(t), "") }
        let rest = t[sp...].drop(while: { $0 == " " || $0 == "\t" })
        var r = rest
        while let l = r.last, l == " " || l == "\t" { r = r.dropLast() }
        return (String(t[..<sp]), r)
    }
}
