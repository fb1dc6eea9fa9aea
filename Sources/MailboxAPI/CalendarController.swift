import Foundation
import Hummingbird
import MailboxCore
import MailboxStore

/// The working-day calendar: list days, change days (admin), and preview a deadline.
struct CalendarController<Letters: LetterStore, Calendars: CalendarRepository, Staff: StaffStore> {
    let mailbox: Mailbox<Letters, Calendars, Staff>
    static var maxRangeDays: Int { 3700 }

    struct DayView: Encodable {
        var date: LocalDate
        var kind: DayKind
        var name: String?
        var isWorkingDay: Bool
        var weekday: Int
        var workOrdinal: Int?
    }

    struct DaysView: Encodable {
        var from: LocalDate
        var to: LocalDate
        var coverage: Coverage?
        /// True when part of the range is outside the loaded years: those dates are listed
        /// in `missing`, never guessed.
        var calendarIncomplete: Bool
        var missing: [LocalDate]
        var days: [DayView]
        struct Coverage: Encodable { var from: LocalDate; var to: LocalDate }
    }

    struct DayChange: Decodable {
        var kind: String?
        var name: String?
        var reason: String?
    }

    struct ChangeView: Encodable {
        var day: DayView
        var lettersMoved: Int
        var calendarVersion: Int64
    }

    func addRoutes(to router: Router<AppRequestContext>, staffRoutes: StaffRoutes) {
        router.get("/v1/calendar/days", use: days)
        router.get("/v1/sla/preview", use: preview)
        router.get("/v1/sla/policies", use: policies)
        staffRoutes.on(.put, "/v1/admin/calendar/days/:date", .manageCalendar, use: change)
        staffRoutes.on(.put, "/v1/admin/calendar/business-hours", .manageCalendar, use: changeHours)
        staffRoutes.on(.put, "/v1/admin/sla/policies", .manageCalendar, use: setPolicy)
    }

    func date(_ request: Request, _ name: String) throws -> LocalDate {
        guard let raw = request.uri.queryParameters.get(name) else {
            throw Problem.badRequest("missing-parameter", "\(name) is required (YYYY-MM-DD).", field: name)
        }
        guard let d = LocalDate(iso: raw) else {
            throw Problem.badRequest("invalid-parameter", "\(name) must be a date YYYY-MM-DD.", field: name)
        }
        return d
    }

    func dayView(_ d: CalendarDay, _ calendar: WorkCalendar) -> DayView {
        DayView(date: d.date, kind: d.kind, name: d.name, isWorkingDay: d.isWorkingDay, weekday: d.date.weekday,
                workOrdinal: calendar.workOrdinal(of: d.date))
    }

    @Sendable func days(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await mailbox.refreshCalendarIfStale()
        let from = try date(request, "from"), to = try date(request, "to")
        guard from <= to else { throw Problem.badRequest("invalid-parameter", "from must not be after to.", field: "to") }
        guard to.dayNumber - from.dayNumber < Self.maxRangeDays else {
            throw Problem.badRequest("invalid-parameter", "At most \(Self.maxRangeDays) days per request.", field: "to")
        }
        let calendar = mailbox.cache.current.calendar
        var views: [DayView] = []
        var missing: [LocalDate] = []
        for n in from.dayNumber...to.dayNumber {
            let date = LocalDate(dayNumber: n)
            if let calendar, let day = calendar.day(date) {
                views.append(dayView(day, calendar))
            } else {
                missing.append(date)
            }
        }
        let coverage = calendar?.coverage.map { DaysView.Coverage(from: $0.lowerBound, to: $0.upperBound) }
        return try jsonResponse(DaysView(from: from, to: to, coverage: coverage, calendarIncomplete: !missing.isEmpty,
                                         missing: missing, days: views))
    }

    @Sendable func change(_ request: Request, context: AppRequestContext) async throws -> Response {
        let raw = try context.parameters.require("date")
        guard let date = LocalDate(iso: raw) else {
            throw Problem.badRequest("invalid-parameter", "The date must be YYYY-MM-DD.", field: "date")
        }
        let body = try await decodeBody(DayChange.self, request)
        var v = FieldValidator()
        let kind = v.enumValue(body.kind, "kind", as: DayKind.self)
        let name = v.optionalText(body.name, "name", limit: 50)
        let reason = v.optionalText(body.reason, "reason", limit: 500)
        let weekend = date.weekday >= 6
        switch kind {
        case .makeupWorkday? where !weekend: v.fail("kind", "makeup_workday (调休上班) is only for a Saturday or Sunday")
        case .weekend? where !weekend: v.fail("kind", "weekend is only for a Saturday or Sunday; use holiday for a weekday off")
        case .workday? where weekend: v.fail("kind", "a weekend date that is worked is makeup_workday")
        case .holiday? where name == nil: v.fail("name", "is required for a holiday (e.g. 春节)")
        default: break
        }
        try v.finish()
        let day = CalendarDay(date: date, kind: kind!, name: kind == .holiday || kind == .makeupWorkday ? name : nil)
        let result = try await mailbox.calendars.changeDays([day], actor: context.identity!.actor, reason: reason)
        try await mailbox.reloadCalendar()
        guard let calendar = mailbox.cache.current.calendar, let stored = calendar.day(date) else {
            throw StoreError.calendarIncomplete("\(date) is not in the calendar")
        }
        context.logger.notice("calendar day changed", metadata: [
            "day": "\(date)", "kind": "\(stored.kind.rawValue)", "letters_moved": "\(result.lettersMoved)",
        ])
        return try jsonResponse(ChangeView(day: dayView(stored, calendar), lettersMoved: result.lettersMoved,
                                           calendarVersion: result.version))
    }

