public import Foundation
public import MailboxCore
public import PostgresNIO

/// 工作台列表: a staff work list's filters, order and keyset position (docs/workflow.md).
public struct WorkListQuery: Sendable, Hashable {
    public enum Order: String, Sendable, CaseIterable {
        /// Soonest due first (letters without a deadline last).
        case due
        /// Newest first.
        case received
    }

    public var statuses: [LetterStatus] = []
    public var categories: [LetterCategory] = []
    public var departmentID: String?
    public var channel: LetterChannel?
    /// Open and past due at `now`.
    public var overdue: Bool?
    public var dueBefore: Date?
    /// Open and past the warning time at `now`.
    public var warningPassed: Bool?
    public var receivedFrom: Date?
    public var receivedTo: Date?
    public var supervised: Bool?
    /// A substring of title or body (at least two characters).
    public var text: String?
    public var order: Order = .due
    public var limit: Int = 50
    public var cursor: WorkListCursor?
    public var now: Date = Date()

    public init() {}

    public static let maxLimit = 200
}

/// Where the previous page ended: the order, its sort key (PostgreSQL's text form, so it round-trips
/// exactly) and the letter id. Opaque to clients (base64url).
public struct WorkListCursor: Sendable, Hashable {
    public var order: WorkListQuery.Order
    public var key: String
    public var id: Int64

    public init(order: WorkListQuery.Order, key: String, id: Int64) {
        self.order = order
        self.key = key
        self.id = id
    }

    public var encoded: String {
        Data("\(order.rawValue)|\(id)|\(key)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public init?(encoded: String) {
        var b64 = encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        guard encoded.count <= 200, let data = Data(base64Encoded: b64), let text = String(data: data, encoding: .utf8) else { return nil }
        let parts = text.split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let order = WorkListQuery.Order(rawValue: String(parts[0])), let id = Int64(parts[1]),
            !parts[2].isEmpty, parts[2].utf8.allSatisfy({ (0x20..<0x7f).contains($0) })
        else { return nil }
        self.init(order: order, key: String(parts[2]), id: id)
    }
}

/// One line of a work list: no personal data (open the letter for that).
public struct WorkListItem: Sendable, Hashable {
    public var id: Int64
    public var trackingNo: String
    public var status: LetterStatus
    public var category: LetterCategory
    public var channel: LetterChannel
    public var title: String
    public var town: String?
    public var departmentID: String?
    public var departmentName: String?
    public var cohandlers: [String]
    public var receivedAt: Date
    public var dueAt: Date?
    public var warnAt: Date?
    public var slaState: String
    /// The deadline is provisional (a year whose holiday notice is not loaded).
    public var slaProvisional: Bool = false
    public var supervised: Bool
    public var pendingExtension: Bool
    public var version: Int
}

public struct WorkListPage: Sendable {
    public var items: [WorkListItem]
    public var nextCursor: WorkListCursor?
}

/// The SQL of a work list, built once per request with numbered parameters. Kept apart from
/// running it so that the benchmark can hand pgbench exactly the statement the service runs.
public struct WorkListSQL: Sendable {
    public var sql: String
    public var bindings: PostgresBindings
    /// The parameters as SQL literals, in order (for pgbench and EXPLAIN).
    public var literals: [String]

    static let dueKey = "coalesce(l.due_at, 'infinity'::timestamptz)"

