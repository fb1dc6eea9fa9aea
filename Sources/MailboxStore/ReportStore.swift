public import Foundation
public import Logging
public import MailboxCore
public import PostgresNIO

/// Letters for SLA reports: from the rollups (with their exceptions recomputed), or straight from `letters` (the
/// raw recomputation, which the rollups must equal).
public protocol ReportStore: Sendable {
    /// The report's figures in total and per group (nil grouping: no groups) for letters received on the Beijing
    /// dates [from, to], optionally of one department, counted as of `asOf`: rollup sums plus the exceptions.
    func metrics(from: LocalDate, to: LocalDate, asOf: Date, departmentID: String?, grouping: ReportGrouping?,
                 calendar: WorkCalendar) async throws -> (totals: SLAMetrics, groups: [String: SLAMetrics])
    /// Calls `body` with every letter received in [from, to) — optionally of one department — and its group key
    /// under `grouping` (nil: no grouping), streaming (constant memory). The raw recomputation.
    func forEachReportLetter(receivedFrom from: Date, before to: Date, departmentID: String?, grouping: ReportGrouping?,
                             _ body: (ReportLetter, String?) throws -> Void) async throws
    /// Department id → name, for group labels.
    func departmentNames() async throws -> [String: String]
}

public struct PostgresReportStore: ReportStore {
    public let client: PostgresClient
    public let logger: Logger
    /// Where reports read: a fresh enough replica, else the primary (``ReadRouting``).
    public let reads: ReadRouting?

    public init(client: PostgresClient, logger: Logger, reads: ReadRouting? = nil) {
        self.client = client
        self.logger = logger
        self.reads = reads
    }

    /// Runs `body` in one REPEATABLE READ, READ ONLY transaction on the read connection: the sums and the exceptions
    /// of a report must see the same snapshot (the worker may move a letter from one to the other in between).
    func inSnapshot<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await ReadRouting.read(reads, primary: client) { client in
            try await client.withConnection { conn in
                try await conn.query("START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
                do {
                    let value = try await body(conn)
                    try await conn.query("COMMIT", logger: logger)
                    return value
                } catch {
                    _ = try? await conn.query("ROLLBACK", logger: logger)
                    throw error
                }
            }
        }
    }

    /// What a report needs of a letter `l` (with the rating join `r`), decoded by ``decodeLetter(_:at:)``.
    static let letterColumns = """
        l.received_at, l.category, l.channel, l.department_id, l.town, l.status, l.closed_at, l.sla_clock::text,
        rt.returned IS NOT NULL,
        coalesce(jsonb_array_length(l.sla_clock->'extensions'), 0) > 0, l.reopened_at IS NOT NULL,
        r.satisfaction, r.resolved
        """
    static let letterColumnCount = 13
    /// The latest rating of `l`, as `r`, and whether it was ever returned, as `rt`. Both are per-letter index
    /// lookups (LATERAL … LIMIT 1): an EXISTS here was planned as a hash of every returned event of the table,
    /// 35 ms at a million letters for a report with 150 exceptions.
    static let ratingJoin = """
        LEFT JOIN LATERAL (SELECT satisfaction, resolved FROM letter_ratings x WHERE x.letter_id = l.id
                           ORDER BY round DESC LIMIT 1) r ON true
        LEFT JOIN LATERAL (SELECT true AS returned FROM letter_events e WHERE e.letter_id = l.id AND e.kind = 'returned'
                           LIMIT 1) rt ON true
        """

