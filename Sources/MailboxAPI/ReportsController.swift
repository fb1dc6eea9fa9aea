import Foundation
import HTTPTypes
import Hummingbird
import MailboxCore
import MailboxStore
import NIOCore

/// An SLA report: the cohort of letters received in [from, to] (Beijing dates), counted as of
/// `asOf` (docs/metrics.md), in total and per group.
public struct SLAReport: Sendable {
    public var from: LocalDate
    public var to: LocalDate
    public var asOf: Date
    public var grouping: ReportGrouping?
    public var totals: SLAMetrics
    /// Group key → figures (keys as stored: category, department id, channel, YYYY-MM, town).
    public var groups: [String: SLAMetrics]

    /// The report from the rollups (sums, plus the exceptions recomputed from the letters): what the API serves.
    public static func compute(store: some ReportStore, from: LocalDate, to: LocalDate, asOf: Date, grouping: ReportGrouping?,
                               departmentID: String?, calendar: WorkCalendar) async throws -> SLAReport {
        let (totals, groups) = try await store.metrics(from: from, to: to, asOf: asOf, departmentID: departmentID,
                                                       grouping: grouping, calendar: calendar)
        return SLAReport(from: from, to: to, asOf: asOf, grouping: grouping, totals: totals, groups: groups)
    }

    /// The same report counted straight from the raw letters (the rollups must equal it; benchmarks compare).
    public static func computeRaw(store: some ReportStore, from: LocalDate, to: LocalDate, asOf: Date, grouping: ReportGrouping?,
                                  departmentID: String?, calendar: WorkCalendar) async throws -> SLAReport {
        let start = MailboxJSON.parseTimestamp(from.description + "T00:00:00+08:00")!
        let end = MailboxJSON.parseTimestamp(LocalDate(dayNumber: to.dayNumber + 1).description + "T00:00:00+08:00")!
        var totals = SLAMetrics()
        var groups: [String: SLAMetrics] = [:]
        try await store.forEachReportLetter(receivedFrom: start, before: end, departmentID: departmentID, grouping: grouping) {
            letter, key in
            totals.add(letter, asOf: asOf, calendar: calendar)
            if let key { groups[key, default: SLAMetrics()].add(letter, asOf: asOf, calendar: calendar) }
        }
        return SLAReport(from: from, to: to, asOf: asOf, grouping: grouping, totals: totals, groups: groups)
    }
}

/// `GET /v1/reports/sla` (JSON, or CSV for Excel) and `GET /v1/reports/summary` (the paragraph the
/// district publishes). Dispatchers, auditors and admins see every department; a lead only its own.
struct ReportsController<Letters: LetterStore, Calendars: CalendarRepository, Staff: StaffStore> {
    let mailbox: Mailbox<Letters, Calendars, Staff>

