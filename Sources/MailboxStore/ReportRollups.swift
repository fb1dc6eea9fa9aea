public import Foundation
public import Logging
public import MailboxCore
public import PostgresNIO

/// The rollups behind SLA reports (docs/metrics.md, "Rollups"; sql/migrations/0009_report_rollups.sql).
///
/// Settled letters (closed, rejected, merged) have one row in `report_contributions` with their figures, and
/// `report_rollups` holds the sums of those rows per receipt day and month × department × category × channel ×
/// town. A trigger marks a letter dirty in the same transaction as any change that may move its figures; this
/// worker recomputes dirty letters and moves contributions and sums together in one transaction per batch. A
/// report (``PostgresReportStore/metrics(from:to:asOf:departmentID:grouping:calendar:)``) reads the sums and
/// recomputes only its exceptions from the letters, so it is exact whatever the worker's lag.
public struct ReportRollups: Sendable {
    public let client: PostgresClient
    public let logger: Logger
    /// Letters per transaction.
    public let batchSize: Int

    public init(client: PostgresClient, logger: Logger, batchSize: Int = 1000) {
        precondition(batchSize > 0, "a batch holds at least one letter")
        self.client = client
        self.logger = logger
        self.batchSize = batchSize
    }

    /// The group key a contribution is summed under.
    struct Key: Hashable, Comparable {
        var day: LocalDate
        var department: String
        var category: String
        var channel: String
        var town: String

        static func < (a: Key, b: Key) -> Bool {
            (a.day, a.department, a.category, a.channel, a.town) < (b.day, b.department, b.category, b.channel, b.town)
        }
    }

    /// One stored contribution (a row of `report_contributions`).
    struct Stored: Equatable, CustomStringConvertible {
        var key: Key
        var bits: Int32
        var handlingSeconds: Int64

        var description: String {
            "\(key.day) \(key.department)/\(key.category)/\(key.channel)/\(key.town) bits \(bits) seconds \(handlingSeconds)"
        }
    }

    /// What a letter contributes as it stands now, under its group key (nil while it is not settled).
    static func contribution(of letter: ReportLetter, calendar: WorkCalendar)
        -> (stored: Stored, metrics: SLAMetrics, settledAt: Date)?
    {
        guard let (m, settled) = letter.settledContribution(calendar: calendar) else { return nil }
        let key = Key(day: calendar.localDate(of: letter.receivedAt), department: letter.departmentID ?? "",
                      category: letter.category.rawValue, channel: letter.channel.rawValue, town: letter.town ?? "")
        return (Stored(key: key, bits: m.letterBits, handlingSeconds: m.handlingBusinessSecondsSum), m, settled)
    }

    enum BatchOutcome { case done(letters: Int), calendarChanged }

    /// Recomputes dirty letters, batch after batch, until none is left that another instance does not hold.
    /// `calendar` gives the current calendar and its version; it is asked again when another instance changed
    /// the calendar meanwhile. Returns the letters this instance recomputed.
    @discardableResult
    public func catchUp(calendar: () async throws -> (WorkCalendar?, Int64)) async throws -> Int {
        // Idle most of the time: one read through the partial index, instead of a transaction whose FOR SHARE
        // would take a transaction id and write WAL every tick of every instance.
        guard try await hasDirty() else { return 0 }
        var total = 0
        var (current, version) = try await calendar()
        var retries = 0
        while let cal = current {
            switch try await runBatch(calendar: cal, version: version) {
            case .done(let n):
                total += n
                if n < batchSize { return total }
            case .calendarChanged:
                retries += 1
                if retries > 5 { return total }
                (current, version) = try await calendar()
            }
        }
        return total
    }

    /// One batch in one transaction: lock up to `batchSize` dirty letters (SKIP LOCKED: instances share the work),
    /// take their stored contributions out of the sums, put their new ones in, and clear their dirty flags. The
    /// calendar row is read FOR SHARE, so a calendar change cannot commit between the check and this commit.
    func runBatch(calendar: WorkCalendar, version: Int64) async throws -> BatchOutcome {
        try await recount(.dirty(limit: batchSize), calendar: calendar, version: version)
    }

