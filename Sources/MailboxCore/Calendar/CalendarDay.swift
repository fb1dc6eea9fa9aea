import Foundation

/// What kind of day a date is in the working calendar (日期类型).
public enum DayKind: String, Sendable, Codable, CaseIterable {
    /// 工作日: Monday–Friday that is not a holiday.
    case workday
    /// 法定节假日 / 放假: a day off declared by the State Council notice (may fall on any weekday or weekend).
    case holiday
    /// 调休上班: a Saturday or Sunday declared a working day to make up for a holiday.
    case makeupWorkday = "makeup_workday"
    /// 周末休息: Saturday or Sunday with no declaration.
    case weekend

    /// Whether letters are handled on such a day (counts towards SLA limits).
    @inlinable
    public var isWorkingDay: Bool { self == .workday || self == .makeupWorkday }

    /// Chinese label, e.g. 调休上班.
    public var chineseName: String {
        switch self {
        case .workday: "工作日"
        case .holiday: "法定节假日"
        case .makeupWorkday: "调休上班"
        case .weekend: "周末"
        }
    }

    /// English label.
    public var englishName: String {
        switch self {
        case .workday: "workday"
        case .holiday: "public holiday"
        case .makeupWorkday: "make-up workday"
        case .weekend: "weekend"
        }
    }
}

/// One date of the working calendar with its kind and (for holidays and make-up days) the holiday name,
/// e.g. `2024-10-01 holiday 国庆节` or `2024-10-12 makeup_workday 国庆节调休`.
///
/// `isWorkingDay` is derived from `kind`; it is encoded for convenience and ignored when decoding.
public struct CalendarDay: Sendable, Codable, Hashable {
    public var date: LocalDate
    public var kind: DayKind
    public var name: String?

    public init(date: LocalDate, kind: DayKind, name: String? = nil) {
        self.date = date
        self.kind = kind
        self.name = name
    }

    /// Whether this day counts as a working day (工作日 or 调休上班).
    public var isWorkingDay: Bool { kind.isWorkingDay }

    /// The kind a date has when nothing is declared: Mon–Fri workday, Sat/Sun weekend.
    public static func defaultKind(for date: LocalDate) -> DayKind {
        date.isWeekend ? .weekend : .workday
    }

    private enum CodingKeys: String, CodingKey {
        case date, kind, name, isWorkingDay
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        date = try c.decode(LocalDate.self, forKey: .date)
        kind = try c.decode(DayKind.self, forKey: .kind)
        name = try c.decodeIfPresent(String.self, forKey: .name)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(date, forKey: .date)
        try c.encode(kind, forKey: .kind)
        try c.encodeIfPresent(name, forKey: .name)
        try c.encode(isWorkingDay, forKey: .isWorkingDay)
    }
}
