public import Foundation
public import Logging
public import MailboxCore
public import PostgresNIO

/// The working-day calendar and SLA policies in PostgreSQL. Every calendar change rewrites the
/// day table (with working-day ordinals) and recomputes the deadlines of open letters in the
/// same transaction; closed letters keep the outcome decided at closure.
public struct CalendarStore: Sendable {
    public let client: PostgresClient
    public let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// What the service caches: the calendar (nil until a year is loaded), its version and policies.
    public struct Snapshot: Sendable {
        public var calendar: WorkCalendar?
        /// `calendar` extended by the plain weekday rule for the years after it (provisional deadlines).
        public var provisional: WorkCalendar?
        public var version: Int64
        public var policies: [SLAPolicy]
        public var years: [Int]

        public init(calendar: WorkCalendar?, version: Int64, policies: [SLAPolicy], years: [Int]) {
            self.calendar = calendar
            self.provisional = calendar.map(SLAColumns.provisionalCalendar)
            self.version = version
            self.policies = policies
            self.years = years
        }
    }

    public struct ChangeResult: Sendable, Hashable {
        public var lettersMoved: Int
        public var version: Int64
    }

    public func snapshot() async throws -> Snapshot {
        try await client.withConnection { try await Self.snapshot(connection: $0, logger: logger) }
    }

    /// The calendar version only: cheap, for instances to notice another instance's change.
    public func version() async throws -> Int64 {
        for try await v in try await client.query("SELECT version FROM calendar_settings WHERE id = 1", logger: logger).decode(Int64.self) {
            return v
        }
        return 0
    }

    static func snapshot(connection: PostgresConnection, logger: Logger) async throws -> Snapshot {
        var hoursText = BusinessHours.standard.text
        var version: Int64 = 0
        for try await (h, v) in try await connection.query(
            "SELECT business_hours, version FROM calendar_settings WHERE id = 1", logger: logger
        ).decode((String, Int64).self) {
            hoursText = h
            version = v
        }
        let hours = try BusinessHours(parsing: hoursText)
        var years: [Int] = []
        for try await y in try await connection.query("SELECT year FROM calendar_years ORDER BY year", logger: logger).decode(Int32.self) {
            years.append(Int(y))
        }
        var overrides: [CalendarDay] = []
        for try await (day, kind, name) in try await connection.query(
            "SELECT day::text, kind, name FROM calendar_days WHERE kind IN ('holiday', 'makeup_workday') OR name IS NOT NULL ORDER BY day",
            logger: logger
        ).decode((String, String, String?).self) {
            guard let date = LocalDate(iso: day), let k = DayKind(rawValue: kind) else { continue }
            overrides.append(CalendarDay(date: date, kind: k, name: name))
        }
        var policies: [SLAPolicy] = []
        for try await (category, dept, channel, limit, rule, ratio) in try await connection.query(
            "SELECT category, department_id, channel, limit_working_days, rule, warning_ratio FROM sla_policies ORDER BY id",
            logger: logger
        ).decode((String, String?, String?, Int32, String, Double).self) {
            guard let cat = LetterCategory(rawValue: category), let r = CountingRule(rawValue: rule) else { continue }
            policies.append(SLAPolicy(
                category: cat, departmentID: dept, channel: channel.flatMap(LetterChannel.init(rawValue:)),
                limitWorkingDays: Int(limit), rule: r, warningRatio: ratio))
        }
        let calendar = years.isEmpty ? nil : try WorkCalendar(coveredYears: years, overrides: overrides, businessHours: hours)
        return Snapshot(calendar: calendar, version: version, policies: policies, years: years)
    }

    /// `mailbox calendar import FILE` and `.calendar` migrations: load a notice's years.
    public func importNotice(text: String, actor: String) async throws -> ChangeResult {
        do {
            return try await client.withTransaction(logger: logger) { tx in
                try await Self.importNotice(text: text, actor: actor, connection: tx, logger: logger)
            }
        } catch { throw StoreError.unwrap(error) }
    }