    static func decodeLetter(_ r: PostgresRandomAccessRow, at i: Int) throws -> ReportLetter {
        let clock = try r[i + 7].decode(String?.self).flatMap(SLAClock.decodeStored)
        let rating = try r[i + 11].decode(String?.self).map {
            ReportLetter.Rating(satisfied: $0 == "satisfied" || $0 == "basically_satisfied",
                                resolved: try r[i + 12].decode(Bool?.self) ?? false)
        }
        return ReportLetter(
            receivedAt: try r[i].decode(Date.self),
            category: LetterCategory(rawValue: try r[i + 1].decode(String.self)) ?? .consultation,
            channel: LetterChannel(rawValue: try r[i + 2].decode(String.self)) ?? .portal,
            departmentID: try r[i + 3].decode(String?.self), town: try r[i + 4].decode(String?.self),
            status: LetterStatus(rawValue: try r[i + 5].decode(String.self)) ?? .received,
            closedAt: try r[i + 6].decode(Date?.self), clock: clock, returned: try r[i + 8].decode(Bool.self),
            extended: try r[i + 9].decode(Bool.self), reopened: try r[i + 10].decode(Bool.self), rating: rating)
    }

    static func groupExpression(_ g: ReportGrouping?) -> String {
        switch g {
        case nil: "NULL::text"
        case .category: "l.category"
        case .department: "coalesce(l.department_id, '')"
        case .channel: "l.channel"
        case .month: "to_char(l.received_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"
        case .town: "coalesce(l.town, '')"
        }
    }

    static func instant(_ d: LocalDate) -> Date {
        MailboxJSON.parseTimestamp(d.description + "T00:00:00+08:00")!
    }