    /// Which letters a batch recounts: the next dirty ones, or every letter with an id in a range.
    enum Selection {
        case dirty(limit: Int)
        case ids(Range<Int64>)
    }

    /// Recounts the selected letters (see `runBatch`). A range of ids waits for letters a writer holds (FOR UPDATE
    /// without SKIP LOCKED), so that a rebuild covers every letter of the range.
    func recount(_ selection: Selection, calendar: WorkCalendar, version: Int64) async throws -> BatchOutcome {
        do {
            return try await client.withTransaction(logger: logger) { tx in
                var stored: Int64 = -1
                for try await v in try await tx.query(
                    "SELECT version FROM calendar_settings WHERE id = 1 FOR SHARE", logger: logger
                ).decode(Int64.self) { stored = v }
                guard stored == version else { return .calendarChanged }

                let rows = try await tx.query(Self.lettersWithStored(selection.condition), logger: logger)
                var ids: [Int64] = []
                var batch = Batch()
                for try await row in rows {
                    let r = row.makeRandomAccess()
                    let id = try r[0].decode(Int64.self)
                    let letter = try PostgresReportStore.decodeLetter(r, at: 1)
                    ids.append(id)
                    if let old = try Self.decodeStored(r, at: 1 + PostgresReportStore.letterColumnCount) {
                        batch.remove(old, secondsPerWorkingDay: calendar.secondsPerWorkingDay)
                    }
                    batch.count(id: id, letter: letter, calendar: calendar)
                }
                guard !ids.isEmpty else { return .done(letters: 0) }
                try await tx.query("DELETE FROM report_contributions WHERE letter_id = ANY(\(ids))", logger: logger)
                try await batch.write(tx: tx, logger: logger)
                try await tx.query("UPDATE letters SET rollup_dirty = false WHERE id = ANY(\(ids)) AND rollup_dirty", logger: logger)
                return .done(letters: ids.count)
            }
        } catch {
            throw StoreError.unwrap(error)
        }
    }

    /// Each selected letter (id, report columns, dirty flag) with its stored contribution.
    static func lettersWithStored(_ condition: String) -> PostgresQuery {
        PostgresQuery(unsafeSQL: """
            SELECT l.id, \(PostgresReportStore.letterColumns), \(Self.storedColumns), l.rollup_dirty
            FROM letters l \(PostgresReportStore.ratingJoin)
            LEFT JOIN LATERAL (SELECT * FROM report_contributions x WHERE x.letter_id = l.id LIMIT 1) c ON true
            \(condition)
            """)
    }

    static func add(_ m: SLAMetrics, to deltas: inout [Key: [Int64]], key: Key) {
        let values = m.rollupCounters + [m.handlingBusinessSecondsSum]
        if let existing = deltas[key] {
            deltas[key] = zip(existing, values).map { $0 + $1 }
        } else {
            deltas[key] = values
        }
    }

    /// The columns of a stored contribution, after the letter's columns (all NULL when there is none).
    static let storedColumns =
        "c.day::text AS c_day, c.department_id AS c_department, c.category AS c_category, c.channel AS c_channel, "
        + "c.town AS c_town, c.bits AS c_bits, c.handling_seconds AS c_seconds"

    static func decodeStored(_ r: PostgresRandomAccessRow, at i: Int) throws -> Stored? {
        guard let day = try r[i].decode(String?.self), let date = LocalDate(iso: day) else { return nil }
        return Stored(
            key: Key(day: date, department: try r[i + 1].decode(String.self), category: try r[i + 2].decode(String.self),
                     channel: try r[i + 3].decode(String.self), town: try r[i + 4].decode(String.self)),
            bits: try r[i + 5].decode(Int32.self), handlingSeconds: try r[i + 6].decode(Int64.self))
    }

