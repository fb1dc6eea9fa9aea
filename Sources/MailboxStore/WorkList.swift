public import Foundation
public import MailboxCore
public import PostgresNIO
public import Logging
import Synchronization

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
        // base64url without padding, mapped byte by byte (Foundation's replacingOccurrences showed in the profile).
        let b64 = Data("\(order.rawValue)|\(id)|\(key)".utf8).base64EncodedString()
        return String(decoding: b64.utf8.compactMap { b -> UInt8? in
            switch b {
            case UInt8(ascii: "+"): UInt8(ascii: "-")
            case UInt8(ascii: "/"): UInt8(ascii: "_")
            case UInt8(ascii: "="): nil
            default: b
            }
        }, as: UTF8.self)
    }

    public init?(encoded: String) {
        guard encoded.utf8.count <= 200 else { return nil }
        var b64 = encoded.utf8.map { b -> UInt8 in
            switch b {
            case UInt8(ascii: "-"): UInt8(ascii: "+")
            case UInt8(ascii: "_"): UInt8(ascii: "/")
            default: b
            }
        }
        while b64.count % 4 != 0 { b64.append(UInt8(ascii: "=")) }
        guard let data = Data(base64Encoded: Data(b64)), let text = String(data: data, encoding: .utf8) else { return nil }
        let parts = text.split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let order = WorkListQuery.Order(rawValue: String(parts[0])), let id = Int64(parts[1]),
            !parts[2].isEmpty, parts[2].utf8.allSatisfy({ (0x20..<0x7f).contains($0) })
        else { return nil }
        self.init(order: order, key: String(parts[2]), id: id)
    }
}

extension LetterStatus {
    /// The open states as an SQL list (`'received', 'accepted', …`), in declaration order: the form the partial
    /// indexes of open letters (migrations 0006, 0012) and report_open_rows (0013) are written with.
    static let openSQLList = allCases.filter { !$0.isFinal }.map { "'\($0.rawValue)'" }.joined(separator: ", ")
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
    /// The statement may run as a named prepared statement (``PreparedWorkLists``): its parameters are only
    /// the clock and the keyset position, which do not change the best plan, so a plan PostgreSQL caches
    /// for it serves every later page. Free text, date ranges and the owner filter change the plan with
    /// their values and are planned each time.
    public var preparable = true

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
        func quote(_ s: String) -> String { Self.quote(s) }
        func bind(_ text: String) -> String {
            bindings.append(text)
            return placeholder(quote(text) + "::text")
        }
        func time(_ d: Date) -> String {
            bindings.append(d)
            return placeholder(quote(MailboxJSON.formatTimestamp(d)) + "::timestamptz")
        }
        func bind(_ n: Int64) -> String {
            bindings.append(n)
            return placeholder(String(n) + "::int8")
        }