    @discardableResult
    static func importNotice(text: String, actor: String, connection tx: PostgresConnection, logger: Logger) async throws -> ChangeResult {
        let notice = try CalendarNotice.parse(text)
        try await lockCalendar(tx, logger: logger)
        let current = try await snapshot(connection: tx, logger: logger)
        // Years in the notice are replaced whole; other years keep their days.
        let noticeYears = Set(notice.years)
        var overrides = (current.calendar?.explicitDays ?? []).filter { !noticeYears.contains($0.date.year) }
        overrides += notice.days
        let years = Array(Set(current.years).union(noticeYears)).sorted()
        let hours = current.calendar?.businessHours ?? .standard
        let calendar = try WorkCalendar(coveredYears: years, overrides: overrides, businessHours: hours)
        var sourcesByYear: [Int: [String]] = [:]
        for y in notice.years { sourcesByYear[y] = [] }
        for s in notice.sources {
            let year = Int(s.prefix(4)).flatMap { noticeYears.contains($0) ? $0 : nil }
            for y in notice.years where year == nil || year == y { sourcesByYear[y, default: []].append(s) }
        }
        for (year, sources) in sourcesByYear {
            try await tx.query(
                """
                INSERT INTO calendar_years (year, sources) VALUES (\(Int32(year)), \(sources))
                ON CONFLICT (year) DO UPDATE SET sources = EXCLUDED.sources, loaded_at = now()
                """, logger: logger)
        }
        return try await write(calendar, actor: actor, reason: "calendar import", changes: [], tx: tx, logger: logger)
    }

    /// Admin change of single days (e.g. a short-notice extension of a holiday).
    public func changeDays(_ days: [CalendarDay], actor: String, reason: String?) async throws -> ChangeResult {
        do {
            return try await client.withTransaction(logger: logger) { tx in
                try await Self.lockCalendar(tx, logger: logger)
                let current = try await Self.snapshot(connection: tx, logger: logger)
                guard let calendar = current.calendar, let coverage = calendar.coverage else {
                    throw StoreError.calendarIncomplete("no calendar year is loaded; import a notice first")
                }
                var changes: [(old: CalendarDay?, new: CalendarDay)] = []
                for d in days {
                    guard coverage.contains(d.date) else {
                        throw StoreError.calendarIncomplete("\(d.date) is outside the loaded years \(coverage.lowerBound.year)–\(coverage.upperBound.year); import that year's notice first")
                    }
                    changes.append((calendar.day(d.date), d))
                }
                let updated = try calendar.replacing(days)
                return try await Self.write(updated, actor: actor, reason: reason, changes: changes, tx: tx, logger: logger)
            }
        } catch { throw StoreError.unwrap(error) }
    }

    /// New business hours (办公时间): every open deadline is recomputed with them.
    public func setBusinessHours(_ hours: BusinessHours, actor: String, reason: String?) async throws -> ChangeResult {
        do {
            return try await client.withTransaction(logger: logger) { tx in
                try await Self.lockCalendar(tx, logger: logger)
                try await tx.query(
                    """
                    UPDATE calendar_settings SET business_hours = \(hours.text),
                        seconds_per_working_day = \(Int32(hours.secondsPerWorkingDay)) WHERE id = 1
                    """, logger: logger)
                let current = try await Self.snapshot(connection: tx, logger: logger)
                guard let calendar = current.calendar else {
                    throw StoreError.calendarIncomplete("no calendar year is loaded; import a notice first")
                }
                return try await Self.write(calendar, actor: actor, reason: reason ?? "business hours changed to \(hours.text)",
                                            changes: [], newBusinessHours: true, tx: tx, logger: logger)
            }
        } catch { throw StoreError.unwrap(error) }
    }

    /// Sets the time limit for a category (optionally one department and/or channel); it applies
    /// to letters received afterwards. Bumps the version so every instance reloads its policies.
    public func upsertPolicy(_ policy: SLAPolicy) async throws {
        do {
            try await client.withTransaction(logger: logger) { tx in
                try await tx.query(
                    """
                    INSERT INTO sla_policies (category, department_id, channel, limit_working_days, rule, warning_ratio)
                    VALUES (\(policy.category.rawValue), \(policy.departmentID), \(policy.channel?.rawValue),
                            \(Int32(policy.limitWorkingDays)), \(policy.rule.rawValue), \(policy.warningRatio))
                    ON CONFLICT (category, department_id, channel) DO UPDATE SET
                        limit_working_days = EXCLUDED.limit_working_days, rule = EXCLUDED.rule,
                        warning_ratio = EXCLUDED.warning_ratio
                    """, logger: logger)
                try await tx.query("UPDATE calendar_settings SET version = version + 1 WHERE id = 1", logger: logger)
            }
        } catch { throw StoreError.unwrap(error) }
    }

    static func lockCalendar(_ tx: PostgresConnection, logger: Logger) async throws {
        try await tx.query("SELECT id FROM calendar_settings WHERE id = 1 FOR UPDATE", logger: logger)
    }