    /// Letters counted together: their new contributions and the changes to the sums, written in one transaction
    /// (``write(tx:logger:)``). The worker and the rebuild recount stored letters with it; a bulk loader
    /// (`mailbox demo generate`) counts the letters it writes in the transaction that writes them.
    public struct Batch: Sendable {
        var deltas: [Key: [Int64]] = [:]
        var ids: [Int64] = []
        var days: [String] = []
        var departments: [String] = []
        var categories: [String] = []
        var channels: [String] = []
        var towns: [String] = []
        var bits: [Int32] = []
        var seconds: [Int64] = []
        var settledAt: [Date] = []

        public init() {}

        /// Letters with a contribution in this batch.
        public var count: Int { ids.count }

        /// Takes a stored contribution out of the sums.
        mutating func remove(_ old: Stored, secondsPerWorkingDay d: Int) {
            ReportRollups.add(SLAMetrics(letterBits: old.bits, handlingSeconds: old.handlingSeconds, secondsPerWorkingDay: d,
                                         sign: -1), to: &deltas, key: old.key)
        }

        /// Counts letter `id` as it stands now (nothing when it is not settled).
        public mutating func count(id: Int64, letter: ReportLetter, calendar: WorkCalendar) {
            guard let (c, m, settled) = ReportRollups.contribution(of: letter, calendar: calendar) else { return }
            ReportRollups.add(m, to: &deltas, key: c.key)
            ids.append(id)
            days.append(c.key.day.description)
            departments.append(c.key.department)
            categories.append(c.key.category)
            channels.append(c.key.channel)
            towns.append(c.key.town)
            bits.append(c.bits)
            seconds.append(c.handlingSeconds)
            settledAt.append(settled)
        }

        /// Inserts the new contributions (the letters must have none stored) and adds the changes to the sums.
        public func write(tx: PostgresConnection, logger: Logger) async throws {
            if !ids.isEmpty {
                try await tx.query(
                    """
                    INSERT INTO report_contributions (letter_id, day, department_id, category, channel, town, bits,
                                                      handling_seconds, settled_at)
                    SELECT id, day::date, dept, cat, ch, town, bits, secs, settled
                    FROM unnest(\(ids)::int8[], \(days)::text[], \(departments)::text[], \(categories)::text[],
                                \(channels)::text[], \(towns)::text[], \(bits)::int4[], \(seconds)::int8[],
                                \(settledAt)::timestamptz[]) AS t(id, day, dept, cat, ch, town, bits, secs, settled)
                    """, logger: logger)
            }
            try await ReportRollups.applyDeltas(deltas, tx: tx, logger: logger)
        }
    }

    /// All columns of report_rollups that hold sums, in order: the counters, then handling_seconds.
    static let sumColumns = SLAMetrics.rollupCounterColumns + ["handling_seconds"]

    /// Adds `deltas` to the day and month rows of their keys, in key order (so that concurrent batches lock rows in
    /// the same order), summed per row first (two days of one month meet in one month row).
    static func applyDeltas(_ deltas: [Key: [Int64]], tx: PostgresConnection, logger: Logger) async throws {
        let changed = deltas.filter { $0.value.contains { $0 != 0 } }.sorted { $0.key < $1.key }
        guard !changed.isEmpty else { return }
        var binds = PostgresBindings(capacity: 5 + sumColumns.count)
        binds.append(changed.map { $0.key.day.description })
        binds.append(changed.map(\.key.department))
        binds.append(changed.map(\.key.category))
        binds.append(changed.map(\.key.channel))
        binds.append(changed.map(\.key.town))
        for i in sumColumns.indices { binds.append(changed.map { $0.value[i] }) }
        let arrays = (0..<sumColumns.count).map { "$\($0 + 6)::int8[]" }.joined(separator: ", ")
        let columns = sumColumns.joined(separator: ", ")
        let sums = sumColumns.map { "sum(\($0))::int8" }.joined(separator: ", ")
        let updates = sumColumns.map { "\($0) = report_rollups.\($0) + EXCLUDED.\($0)" }.joined(separator: ", ")
        let sql = """
            INSERT INTO report_rollups (grain, period, department_id, category, channel, town, \(columns))
            SELECT g.grain, CASE g.grain WHEN 'd' THEN t.day::date ELSE date_trunc('month', t.day::date)::date END AS period,
                   t.dept, t.cat, t.ch, t.town, \(sums)
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], \(arrays))
                 AS t(day, dept, cat, ch, town, \(columns))
            CROSS JOIN (VALUES ('d'::"char"), ('m'::"char")) AS g(grain)
            GROUP BY 1, 2, 3, 4, 5, 6
            ORDER BY 1, 2, 3, 4, 5, 6
            ON CONFLICT (grain, period, department_id, category, channel, town) DO UPDATE SET \(updates)
            """
        try await tx.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
    }