        // Values from closed sets (statuses, categories, channels: enum raw values) and the caller's own
        // department (the scope, from its account) are written into the statement as literals, not bound:
        // the planner must see them to prove a partial index's predicate and to estimate a department's
        // share, and a cached generic plan never sees bound values (with the scope's department bound,
        // PostgreSQL's generic plan of the handler's open list took 59 ms instead of 2.5).
        func literal(_ values: [String]) -> String {
            "ARRAY[" + values.map { quote($0) }.joined(separator: ", ") + "]::text[]"
        }
        switch scope {
        case .all: break
        case .department(let d): conditions.append("l.departments @> \(literal([d]))")
        case .none: conditions.append("false")
        }
        // "Open" is the open states, written as the partial indexes of migration 0006 write it.
        let open = "l.status IN (\(LetterStatus.openSQLList))"
        if !q.statuses.isEmpty {
            conditions.append("l.status = ANY(\(literal(q.statuses.map(\.rawValue))))")
        }
        if !q.categories.isEmpty {
            conditions.append("l.category = ANY(\(literal(q.categories.map(\.rawValue))))")
        }
        // The owner filter is a client's string: bound, and planned with its value each time.
        if let d = q.departmentID { conditions.append("l.department_id = \(bind(d))"); preparable = false }
        if let c = q.channel { conditions.append("l.channel = \(quote(c.rawValue))") }
        if let overdue = q.overdue {
            let now = time(q.now)
            conditions.append(overdue ? "\(open) AND l.due_at < \(now)" : "NOT (\(open) AND coalesce(l.due_at < \(now), false))")
        }
        if let d = q.dueBefore { conditions.append("l.due_at < \(time(d))"); preparable = false }
        if let warning = q.warningPassed {
            let now = time(q.now)
            conditions.append(warning ? "\(open) AND l.warn_at <= \(now)" : "NOT (\(open) AND coalesce(l.warn_at <= \(now), false))")
        }
        if let d = q.receivedFrom { conditions.append("l.received_at >= \(time(d))"); preparable = false }
        if let d = q.receivedTo { conditions.append("l.received_at < \(time(d))"); preparable = false }
        if let s = q.supervised { conditions.append(s ? "l.supervised" : "NOT l.supervised") }
        if let text = q.text {
            // The bigram index finds candidates; LIKE keeps exact substrings only (docs/workflow.md).
            let t = bind(text)
            preparable = false
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
        // A literal too: with LIMIT bound, a generic plan assumes a tenth of the table is wanted.
        let limit = String(q.limit + 1)
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

    /// A string as an SQL literal (standard_conforming_strings is on, so only quotes double).
    static func quote(_ s: String) -> String {
        guard s.utf8.contains(UInt8(ascii: "'")) else { return "'" + s + "'" }
        var out = [UInt8(ascii: "'")]
        for b in s.utf8 {
            out.append(b)
            if b == UInt8(ascii: "'") { out.append(b) }
        }
        out.append(UInt8(ascii: "'"))
        return String(decoding: out, as: UTF8.self)
    }

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

    public static func decode<Rows: AsyncSequence>(_ rows: Rows, query q: WorkListQuery) async throws -> WorkListPage
        where Rows.Element == PostgresRow {
        var items: [WorkListItem] = []
        var keys: [String] = []
        for try await row in rows {
            // Column by column with concrete types: decoding the 19 columns as one tuple went through
            // PostgresNIO's parameter-pack decode, which looks up generic metadata for every cell (a
            // fifth of the list's CPU in the profile).
            var cells = row.makeIterator()
            func next<T: PostgresDecodable>(_: T.Type = T.self) throws -> T {
                guard let cell = cells.next() else { preconditionFailure("the statement above selects 19 columns") }
                return try cell.decode(T.self)
            }
            let id: Int64 = try next(), tracking: String = try next(), status: String = try next()
            let category: String = try next(), channel: String = try next(), title: String = try next()
            let town: String? = try next(), dept: String? = try next(), deptName: String? = try next()
            let cohandlers: [String] = try next(), received: Date = try next(), due: Date? = try next()
            let warn: Date? = try next(), slaState: String = try next(), supervised: Bool = try next()
            let pending: Bool = try next(), version: Int32 = try next(), provisional: Bool = try next()
            let key: String = try next()
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

/// Runs work-list statements as named prepared statements, so that PostgreSQL parses each list shape once per
/// connection and, where its parameters do not change the plan (``WorkListSQL/preparable``), plans it once too:
/// planning was a third of the statement's time (0.15–0.5 ms against 0.1–1.5 ms of execution over 1,000,000
/// letters) and the part of the service's database work that pgbench's simple protocol shares. PostgreSQL still
/// chooses per statement between its cached generic plan and a fresh custom plan (`plan_cache_mode = auto`): a
/// statement whose generic plan looks costlier keeps being planned with its values.
///
/// Names are handed out per process, one per distinct statement text, up to `capacity`; beyond it statements run
/// unnamed as before, so a backend holds at most `capacity` of them however many shapes clients ask for.
public enum PreparedWorkLists {
    private struct State {
        var capacity = 256
        var names: [String: String] = [:]
    }
    private static let state = Mutex(State())

    /// At most this many distinct statements are prepared (`MAILBOX_PREPARED_STATEMENTS`; 0 turns preparing off,
    /// e.g. behind a connection pooler in transaction mode that does not carry prepared statements).
    public static var capacity: Int {
        get { state.withLock { $0.capacity } }
        set { state.withLock { $0.capacity = max(0, newValue) } }
    }

    /// The statement's name, or nil when it is not to be prepared.
    static func name(for sql: WorkListSQL) -> String? {
        guard sql.preparable else { return nil }
        return state.withLock { s in
            if let name = s.names[sql.sql] { return name }
            guard s.names.count < s.capacity else { return nil }
            let name = "mailbox_work_list_\(s.names.count + 1)"
            s.names[sql.sql] = name
            return name
        }
    }

    /// Runs `sql` on `client`, prepared when it may be, and decodes the page.
    static func run(_ sql: WorkListSQL, query: WorkListQuery, on client: PostgresClient, logger: Logger) async throws -> WorkListPage {
        guard let name = name(for: sql) else {
            return try await WorkListSQL.decode(try await client.query(sql.query, logger: logger), query: query)
        }
        return try await Statement.$text.withValue(.init(name: name, sql: sql.sql)) {
            try await WorkListSQL.decode(try await client.execute(Statement(bindings: sql.bindings), logger: logger), query: query)
        }
    }

    /// PostgresNIO's prepared statements take their name and SQL from the type (static requirements); a work list's
    /// statement is built per request, so the type reads them from a task-local value set around the call
    /// (`PostgresClient.execute` reads both before its first suspension point that could leave this task).
    struct Statement: PostgresPreparedStatement {
        struct Text: Sendable {
            var name: String
            var sql: String
        }
        @TaskLocal static var text = Text(name: "", sql: "")
        static var name: String { text.name }
        static var sql: String { text.sql }
        typealias Row = PostgresRow

        var bindings: PostgresBindings
        func makeBindings() -> PostgresBindings { bindings }
        func decodeRow(_ row: PostgresRow) -> PostgresRow { row }
    }
}