    /// Rewrites the day table, bumps the version and recomputes open deadlines.
    static func write(_ calendar: WorkCalendar, actor: String, reason: String?, changes: [(old: CalendarDay?, new: CalendarDay)],
                      newBusinessHours: Bool = false, tx: PostgresConnection, logger: Logger) async throws -> ChangeResult {
        guard let coverage = calendar.coverage else { return ChangeResult(lettersMoved: 0, version: 0) }
        let all = calendar.days(from: coverage.lowerBound, to: coverage.upperBound)
        let dates = all.map(\.date.description)
        let kinds = all.map(\.kind.rawValue)
        let names = all.map { $0.name ?? "" }
        let ordinals = all.map { Int32(calendar.workOrdinal(of: $0.date) ?? 0) }
        // The first day whose kind changes (or that is added or dropped) bounds the report rollups to recount.
        var firstChanged: Date?
        for try await day in try await tx.query(
            """
            SELECT min(coalesce(n.day, o.day))::text
            FROM (SELECT d::date AS day, k AS kind FROM unnest(\(dates)::text[], \(kinds)::text[]) AS t(d, k)) n
            FULL JOIN calendar_days o ON o.day = n.day
            WHERE n.kind IS DISTINCT FROM o.kind
            """, logger: logger
        ).decode(String?.self) {
            firstChanged = day.flatMap { LocalDate(iso: $0) }.map { calendar.instant(on: $0, secondOfDay: 0) }
        }
        try await ReportRollups.markDirtyAfterCalendarChange(firstChangedDay: firstChanged, allLetters: newBusinessHours,
                                                             tx: tx, logger: logger)
        try await tx.query("DELETE FROM calendar_days", logger: logger)
        try await tx.query(
            """
            INSERT INTO calendar_days (day, kind, name, work_ordinal)
            SELECT d::date, k, NULLIF(n, ''), o FROM unnest(\(dates)::text[], \(kinds)::text[], \(names)::text[], \(ordinals)::int4[]) AS t(d, k, n, o)
            """, logger: logger)
        var version: Int64 = 0
        for try await v in try await tx.query(
            "UPDATE calendar_settings SET version = version + 1 WHERE id = 1 RETURNING version", logger: logger
        ).decode(Int64.self) { version = v }
        let moved = try await recomputeOpenLetters(calendar, reason: reason ?? "calendar change", actor: actor, tx: tx, logger: logger)
        for change in changes {
            try await tx.query(
                """
                INSERT INTO calendar_changes (actor, day, old_kind, old_name, new_kind, new_name, reason, letters_moved)
                VALUES (\(actor), \(change.new.date.description)::date, \(change.old?.kind.rawValue), \(change.old?.name),
                        \(change.new.kind.rawValue), \(change.new.name), \(reason), \(Int32(moved)))
                """, logger: logger)
        }
        return ChangeResult(lettersMoved: moved, version: version)
    }