    // MARK: Calendar changes

    /// After a calendar change (inside its transaction): marks dirty every settled letter whose figures may move.
    /// A letter settled before `firstChangedDay` began is untouched by it: its receipt, closure, pauses and
    /// extensions all lie on days before, and a deadline or 1-working-day mark that reached the changed days stays
    /// on or after them (so after the closure). Letters counted outside the calendar are always recomputed (a newly
    /// loaded year may cover them). `allLetters` (new business hours): every settled letter.
    static func markDirtyAfterCalendarChange(firstChangedDay: Date?, allLetters: Bool, tx: PostgresConnection,
                                             logger: Logger) async throws {
        // The calendar migration (0003) writes the calendar before the rollups exist.
        var exists = false
        for try await e in try await tx.query("SELECT to_regclass('report_contributions') IS NOT NULL", logger: logger)
            .decode(Bool.self) { exists = e }
        guard exists else { return }
        if allLetters {
            try await tx.query(
                "UPDATE letters SET rollup_dirty = true WHERE NOT rollup_dirty AND id IN (SELECT letter_id FROM report_contributions)",
                logger: logger)
            return
        }
        try await tx.query(
            """
            UPDATE letters SET rollup_dirty = true WHERE NOT rollup_dirty AND id IN (
                SELECT letter_id FROM report_contributions WHERE settled_at >= \(firstChangedDay ?? .distantFuture)
                UNION ALL
                SELECT letter_id FROM report_contributions WHERE bits & \(unescaped: String(SLAMetrics.outsideCalendarBit)) <> 0)
            """, logger: logger)
    }

    // MARK: Checks

    /// Rows where report_rollups differs from the sums of report_contributions (empty when consistent). For tests
    /// and `mailbox rollup verify`; reads every contribution.
    public func inconsistencies() async throws -> [String] {
        let cols = Self.sumColumns.joined(separator: ", ")
        let sql = """
            WITH expected AS (\(Self.sumsOfContributions)), actual AS (
                SELECT grain, period, department_id, category, channel, town, \(cols) FROM report_rollups
                WHERE (\(cols)) IS DISTINCT FROM (\(Self.sumColumns.map { _ in "0" }.joined(separator: ", ")))
            )
            SELECT coalesce(e.grain, a.grain)::text || ' ' || coalesce(e.period, a.period)::text || ' '
                   || coalesce(e.department_id, a.department_id) || '/' || coalesce(e.category, a.category) || '/'
                   || coalesce(e.channel, a.channel) || '/' || coalesce(e.town, a.town)
            FROM expected e FULL JOIN actual a USING (grain, period, department_id, category, channel, town)
            WHERE (\(Self.sumColumns.map { "e.\($0)" }.joined(separator: ", ")))
                  IS DISTINCT FROM (\(Self.sumColumns.map { "a.\($0)" }.joined(separator: ", ")))
            ORDER BY 1
            """
        // Reads every contribution: no statement timeout (10M letters take longer than the default 30 s).
        return try await client.withConnection { conn in
            try await conn.query("SET statement_timeout = 0", logger: logger)
            var problems: [String] = []
            for try await p in try await conn.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(String.self) {
                problems.append(p)
            }
            for try await p in try await conn.query(PostgresQuery(unsafeSQL: Self.openLettersCheck), logger: logger)
                .decode(String.self) { problems.append(p) }
            try await conn.query("RESET statement_timeout", logger: logger)
            return problems
        }
    }