    struct HoursChange: Decodable {
        var businessHours: String?
        var reason: String?
        enum CodingKeys: String, CodingKey { case businessHours = "business_hours", reason }
    }

    struct HoursView: Encodable {
        var businessHours: String
        var secondsPerWorkingDay: Int
        var lettersMoved: Int
        var calendarVersion: Int64
    }

    /// 办公时间: e.g. `{"business_hours": "09:00-12:00,13:30-18:00"}`; open deadlines move with it.
    @Sendable func changeHours(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await decodeBody(HoursChange.self, request)
        var v = FieldValidator()
        let reason = v.optionalText(body.reason, "reason", limit: 500)
        var hours: BusinessHours?
        if let text = body.businessHours {
            do { hours = try BusinessHours(parsing: text) } catch { v.fail("business_hours", error.description) }
        } else {
            v.fail("business_hours", "is required, e.g. 09:00-12:00,13:30-17:30")
        }
        try v.finish()
        let result = try await mailbox.calendars.setBusinessHours(hours!, actor: context.identity!.actor, reason: reason)
        try await mailbox.reloadCalendar()
        context.logger.notice("business hours changed", metadata: ["hours": "\(hours!.text)", "letters_moved": "\(result.lettersMoved)"])
        return try jsonResponse(HoursView(businessHours: hours!.text, secondsPerWorkingDay: hours!.secondsPerWorkingDay,
                                          lettersMoved: result.lettersMoved, calendarVersion: result.version))
    }

    struct PolicyBody: Decodable {
        var category: String?
        var departmentId: String?
        var channel: String?
        var limitWorkingDays: Int?
        var rule: String?
        var warningRatio: Double?
        enum CodingKeys: String, CodingKey {
            case category, channel, rule
            case departmentId = "department_id"
            case limitWorkingDays = "limit_working_days"
            case warningRatio = "warning_ratio"
        }
    }

    struct PoliciesView: Encodable { var policies: [SLAPolicy] }

    /// 办理时限: the configured policies (most specific wins when a letter is received).
    @Sendable func policies(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await mailbox.refreshCalendarIfStale()
        return try jsonResponse(PoliciesView(policies: mailbox.cache.current.policies))
    }

    /// Creates or replaces the policy for (category, department, channel); applies to letters
    /// received afterwards.
    @Sendable func setPolicy(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await decodeBody(PolicyBody.self, request)
        var v = FieldValidator()
        let category = v.enumValue(body.category, "category", as: LetterCategory.self)
        var channel: LetterChannel?
        if let raw = body.channel { channel = v.enumValue(raw, "channel", as: LetterChannel.self) }
        let rule = body.rule.map { v.enumValue($0, "rule", as: CountingRule.self) } ?? .followingDays
        let ratio = body.warningRatio ?? 0.8
        if !(ratio > 0 && ratio < 1) { v.fail("warning_ratio", "must be between 0 and 1 (exclusive)") }
        if let days = body.limitWorkingDays {
            if !(1...365).contains(days) { v.fail("limit_working_days", "must be 1–365") }
        } else {
            v.fail("limit_working_days", "is required")
        }
        try v.finish()
        let policy = SLAPolicy(category: category!, departmentID: body.departmentId, channel: channel,
                               limitWorkingDays: body.limitWorkingDays!, rule: rule!, warningRatio: ratio)
        do {
            try await mailbox.calendars.upsertPolicy(policy)
        } catch where StoreError.sqlState(error) == "23503" {
            throw Problem.validation([FieldError(field: "department_id", message: "unknown department")])
        }
        try await mailbox.reloadCalendar()
        return try jsonResponse(PoliciesView(policies: mailbox.cache.current.policies))
    }

    @Sendable func preview(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await mailbox.refreshCalendarIfStale()
        let q = request.uri.queryParameters
        var v = FieldValidator()
        let category = v.enumValue(q.get("category"), "category", as: LetterCategory.self)
        var channel = LetterChannel.portal
        if let raw = q.get("channel") {
            if let c = LetterChannel(rawValue: raw) { channel = c } else { v.fail("channel", "must be one of portal, app, staff") }
        }
        var receivedAt = Date()
        if let raw = q.get("received_at") {
            if let d = MailboxJSON.parseTimestamp(raw) { receivedAt = d } else {
                v.fail("received_at", "must be an RFC 3339 time such as 2026-03-02T09:30:00+08:00")
            }
        }
        try v.finish()
        let (clock, _) = mailbox.startClock(category: category!, channel: channel, departmentID: q.get("department_id"),
                                           receivedAt: receivedAt, now: receivedAt)
        let snapshot = mailbox.cache.current
        guard let calendar = snapshot.calendar else {
            throw StoreError.calendarIncomplete("no calendar year is loaded")
        }
        return try jsonResponse(clock.explain(on: calendar, provisional: snapshot.provisional, now: receivedAt))
    }
}
