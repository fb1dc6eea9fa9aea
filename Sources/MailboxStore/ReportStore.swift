public import Foundation
public import Logging
public import MailboxCore
public import PostgresNIO

/// What a report groups letters by (`group_by`).
public enum ReportGrouping: String, Sendable, CaseIterable, Hashable {
    case category, department, channel, month, town
}

/// Letters for SLA reports, read straight from `letters` (the raw recomputation; rollups come
/// later and must equal it).
public protocol ReportStore: Sendable {
    /// Calls `body` with every letter received in [from, to) — optionally of one department —
    /// and its group key under `grouping` (nil: no grouping), streaming (constant memory).
    func forEachReportLetter(receivedFrom from: Date, before to: Date, departmentID: String?, grouping: ReportGrouping?,
                             _ body: (ReportLetter, String?) throws -> Void) async throws
    /// Department id → name, for group labels.
    func departmentNames() async throws -> [String: String]
}

public struct PostgresReportStore: ReportStore {
    public let client: PostgresClient
    public let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
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

    public func forEachReportLetter(receivedFrom from: Date, before to: Date, departmentID: String?, grouping: ReportGrouping?,
                                    _ body: (ReportLetter, String?) throws -> Void) async throws {
        let rows = try await client.query(
            """
            SELECT l.received_at, l.category, l.channel, l.department_id, l.town, l.status, l.closed_at,
                   l.sla_clock::text,
                   EXISTS (SELECT 1 FROM letter_events e WHERE e.letter_id = l.id AND e.kind = 'returned'),
                   coalesce(jsonb_array_length(l.sla_clock->'extensions'), 0) > 0,
                   l.reopened_at IS NOT NULL,
                   r.satisfaction, r.resolved,
                   \(unescaped: Self.groupExpression(grouping))
            FROM letters l
            LEFT JOIN LATERAL (SELECT satisfaction, resolved FROM letter_ratings x WHERE x.letter_id = l.id
                               ORDER BY round DESC LIMIT 1) r ON true
            WHERE l.received_at >= \(from) AND l.received_at < \(to)
              AND (\(departmentID)::text IS NULL OR l.department_id = \(departmentID))
            """, logger: logger)
        let decoder = MailboxJSON.decoder()
        for try await (received, category, channel, dept, town, status, closed, clockJSON, returned, extended, reopened,
                       satisfaction, resolved, key)
            in rows.decode((Date, String, String, String?, String?, String, Date?, String?, Bool, Bool, Bool, String?, Bool?,
                            String?).self)
        {
            let clock = clockJSON.flatMap { try? decoder.decode(SLAClock.self, from: Data($0.utf8)) }
            let rating = satisfaction.map {
                ReportLetter.Rating(satisfied: $0 == "satisfied" || $0 == "basically_satisfied", resolved: resolved ?? false)
            }
            let letter = ReportLetter(
                receivedAt: received, category: LetterCategory(rawValue: category) ?? .consultation,
                channel: LetterChannel(rawValue: channel) ?? .portal, departmentID: dept, town: town,
                status: LetterStatus(rawValue: status) ?? .received, closedAt: closed, clock: clock, returned: returned,
                extended: extended, reopened: reopened, rating: rating)
            try body(letter, key)
        }
    }

    public func departmentNames() async throws -> [String: String] {
        var names: [String: String] = [:]
        for try await (id, name) in try await client.query("SELECT id, name FROM departments", logger: logger)
            .decode((String, String).self) { names[id] = name }
        return names
    }
}