    /// report_open_rows (migration 0013) against the open letters themselves: rows missing, extra or different.
    static let openLettersCheck: String = {
        let cols = ["id", "received_at", "category", "channel", "department_id", "town", "status", "closed_at", "sla_clock",
                    "reopened_at", "rollup_dirty"]
        let list = cols.joined(separator: ", ")
        return """
            SELECT 'open letter ' || coalesce(l.id, o.id)::text || ': '
                   || CASE WHEN l.id IS NULL THEN 'not open, still in report_open_rows'
                           WHEN o.id IS NULL THEN 'missing from report_open_rows' ELSE 'differs in report_open_rows' END
            FROM (SELECT \(list) FROM letters WHERE status IN (\(LetterStatus.openSQLList))) l
            FULL JOIN (SELECT \(list) FROM report_open_rows) o ON o.id = l.id
            WHERE l.id IS NULL OR o.id IS NULL
               OR (\(cols.map { "l.\($0)" }.joined(separator: ", "))) IS DISTINCT FROM (\(cols.map { "o.\($0)" }.joined(separator: ", ")))
            ORDER BY 1 LIMIT 20
            """
    }()

    /// Letters whose stored contribution differs from a recount of the letter as it stands (read only; dirty letters
    /// are skipped, the worker has yet to count them): the proof that what a bulk loader or the worker stored is what
    /// the letters say. Reads every letter, `batchSize` ids per statement, `workers` at once. Returns the letters
    /// checked and the first `limit` differences.
    public func contributionMismatches(workers: Int, calendar: WorkCalendar, limit: Int = 20) async throws
        -> (checked: Int, mismatches: [String])
    {
        var bounds: (Int64, Int64) = (0, -1)
        for try await b in try await client.query("SELECT coalesce(min(id), 0), coalesce(max(id), -1) FROM letters",
                                                 logger: logger).decode((Int64, Int64).self) { bounds = b }
        let (lo, hi) = bounds
        guard hi >= lo else { return (0, []) }
        let size = Int64(batchSize)
        let next = IDCursor(lo)
        return try await withThrowingTaskGroup(of: (Int, [String]).self) { group in
            for _ in 0..<max(1, workers) {
                group.addTask {
                    var checked = 0
                    var found: [String] = []
                    while found.count < limit {
                        let start = await next.take(size)
                        if start > hi { break }
                        let rows = try await client.query(
                            Self.lettersWithStored("WHERE l.id >= \(start) AND l.id < \(start + size)"), logger: logger)
                        for try await row in rows {
                            let r = row.makeRandomAccess()
                            let id = try r[0].decode(Int64.self)
                            let letter = try PostgresReportStore.decodeLetter(r, at: 1)
                            let stored = try Self.decodeStored(r, at: 1 + PostgresReportStore.letterColumnCount)
                            if try r[8 + PostgresReportStore.letterColumnCount].decode(Bool.self) { continue }
                            checked += 1
                            let want = Self.contribution(of: letter, calendar: calendar)?.stored
                            if want != stored, found.count < limit {
                                found.append("letter \(id): stored \(stored?.description ?? "none"), recounted \(want?.description ?? "none")")
                            }
                        }
                    }
                    return (checked, found)
                }
            }
            var total = 0
            var all: [String] = []
            for try await (n, f) in group {
                total += n
                all += f
            }
            return (total, Array(all.prefix(limit)))
        }
    }

    /// The rows report_rollups should hold: the sums of report_contributions per day and month and group, with the
    /// columns of report_rollups in order.
    static var sumsOfContributions: String {
        let flags = SLAMetrics.rollupCounterColumns.enumerated().map { i, c in "sum((c.bits >> \(i)) & 1)::int8 AS \(c)" }
            .joined(separator: ", ")
        return """
            SELECT g.grain, CASE g.grain WHEN 'd' THEN c.day ELSE date_trunc('month', c.day)::date END AS period,
                   c.department_id, c.category, c.channel, c.town, \(flags), sum(c.handling_seconds)::int8 AS handling_seconds
            FROM report_contributions c CROSS JOIN (VALUES ('d'::"char"), ('m'::"char")) AS g(grain)
            GROUP BY 1, 2, 3, 4, 5, 6
            """
    }