    /// Re-evaluates the clock of every open letter against `calendar`; letters whose due or
    /// warning time moved are updated and get an `sla_recomputed` event. Closed letters are
    /// never touched: their outcome was decided at closure.
    static func recomputeOpenLetters(_ calendar: WorkCalendar, reason: String, actor: String,
                                     tx: PostgresConnection, logger: Logger) async throws -> Int {
        let now = Date()
        var ids: [Int64] = []
        var dues: [String] = []
        var warns: [String] = []
        var states: [String] = []
        var data: [String] = []
        var elapsed: [String] = []  // "" = NULL (arrays of optionals do not bind)
        var met: [String] = []
        var provisional: [Bool] = []
        let extended = SLAColumns.provisionalCalendar(calendar)
        // The calendar migration (0003) runs on a fresh database, before the column of migration 0011 exists and
        // before there are any letters.
        var hasColumn = false, hasLetters = false
        for try await (c, l) in try await tx.query(
            """
            SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'letters'::regclass AND attname = 'sla_provisional'
                                                         AND NOT attisdropped),
                   EXISTS (SELECT 1 FROM letters)
            """, logger: logger).decode((Bool, Bool).self) { (hasColumn, hasLetters) = (c, l) }
        guard hasColumn else {
            if hasLetters { throw StoreError.conflict("apply the pending migrations (mailbox migrate) before changing the calendar") }
            return 0
        }
        // Open letters, and closed ones whose outcome was provisional (it is final only on announced years).
        let rows = try await tx.query(
            """
            SELECT id, sla_clock::text, sla_state, due_at, warn_at, sla_provisional, elapsed_business_seconds, deadline_met
            FROM letters
            WHERE sla_clock IS NOT NULL AND ((closed_at IS NULL AND status NOT IN ('closed', 'rejected', 'merged'))
                                             OR sla_provisional)
            ORDER BY id FOR UPDATE
            """, logger: logger)
        for try await (id, clockJSON, state, due, warn, wasProvisional, oldElapsed, oldMet)
            in rows.decode((Int64, String, String, Date?, Date?, Bool, Int64?, Bool?).self)
        {
            guard let clock = SLAClock.decodeStored(clockJSON) else { continue }
            let columns = SLAColumns.evaluate(clock, on: calendar, provisional: extended, now: now)
            // Compare at the database's microsecond precision.
            let same = columns.state.rawValue == state && columns.provisional == wasProvisional
                && micro(columns.dueAt) == micro(due) && micro(columns.warnAt) == micro(warn)
                && (clock.closedAt == nil || (columns.elapsedBusinessSeconds == oldElapsed && columns.deadlineMet == oldMet))
            if same { continue }
            ids.append(id)
            dues.append(columns.dueAt.map(MailboxJSON.formatTimestamp) ?? "")
            warns.append(columns.warnAt.map(MailboxJSON.formatTimestamp) ?? "")
            states.append(columns.state.rawValue)
            elapsed.append((clock.closedAt == nil ? oldElapsed : columns.elapsedBusinessSeconds).map { String($0) } ?? "")
            met.append((clock.closedAt == nil ? oldMet : columns.deadlineMet).map { $0 ? "t" : "f" } ?? "")
            provisional.append(columns.provisional)
            let payload: [String: String] = [
                "reason": reason,
                "old_due_at": due.map(MailboxJSON.formatTimestamp) ?? "",
                "new_due_at": columns.dueAt.map(MailboxJSON.formatTimestamp) ?? "",
                "sla_state": columns.state.rawValue,
                "provisional": columns.provisional ? "true" : "false",
            ]
            data.append(MailboxJSON.object(payload))
        }
        guard !ids.isEmpty else { return 0 }
        try await tx.query(
            """
            WITH changes AS (
                SELECT * FROM unnest(\(ids)::int8[], \(dues)::text[], \(warns)::text[], \(states)::text[], \(data)::text[],
                                     \(elapsed)::text[], \(met)::text[], \(provisional)::bool[])
                    AS c(id, due, warn, state, data, elapsed, met, provisional)
            ), updated AS (
                UPDATE letters l SET due_at = NULLIF(c.due, '')::timestamptz, warn_at = NULLIF(c.warn, '')::timestamptz,
                    sla_state = c.state, elapsed_business_seconds = NULLIF(c.elapsed, '')::int8,
                    deadline_met = NULLIF(c.met, '')::bool,
                    sla_provisional = c.provisional, version = l.version + 1, updated_at = now()
                FROM changes c WHERE l.id = c.id
                RETURNING l.id, l.version
            )
            INSERT INTO letter_events (letter_id, version, kind, occurred_at, actor, public, data)
            SELECT u.id, u.version, 'sla_recomputed', now(), \(actor), false, c.data::jsonb
            FROM updated u JOIN changes c ON c.id = u.id
            """, logger: logger)
        return ids.count
    }

    static func micro(_ d: Date?) -> Int64? { d.map { Int64(($0.timeIntervalSince1970 * 1_000_000).rounded()) } }
}

extension SLAColumns {
    /// The stored form of a clock evaluated on a calendar: due/warning times while it runs,
    /// elapsed time and outcome once closed, `calendar_incomplete` when a date is not covered.
    /// With `provisional` (``provisionalCalendar(_:)``), a clock that needs a year whose notice is not loaded gets a
    /// provisional deadline instead of `calendar_incomplete` (docs/sla.md, "Provisional deadlines").
    public static func evaluate(_ clock: SLAClock, on calendar: WorkCalendar?, provisional: WorkCalendar? = nil,
                                now: Date) -> SLAColumns {
        let json = clock.jsonText
        guard let calendar, let (status, isProvisional) = clock.evaluate(on: calendar, provisional: provisional, now: now) else {
            return SLAColumns(clockJSON: json, state: .calendarIncomplete)
        }
        if clock.closedAt != nil {
            return SLAColumns(clockJSON: json, state: .stopped, dueAt: status.dueAt, warnAt: status.warnAt,
                              elapsedBusinessSeconds: status.elapsedBusinessSeconds, deadlineMet: status.deadlineMet,
                              provisional: isProvisional)
        }
        return SLAColumns(clockJSON: json, state: status.isPaused ? .paused : .running, dueAt: status.dueAt,
                          warnAt: status.warnAt, provisional: isProvisional)
    }

    /// Years past the announced ones that provisional deadlines may use: two (a limit of 60 working days, plus
    /// extensions and pauses, never reaches further).
    public static let provisionalYearsAhead = 2

    /// `calendar` extended by the plain weekday rule for ``provisionalYearsAhead`` years after its last one.
    public static func provisionalCalendar(_ calendar: WorkCalendar) -> WorkCalendar {
        calendar.withProvisionalYears(through: (calendar.coveredYears.last ?? 0) + provisionalYearsAhead)
    }
}