    /// One group: its key (and a label for departments), then the figures at the same level.
    struct GroupView: Encodable {
        var key: String
        var name: String?
        var metrics: SLAMetrics
        enum CodingKeys: String, CodingKey { case key, name }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(key, forKey: .key)
            try c.encodeIfPresent(name, forKey: .name)
            try metrics.encode(to: encoder)
        }
    }

    struct ReportView: Encodable {
        var from: String
        var to: String
        var asOf: Date
        var groupBy: String?
        /// The last day of the announced calendar.
        var calendarThrough: String?
        /// Letters whose figures need a year whose holiday notice is not loaded (their deadlines are provisional):
        /// counted in received/closed/open, left out of the rates and the average until the notice is imported.
        var lettersOutsideCalendar: Int
        var totals: SLAMetrics
        var groups: [GroupView]
    }

    struct SummaryView: Encodable {
        var from: String
        var to: String
        var quarter: String?
        var asOf: Date
        var paragraph: String
        var departmentTable: [String]
        var totals: SLAMetrics
        var consultation: SLAMetrics
        var departments: [GroupView]
    }

    func addRoutes(to routes: StaffRoutes) {
        routes.on(.get, "/v1/reports/sla", .readReports, use: sla)
        routes.on(.get, "/v1/reports/summary", .readReports, use: summary)
    }

    /// The department a person's reports are limited to: a lead's own; nil for the centre,
    /// auditors and admins (who may ask for one with `department`).
    static func scope(_ who: StaffIdentity, requested: String?) throws -> String? {
        if who.role == .lead {
            if let requested, requested != who.departmentID {
                throw Problem(.forbidden, type: "forbidden", title: "Forbidden", detail: "A lead sees the reports of its own department only.")
            }
            return who.departmentID
        }
        return requested
    }

    static func calendar(_ mailbox: Mailbox<Letters, Calendars, Staff>) throws -> WorkCalendar {
        guard let calendar = mailbox.cache.current.calendar else {
            throw Problem(.serviceUnavailable, type: "calendar-unavailable", title: "No calendar",
                          detail: "The working-day calendar is not loaded yet.")
        }
        return calendar
    }

    /// `min_count`: groups with fewer letters received are left out (default 1).
    static func minCount(_ p: Hummingbird.Parameters, _ v: inout FieldValidator) -> Int {
        guard let m = p.get("min_count") else { return 1 }
        if let n = Int(m), n >= 1 { return n }
        v.fail("min_count", "must be a positive integer")
        return 1
    }

    static func date(_ p: Hummingbird.Parameters, _ name: String, _ v: inout FieldValidator) -> LocalDate? {
        guard let raw = p.get(name) else {
            v.fail(name, "is required (YYYY-MM-DD, Beijing date)")
            return nil
        }
        guard let d = LocalDate(iso: raw) else {
            v.fail(name, "must be a date YYYY-MM-DD")
            return nil
        }
        return d
    }

    static func asOf(_ p: Hummingbird.Parameters, _ v: inout FieldValidator) -> Date {
        guard let raw = p.get("as_of") else { return Date() }
        guard let t = MailboxJSON.parseTimestamp(raw) else {
            v.fail("as_of", "must be an RFC 3339 time")
            return Date()
        }
        return t
    }

    static func checkParameters(_ p: Hummingbird.Parameters, allowed: Set<String>, _ v: inout FieldValidator) {
        for (key, _) in p where !allowed.contains(String(key)) {
            v.fail(String(key), "is not a parameter (use " + allowed.sorted().joined(separator: ", ") + ")")
        }
    }

    func groups(_ report: SLAReport, names: [String: String], minCount: Int) -> [GroupView] {
        report.groups.filter { $0.value.received >= minCount }.sorted { $0.key < $1.key }.map {
            GroupView(key: $0.key, name: report.grouping == .department ? names[$0.key] : nil, metrics: $0.value)
        }
    }

    @Sendable func sla(_ request: Request, context: AppRequestContext) async throws -> Response {
        let p = request.uri.queryParameters
        var v = FieldValidator()
        Self.checkParameters(p, allowed: ["from", "to", "group_by", "as_of", "department", "min_count"], &v)
        let from = Self.date(p, "from", &v), to = Self.date(p, "to", &v)
        if let from, let to, to < from { v.fail("to", "must not be before from") }
        if let from, let to, ReportPeriod(from: from, to: to).isTooLong { v.fail("to", "a report covers at most ten years") }
        var grouping: ReportGrouping?
        if let g = p.get("group_by") {
            grouping = ReportGrouping(rawValue: g)
            if grouping == nil { v.fail("group_by", "must be one of " + ReportGrouping.allCases.map(\.rawValue).joined(separator: ", ")) }
        }
        let minCount = Self.minCount(p, &v)
        let asOf = Self.asOf(p, &v)
        try v.finish()
        let department = try Self.scope(context.identity!, requested: p.get("department"))
        let report = try await SLAReport.compute(store: mailbox.reports, from: from!, to: to!, asOf: asOf, grouping: grouping,
                                                 departmentID: department, calendar: try Self.calendar(mailbox))
        let names = grouping == .department ? try await mailbox.reports.departmentNames() : [:]
        let groups = groups(report, names: names, minCount: minCount)
        if Self.wantsCSV(request) {
            return Self.csv(report, groups: groups)
        }
        return try jsonResponse(ReportView(from: from!.description, to: to!.description, asOf: asOf, groupBy: grouping?.rawValue,
                                           calendarThrough: mailbox.cache.current.calendar?.coverage?.upperBound.description,
                                           lettersOutsideCalendar: report.totals.outsideCalendar,
                                           totals: report.totals, groups: groups),
                                headers: [.cacheControl: "no-store"])
    }

    static func wantsCSV(_ request: Request) -> Bool {
        (request.headers[.accept] ?? "").lowercased().contains("text/csv")
    }

    /// The same table as CSV, UTF-8 with a byte-order mark so that Excel reads the Chinese names.
    static func csv(_ report: SLAReport, groups: [GroupView]) -> Response {
        let name = "sla-\(report.from)-\(report.to).csv"
        return Response(status: .ok,
                        headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(name)\"",
                                  .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: csvText(report, groups: groups))))
    }

    static func csvText(_ report: SLAReport, groups: [GroupView]) -> String {
        let columns = ["received", "rejected", "merged", "closed", "open", "overdue_open", "closed_on_time", "on_time_rate",
                       "closed_within_1_working_day", "within_1_working_day_rate", "avg_handling_working_days", "rated",
                       "satisfaction_rate", "resolution_rate", "returned", "extended", "reopened"]
        func cells(_ m: SLAMetrics) -> [String] {
            func rate(_ x: Double?) -> String { x.map { String($0) } ?? "" }
            return ["\(m.received)", "\(m.rejected)", "\(m.merged)", "\(m.closed)", "\(m.open)", "\(m.overdueOpen)",
                    "\(m.closedOnTime)", rate(m.onTimeRate), "\(m.closedWithin1WorkingDay)", rate(m.within1WorkingDayRate),
                    rate(m.avgHandlingWorkingDays), "\(m.rated)", rate(m.satisfactionRate), rate(m.resolutionRate),
                    "\(m.returned)", "\(m.extended)", "\(m.reopened)"]
        }
        func field(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        var lines = [(["key", "name"] + columns).joined(separator: ",")]
        lines.append((["total", ""] + cells(report.totals)).map(field).joined(separator: ","))
        for g in groups { lines.append(([g.key, g.name ?? ""] + cells(g.metrics)).map(field).joined(separator: ",")) }
        return "\u{FEFF}" + lines.joined(separator: "\r\n") + "\r\n"
    }

    @Sendable func summary(_ request: Request, context: AppRequestContext) async throws -> Response {
        let p = request.uri.queryParameters
        var v = FieldValidator()
        Self.checkParameters(p, allowed: ["quarter", "from", "to", "as_of", "department", "min_count"], &v)
        var period: ReportPeriod?
        if let q = p.get("quarter") {
            period = ReportPeriod(quarter: q)
            if period == nil { v.fail("quarter", "must be YYYYQn, e.g. 2020Q1") }
            for name in ["from", "to"] where p.get(name) != nil { v.fail(name, "goes with to/from, not with quarter") }
        } else if let from = Self.date(p, "from", &v), let to = Self.date(p, "to", &v) {
            if to < from { v.fail("to", "must not be before from") } else { period = ReportPeriod(from: from, to: to) }
        }
        let minCount = Self.minCount(p, &v)
        let asOf = Self.asOf(p, &v)
        try v.finish()
        let department = try Self.scope(context.identity!, requested: p.get("department"))
        let view = try await Self.summary(mailbox: mailbox, period: period!, asOf: asOf, departmentID: department, minCount: minCount)
        if (request.headers[.accept] ?? "").lowercased().contains("text/plain") {
            let text = ([view.paragraph, ""] + view.departmentTable).joined(separator: "\n") + "\n"
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        return try jsonResponse(view, headers: [.cacheControl: "no-store"])
    }

    /// The quarterly summary: the paragraph, the per-department table, and their figures.
    static func summary(mailbox: Mailbox<Letters, Calendars, Staff>, period: ReportPeriod, asOf: Date, departmentID: String?,
                        minCount: Int) async throws -> SummaryView {
        let calendar = try calendar(mailbox)
        let byDepartment = try await SLAReport.compute(store: mailbox.reports, from: period.from, to: period.to, asOf: asOf,
                                                       grouping: .department, departmentID: departmentID, calendar: calendar)
        let byCategory = try await SLAReport.compute(store: mailbox.reports, from: period.from, to: period.to, asOf: asOf,
                                                     grouping: .category, departmentID: departmentID, calendar: calendar)
        let names = try await mailbox.reports.departmentNames()
        let consultation = byCategory.groups[LetterCategory.consultation.rawValue] ?? SLAMetrics()
        let departments = byDepartment.groups.filter { $0.value.received >= minCount && !$0.key.isEmpty }
            .sorted { ($0.value.received, $1.key) > ($1.value.received, $0.key) }
            .map { GroupView(key: $0.key, name: names[$0.key] ?? $0.key, metrics: $0.value) }
        return SummaryView(
            from: period.from.description, to: period.to.description, quarter: period.quarterName, asOf: asOf,
            paragraph: QuarterlySummary.paragraph(period: period, totals: byDepartment.totals, consultation: consultation),
            departmentTable: QuarterlySummary.departmentTable(departments.map { (name: $0.name ?? $0.key, metrics: $0.metrics) }),
            totals: byDepartment.totals, consultation: consultation, departments: departments)
    }
}

/// The quarterly summary for `mailbox report`: `text` (the paragraph and the department table),
/// `json` (as `GET /v1/reports/summary`) or `csv` (the per-department figures, with a BOM).
public enum QuarterlyReport {
    public enum Format: String, Sendable, CaseIterable { case text, json, csv }

    public static func render<L: LetterStore, C: CalendarRepository, S: StaffStore>(
        mailbox: Mailbox<L, C, S>, period: ReportPeriod, asOf: Date, format: Format
    ) async throws -> [UInt8] {
        let view = try await ReportsController<L, C, S>.summary(mailbox: mailbox, period: period, asOf: asOf, departmentID: nil,
                                                                minCount: 1)
        switch format {
        case .text:
            return Array((([view.paragraph, ""] + view.departmentTable).joined(separator: "\n") + "\n").utf8)
        case .json:
            return Array(try MailboxJSON.encoder().encode(view)) + [0x0A]
        case .csv:
            let report = SLAReport(from: period.from, to: period.to, asOf: asOf, grouping: .department, totals: view.totals,
                                   groups: Dictionary(uniqueKeysWithValues: view.departments.map { ($0.key, $0.metrics) }))
            return Array(ReportsController<L, C, S>.csvText(report, groups: view.departments).utf8)
        }
    }
}