    /// Rewrites report_rollups as the sums of report_contributions, in one transaction that holds off the worker
    /// meanwhile: repairs sums that drifted from their contributions (which adding deltas cannot).
    public func resum() async throws {
        let cols = Self.sumColumns.joined(separator: ", ")
        do {
            try await client.withTransaction(logger: logger) { tx in
                try await tx.query("SET LOCAL statement_timeout = 0", logger: logger)
                try await tx.query("LOCK TABLE report_contributions, report_rollups IN SHARE ROW EXCLUSIVE MODE", logger: logger)
                try await tx.query("DELETE FROM report_rollups", logger: logger)
                try await tx.query(PostgresQuery(unsafeSQL: """
                    INSERT INTO report_rollups (grain, period, department_id, category, channel, town, \(cols))
                    \(Self.sumsOfContributions)
                    """), logger: logger)
            }
        } catch {
            throw StoreError.unwrap(error)
        }
    }

    func hasDirty() async throws -> Bool {
        for try await b in try await client.query("SELECT EXISTS (SELECT 1 FROM letters WHERE rollup_dirty)", logger: logger)
            .decode(Bool.self) { return b }
        return false
    }

    /// Letters still waiting for the worker.
    public func dirtyCount() async throws -> Int {
        for try await n in try await client.query("SELECT count(*) FROM letters WHERE rollup_dirty", logger: logger).decode(Int64.self) {
            return Int(n)
        }
        return 0
    }

    /// Recounts every letter, `batchSize` ids per transaction, `workers` batches at once, then rewrites the sums from
    /// the contributions (``resum()``) and analyses both tables: after a bulk load that bypassed the triggers, or to
    /// repair. Writers may go on meanwhile: a batch locks its letters, and a letter changed later is dirty again.
    /// Returns the letters read.
    public func rebuild(workers: Int, calendar: () async throws -> (WorkCalendar?, Int64)) async throws -> Int {
        var bounds: (Int64, Int64) = (0, -1)
        for try await (lo, hi) in try await client.query("SELECT coalesce(min(id), 0), coalesce(max(id), -1) FROM letters",
                                                        logger: logger).decode((Int64, Int64).self) { bounds = (lo, hi) }
        let (lo, hi) = bounds
        guard hi >= lo else { return 0 }
        let (cal, version) = try await calendar()
        guard let cal else { throw StoreError.calendarIncomplete("no calendar is loaded: the rollups need one") }
        let size = Int64(batchSize)
        let next = IDCursor(lo)
        return try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<max(1, workers) {
                group.addTask {
                    var done = 0
                    while true {
                        let start = await next.take(size)
                        if start > hi { break }
                        switch try await recount(.ids(start..<(start + size)), calendar: cal, version: version) {
                        case .done(let n): done += n
                        case .calendarChanged:
                            throw StoreError.conflict("the calendar changed during the rebuild; run it again")
                        }
                    }
                    return done
                }
            }
            let n = try await group.reduce(0, +)
            try await resum()
            try await analyze()
            return n
        }
    }

    /// Fresh statistics for the rollup tables after a bulk change (a report planned on none ran 20× slower).
    public func analyze() async throws {
        try await client.withConnection { conn in
            try await conn.query("SET statement_timeout = 0", logger: logger)
            try await conn.query("ANALYZE report_contributions", logger: logger)
            try await conn.query("ANALYZE report_rollups", logger: logger)
        }
    }

    /// Hands out consecutive id ranges to the rebuild's workers.
    actor IDCursor {
        var value: Int64
        init(_ v: Int64) { value = v }
        func take(_ n: Int64) -> Int64 {
            defer { value += n }
            return value
        }
    }
}

extension ReportRollups.Selection {
    var condition: String {
        switch self {
        case .dirty(let limit): "WHERE l.rollup_dirty ORDER BY l.id LIMIT \(limit) FOR UPDATE OF l SKIP LOCKED"
        case .ids(let r): "WHERE l.id >= \(r.lowerBound) AND l.id < \(r.upperBound) ORDER BY l.id FOR UPDATE OF l"
        }
    }
}