    public init(_ q: WorkListQuery, scope: LetterScope) {
        var conditions: [String] = []
        var bindings = PostgresBindings()
        var literals: [String] = []
        // Parameters are bound with their own types (text[], timestamptz, int8), never as text cast
        // in SQL: text→text[] and text→timestamptz casts are only STABLE, so the planner could not
        // fold them into constants, could not prove a partial index's predicate, and chose plans
        // 100× slower than pgbench's for the same statement with literals.
        func placeholder(_ literal: String) -> String {
            literals.append(literal)
            return "$\(literals.count)"
        }
        func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
        func bind(_ text: String) -> String {
            bindings.append(text)
            return placeholder(quote(text) + "::text")
        }
        func bind(_ values: [String]) -> String {
            bindings.append(values)
            return placeholder(quote("{" + values.joined(separator: ",") + "}") + "::text[]")
        }
        func time(_ d: Date) -> String {
            bindings.append(d)
            return placeholder(quote(MailboxJSON.formatTimestamp(d)) + "::timestamptz")
        }
        func bind(_ n: Int64) -> String {
            bindings.append(n)
            return placeholder(String(n) + "::int8")
        }

        switch scope {
        case .all: break
        case .department(let d): conditions.append("l.departments @> ARRAY[\(bind(d))]")
        case .none: conditions.append("false")
        }
        // "Open" is the open states, written as the partial indexes of migration 0006 write it.
        let open = "l.status IN (" + LetterStatus.allCases.filter { !$0.isFinal }.map { "'\($0.rawValue)'" }
            .joined(separator: ", ") + ")"
        if !q.statuses.isEmpty {
            conditions.append("l.status = ANY(\(bind(q.statuses.map(\.rawValue))))")
        }
        if !q.categories.isEmpty {
            conditions.append("l.category = ANY(\(bind(q.categories.map(\.rawValue))))")
        }
        if let d = q.departmentID { conditions.append("l.department_id = \(bind(d))") }
        if let c = q.channel { conditions.append("l.channel = \(bind(c.rawValue))") }
        if let overdue = q.overdue {
            let now = time(q.now)
            conditions.append(overdue ? "\(open) AND l.due_at < \(now)" : "NOT (\(open) AND coalesce(l.due_at < \(now), false))")
        }
        if let d = q.dueBefore { conditions.append("l.due_at < \(time(d))") }
        if let warning = q.warningPassed {
            let now = time(q.now)
            conditions.append(warning ? "\(open) AND l.warn_at <= \(now)" : "NOT (\(open) AND coalesce(l.warn_at <= \(now), false))")
        }
        if let d = q.receivedFrom { conditions.append("l.received_at >= \(time(d))") }
        if let d = q.receivedTo { conditions.append("l.received_at < \(time(d))") }
        if let s = q.supervised { conditions.append(s ? "l.supervised" : "NOT l.supervised") }
        if let text = q.text {
            // The bigram index finds candidates; LIKE keeps exact substrings only (docs/workflow.md).
            let t = bind(text)
            conditions.append("mailbox_bigrams(l.title || E'\\n' || l.body) @> mailbox_bigrams(\(t))")
            conditions.append("lower(l.title || E'\\n' || l.body) LIKE '%' || replace(replace(replace(lower(\(t)), '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'")
        }
        let key: String
        let direction: String
        let comparison: String
        switch q.order {
        case .due: (key, direction, comparison) = (Self.dueKey, "ASC", ">")
        case .received: (key, direction, comparison) = ("l.received_at", "DESC", "<")
        }
        if let c = q.cursor, c.order == q.order {
            // The key travels as PostgreSQL's own text form, so it round-trips exactly.
            bindings.append(c.key)
            let k = placeholder(quote(c.key)) + "::timestamptz"
            conditions.append("(\(key), l.id) \(comparison) (\(k), \(bind(c.id)))")
        }
        let limit = bind(Int64(q.limit + 1))
        sql = """
            SELECT l.id, l.tracking_no, l.status, l.category, l.channel, l.title, l.town, l.department_id, d.name,
                   l.cohandlers, l.received_at, l.due_at, l.warn_at, l.sla_state, l.supervised,
                   l.pending_extension IS NOT NULL, l.version, l.sla_provisional, \(key)::text
            FROM letters l LEFT JOIN departments d ON d.id = l.department_id
            WHERE \(conditions.isEmpty ? "true" : conditions.joined(separator: " AND "))
            ORDER BY \(key) \(direction), l.id \(direction)
            LIMIT \(limit)
            """
        self.bindings = bindings
        self.literals = literals
    }

    public var query: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: bindings) }

    /// The statement with its parameters written in, for pgbench and EXPLAIN.
    public var literalSQL: String {
        var out = ""
        var rest = Substring(sql)
        while let match = rest.firstMatch(of: /\$([0-9]+)/) {
            out += rest[..<match.range.lowerBound]
            out += literals[Int(match.output.1)! - 1]
            rest = rest[match.range.upperBound...]
        }
        return out + rest
    }

    public static func decode(_ rows: PostgresRowSequence, query q: WorkListQuery) async throws -> WorkListPage {
        var items: [WorkListItem] = []
        var keys: [String] = []
        for try await row in rows {
            // Decoded by position in one pass (makeRandomAccess builds a column index per row).
            let (id, tracking, status, category, channel, title, town, dept, deptName, cohandlers, received, due, warn,
                 slaState, supervised, pending, version, provisional, key) = try row.decode(
                    (Int64, String, String, String, String, String, String?, String?, String?, [String], Date, Date?, Date?,
                     String, Bool, Bool, Int32, Bool, String).self)
            items.append(WorkListItem(
                id: id, trackingNo: tracking, status: LetterStatus(rawValue: status)!,
                category: LetterCategory(rawValue: category)!, channel: LetterChannel(rawValue: channel)!, title: title,
                town: town, departmentID: dept, departmentName: deptName, cohandlers: cohandlers, receivedAt: received,
                dueAt: due, warnAt: warn, slaState: slaState, slaProvisional: provisional, supervised: supervised,
                pendingExtension: pending,
                version: Int(version)))
            keys.append(key)
        }
        var next: WorkListCursor?
        if items.count > q.limit {
            items.removeLast()
            next = WorkListCursor(order: q.order, key: keys[q.limit - 1], id: items[q.limit - 1].id)
        }
        return WorkListPage(items: items, nextCursor: next)
    }
}