    public func forEachReportLetter(receivedFrom from: Date, before to: Date, departmentID: String?, grouping: ReportGrouping?,
                                    _ body: (ReportLetter, String?) throws -> Void) async throws {
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.letterColumns), \(unescaped: Self.groupExpression(grouping))
            FROM letters l \(unescaped: Self.ratingJoin)
            WHERE l.received_at >= \(from) AND l.received_at < \(to)
              AND (\(departmentID)::text IS NULL OR l.department_id = \(departmentID))
            """, logger: logger)
        for try await row in rows {
            let r = row.makeRandomAccess()
            try body(try Self.decodeLetter(r, at: 0), try r[Self.letterColumnCount].decode(String?.self))
        }
    }

    /// Rollup sums over whole months and the remaining days of [from, to], plus, recomputed from the letters, the
    /// exceptions: open letters, dirty letters (changed since the worker last counted them) and letters settled at
    /// or after `asOf`; their stored contributions (if any) are taken out of the sums first.
    public func metrics(from: LocalDate, to: LocalDate, asOf: Date, departmentID: String?, grouping: ReportGrouping?,
                        calendar: WorkCalendar) async throws -> (totals: SLAMetrics, groups: [String: SLAMetrics]) {
        let d = calendar.secondsPerWorkingDay
        var totals = SLAMetrics()
        var groups: [String: SLAMetrics] = [:]
        guard from <= to else { return (totals, groups) }
        let periods = ReportPeriod.rollupPeriods(from: from, to: to)

        // 1. The sums.
        let key: String = switch grouping {
        case nil: "NULL::text"
        case .category: "category"
        case .department: "department_id"
        case .channel: "channel"
        case .town: "town"
        case .month: "to_char(period, 'YYYY-MM')"
        }
        let sums = (ReportRollups.sumColumns).map { "sum(\($0))::int8" }.joined(separator: ", ")
        return try await inSnapshot { conn in
        let rows = try await conn.query(
            """
            SELECT \(unescaped: key), \(unescaped: sums) FROM report_rollups
            WHERE ((grain = 'm' AND period = ANY(\(periods.months.map(\.description))::date[]))
                   OR (grain = 'd' AND period = ANY(\(periods.days.map(\.description))::date[])))
              AND (\(departmentID)::text IS NULL OR department_id = \(departmentID))
            GROUP BY 1
            """, logger: logger)
        let n = SLAMetrics.rollupCounterColumns.count
        for try await row in rows {
            let r = row.makeRandomAccess()
            let counters = try (1...n).map { try r[$0].decode(Int64.self) }
            guard counters[0] != 0 else { continue }  // rows whose letters all moved away
            let m = SLAMetrics(rollupCounters: counters, handlingSeconds: try r[n + 1].decode(Int64.self), secondsPerWorkingDay: d)
            totals += m
            if let k = try r[0].decode(String?.self) { groups[k, default: SLAMetrics()] += m }
        }

        // 2. The exceptions, recomputed from the letters. (a) Open letters that are not dirty: from
        // report_open_rows (migration 0013), which holds them alone; they have no stored contribution.
        // (b) Dirty letters received in the period, dirty letters whose stored contribution is in it, and letters
        // settled at or after `asOf`: from `letters`, with their stored contribution to take out of the sums.
        let start = Self.instant(from)
        let end = Self.instant(to.adding(days: 1))
        func add(_ letter: ReportLetter) {
            guard letter.receivedAt >= start, letter.receivedAt < end, departmentID == nil || letter.departmentID == departmentID
            else { return }
            // Evaluated once, added to the total and to its group.
            var one = SLAMetrics()
            one.add(letter, asOf: asOf, calendar: calendar)
            totals += one
            if let grouping {
                groups[grouping.key(category: letter.category.rawValue, departmentID: letter.departmentID,
                                    channel: letter.channel.rawValue, town: letter.town,
                                    receiptDay: calendar.localDate(of: letter.receivedAt)), default: SLAMetrics()] += one
            }
        }
        let open = try await conn.query(
            """
            SELECT \(unescaped: Self.letterColumns)
            FROM report_open_rows l \(unescaped: Self.ratingJoin)
            WHERE l.received_at >= \(start) AND l.received_at < \(end) AND NOT l.rollup_dirty
              AND (\(departmentID)::text IS NULL OR l.department_id = \(departmentID))
            """, logger: logger)
        for try await row in open { add(try Self.decodeLetter(row.makeRandomAccess(), at: 0)) }

        let exceptions = try await conn.query(
            """
            WITH e AS (
                SELECT id FROM letters WHERE rollup_dirty AND received_at >= \(start) AND received_at < \(end)
                UNION
                SELECT c.letter_id FROM report_contributions c JOIN letters l ON l.id = c.letter_id
                WHERE l.rollup_dirty AND c.day >= \(from.description)::date AND c.day <= \(to.description)::date
                UNION
                SELECT letter_id FROM report_contributions
                WHERE settled_at >= \(asOf) AND day >= \(from.description)::date AND day <= \(to.description)::date
            )
            SELECT \(unescaped: Self.letterColumns), \(unescaped: ReportRollups.storedColumns)
            FROM e JOIN letters l ON l.id = e.id \(unescaped: Self.ratingJoin)
            LEFT JOIN LATERAL (SELECT * FROM report_contributions x WHERE x.letter_id = l.id LIMIT 1) c ON true
            """, logger: logger)
        for try await row in exceptions {
            let r = row.makeRandomAccess()
            let letter = try Self.decodeLetter(r, at: 0)
            if let old = try ReportRollups.decodeStored(r, at: Self.letterColumnCount), old.key.day >= from, old.key.day <= to,
               departmentID == nil || old.key.department == departmentID
            {
                let m = SLAMetrics(letterBits: old.bits, handlingSeconds: old.handlingSeconds, secondsPerWorkingDay: d, sign: -1)
                totals += m
                if let grouping {
                    groups[grouping.key(category: old.key.category, departmentID: old.key.department, channel: old.key.channel,
                                        town: old.key.town, receiptDay: old.key.day), default: SLAMetrics()] += m
                }
            }
            add(letter)
        }
        // A group whose letters all moved elsewhere since they were summed is empty, not a group.
        groups = groups.filter { $0.value.received != 0 }
        return (totals, groups)
        }
    }

    public func departmentNames() async throws -> [String: String] {
        var names: [String: String] = [:]
        for try await (id, name) in try await client.query("SELECT id, name FROM departments", logger: logger)
            .decode((String, String).self) { names[id] = name }
        return names
    }
}
