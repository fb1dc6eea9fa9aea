public import Foundation
public import Logging
public import MailboxCore
public import PostgresNIO

/// One 错敏字 list as stored: its kind and its entries.
public struct StoredWordList: Sendable, Hashable {
    public enum Kind: String, Sendable, Codable, CaseIterable, Hashable {
        case sensitive
        case officialName = "official_name"
        case typo
    }
    public var name: String
    public var kind: Kind
    public var description: String?
    public var entries: [WordList.Entry]
    public var updatedAt: Date

    public init(name: String, kind: Kind, description: String?, entries: [WordList.Entry], updatedAt: Date = Date()) {
        self.name = name
        self.kind = kind
        self.description = description
        self.entries = entries
        self.updatedAt = updatedAt
    }

    /// The list the checker is built from.
    public var wordList: WordList { WordList(name: name, entries: entries) }
}

/// A row of the app's outbox, as admins see it.
public struct AppDelivery: Sendable, Hashable {
    public enum State: String, Sendable, Codable, CaseIterable, Hashable { case pending, delivered, dead }
    public var id: Int64
    public var deliveryID: UUID
    public var trackingNo: String
    public var letterVersion: Int
    public var kind: String
    public var payload: String
    public var state: State
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastStatus: Int?
    public var lastError: String?
    public var createdAt: Date
    public var deliveredAt: Date?
}

/// A released reply as the public may see it, before masking (the masker needs the writer's
/// name and address, which are never shown).
public struct PublicReplyRecord: Sendable, Hashable {
    public var id: Int64
    public var trackingNo: String
    public var category: LetterCategory
    public var title: String
    public var body: String
    public var reply: String
    public var departmentID: String?
    public var departmentName: String?
    public var receivedAt: Date
    public var closedAt: Date
    public var writerName: String
    public var address: String?
    public var town: String?
}

public struct PublicReplyQuery: Sendable, Hashable {
    public var category: LetterCategory?
    public var departmentID: String?
    /// Released in this Beijing month (YYYY-MM): [start, end).
    public var releasedFrom: Date?
    public var releasedBefore: Date?
    public var limit = 20
    /// Keyset: the id of the previous page's last letter (pages run newest first by release).
    public var afterID: Int64?

    public init() {}
}

/// Replies back to the citizen beyond the letter itself: 错敏字 lists, review steps, the app's
/// outbox and disclosure (公开). Every admin change is audited in `admin_changes`.
public protocol ReplyStore: Sendable {
    func wordListsVersion() async throws -> Int64
    func wordLists() async throws -> [StoredWordList]
    /// Creates or replaces a whole list (entries included).
    func replaceWordList(_ list: StoredWordList, actor: String) async throws
    func deleteWordList(name: String, actor: String) async throws

    func reviewPolicies() async throws -> [LetterCategory: ReviewSteps]
    func setReviewPolicy(category: LetterCategory, steps: ReviewSteps, actor: String) async throws

    func deliveries(state: AppDelivery.State?, limit: Int, beforeID: Int64?) async throws -> [AppDelivery]
    /// Puts a delivery back in the queue now (dead or delivered ones too).
    func redeliver(id: Int64, actor: String) async throws -> AppDelivery

    func publicReplies(_ q: PublicReplyQuery) async throws -> [PublicReplyRecord]
    func publicReply(trackingNo: String) async throws -> PublicReplyRecord?
}

public struct PostgresReplyStore: ReplyStore {
    public let client: PostgresClient
    public let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await PostgresStaffStore.transaction(client, logger, body)
    }

    /// A list's kind and entry count as the admin change log keeps them; nil when there is no such list.
    static func listSummary(_ tx: PostgresConnection, _ name: String, _ logger: Logger) async throws -> String? {
        for try await (kind, count) in try await tx.query(
            """
            SELECT w.kind, (SELECT count(*) FROM word_list_entries e WHERE e.list = w.name)
            FROM word_lists w WHERE w.name = \(name) FOR UPDATE
            """, logger: logger).decode((String, Int64).self)
        {
            return MailboxJSON.object(["kind": kind, "entries": "\(count)"])
        }
        return nil
    }

    // MARK: 错敏字 lists

    public func wordListsVersion() async throws -> Int64 {
        for try await v in try await client.query("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM word_lists_version", logger: logger).decode(Int64.self) {
            return v
        }
        return 0
    }

    public func wordLists() async throws -> [StoredWordList] {
        var lists: [StoredWordList] = []
        let rows = try await client.query(
            "SELECT name, kind, description, updated_at FROM word_lists ORDER BY name", logger: logger)
        for try await (name, kind, description, updated) in rows.decode((String, String, String?, Date).self) {
            lists.append(StoredWordList(name: name, kind: .init(rawValue: kind) ?? .typo, description: description, entries: [],
                                        updatedAt: updated))
        }
        let entries = try await client.query(
            "SELECT list, pattern, suggestion FROM word_list_entries ORDER BY list, pattern", logger: logger)
        var byList: [String: [WordList.Entry]] = [:]
        for try await (list, pattern, suggestion) in entries.decode((String, String, String?).self) {
            byList[list, default: []].append(WordList.Entry(pattern: pattern, suggestion: suggestion))
        }
        for i in lists.indices { lists[i].entries = byList[lists[i].name] ?? [] }
        return lists
    }

    public func replaceWordList(_ list: StoredWordList, actor: String) async throws {
        try await transaction { tx in
            let before = try await Self.listSummary(tx, list.name, logger)
            try await tx.query(
                """
                INSERT INTO word_lists (name, kind, description) VALUES (\(list.name), \(list.kind.rawValue), \(list.description))
                ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind, description = EXCLUDED.description, updated_at = now()
                """, logger: logger)
            try await tx.query("DELETE FROM word_list_entries WHERE list = \(list.name)", logger: logger)
            try await tx.query(
                """
                INSERT INTO word_list_entries (list, pattern, suggestion)
                SELECT DISTINCT ON (p) \(list.name), p, nullif(s, '')
                FROM unnest(\(list.entries.map(\.pattern))::text[], \(list.entries.map { $0.suggestion ?? "" })::text[]) AS e(p, s)
                ORDER BY p
                """, logger: logger)
            try await tx.query("SELECT nextval('word_lists_version')", logger: logger)
            try await PostgresStaffStore.audit(
                tx, logger: logger, actor: actor, entity: "word_list", id: list.name, action: before == nil ? "create" : "replace",
                before: before, after: MailboxJSON.object(["kind": list.kind.rawValue, "entries": "\(list.entries.count)"]))
        }
    }

    public func deleteWordList(name: String, actor: String) async throws {
        try await transaction { tx in
            guard let before = try await Self.listSummary(tx, name, logger) else { throw StoreError.notFound }
            try await tx.query("DELETE FROM word_lists WHERE name = \(name)", logger: logger)
            try await tx.query("SELECT nextval('word_lists_version')", logger: logger)
            try await PostgresStaffStore.audit(tx, logger: logger, actor: actor, entity: "word_list", id: name, action: "delete",
                                               before: before, after: nil)
        }
    }

    // MARK: review steps

    public func reviewPolicies() async throws -> [LetterCategory: ReviewSteps] {
        var result: [LetterCategory: ReviewSteps] = [:]
        for try await (category, steps) in try await client.query(
            "SELECT category, steps FROM reply_review_policies", logger: logger).decode((String, String).self)
        {
            if let c = LetterCategory(rawValue: category), let s = ReviewSteps(rawValue: steps) { result[c] = s }
        }
        return result
    }

    public func setReviewPolicy(category: LetterCategory, steps: ReviewSteps, actor: String) async throws {
        try await transaction { tx in
            var before: String?
            for try await s in try await tx.query(
                "SELECT steps FROM reply_review_policies WHERE category = \(category.rawValue) FOR UPDATE", logger: logger)
                .decode(String.self) { before = MailboxJSON.object(["steps": s]) }
            try await tx.query(
                """
                INSERT INTO reply_review_policies (category, steps) VALUES (\(category.rawValue), \(steps.rawValue))
                ON CONFLICT (category) DO UPDATE SET steps = EXCLUDED.steps, updated_at = now()
                """, logger: logger)
            try await PostgresStaffStore.audit(tx, logger: logger, actor: actor, entity: "review_policy", id: category.rawValue,
                                               action: "update", before: before, after: MailboxJSON.object(["steps": steps.rawValue]))
        }
    }

    // MARK: the app's outbox

    static let deliveryColumns = """
        o.id, o.delivery_id, l.tracking_no, o.letter_version, o.kind, o.payload, o.state, o.attempts, o.next_attempt_at,
        o.last_status, o.last_error, o.created_at, o.delivered_at
        """

    static func decodeDelivery(_ row: PostgresRow) throws -> AppDelivery {
        let (id, did, tracking, version, kind, payload, state, attempts, next, status, error, created, delivered) =
            try row.decode((Int64, UUID, String, Int32, String, String, String, Int32, Date, Int32?, String?, Date, Date?).self)
        return AppDelivery(id: id, deliveryID: did, trackingNo: tracking, letterVersion: Int(version), kind: kind, payload: payload,
                           state: .init(rawValue: state) ?? .pending, attempts: Int(attempts), nextAttemptAt: next,
                           lastStatus: status.map(Int.init), lastError: error, createdAt: created, deliveredAt: delivered)
    }

    public func deliveries(state: AppDelivery.State?, limit: Int, beforeID: Int64?) async throws -> [AppDelivery] {
        var result: [AppDelivery] = []
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.deliveryColumns) FROM app_deliveries o JOIN letters l ON l.id = o.letter_id
            WHERE (\(state?.rawValue)::text IS NULL OR o.state = \(state?.rawValue)) AND o.id < \(beforeID ?? Int64.max)
            ORDER BY o.id DESC LIMIT \(Int32(limit))
            """, logger: logger)
        for try await row in rows { result.append(try Self.decodeDelivery(row)) }
        return result
    }

    public func redeliver(id: Int64, actor: String) async throws -> AppDelivery {
        try await transaction { tx in
            var before: AppDelivery?
            for try await row in try await tx.query(
                """
                SELECT \(unescaped: Self.deliveryColumns) FROM app_deliveries o JOIN letters l ON l.id = o.letter_id
                WHERE o.id = \(id) FOR UPDATE OF o
                """, logger: logger) { before = try Self.decodeDelivery(row) }
            guard let before else { throw StoreError.notFound }
            var inFlight = false
            for try await busy in try await tx.query(
                "SELECT state = 'pending' AND locked_until > now() FROM app_deliveries WHERE id = \(id)", logger: logger
            ).decode(Bool?.self) { inFlight = busy ?? false }
            // A sender holds it right now: resetting it would let a second one send it meanwhile.
            guard !inFlight else { throw StoreError.conflict("the delivery is being sent right now; try again in a minute") }
            try await tx.query(
                """
                UPDATE app_deliveries SET state = 'pending', attempts = 0, next_attempt_at = now(), locked_until = NULL
                WHERE id = \(id)
                """, logger: logger)
            try await PostgresStaffStore.audit(
                tx, logger: logger, actor: actor, entity: "app_delivery", id: before.deliveryID.uuidString.lowercased(),
                action: "redeliver", before: MailboxJSON.object(["state": before.state.rawValue, "attempts": "\(before.attempts)"]),
                after: MailboxJSON.object(["state": "pending"]))
            var after = before
            for try await row in try await tx.query(
                """
                SELECT \(unescaped: Self.deliveryColumns) FROM app_deliveries o JOIN letters l ON l.id = o.letter_id WHERE o.id = \(id)
                """, logger: logger) { after = try Self.decodeDelivery(row) }
            return after
        }
    }

    // MARK: disclosure

    /// What may be published: released, the writer consented, not a 举报, not withheld.
    static let publishable = """
        l.status = 'closed' AND l.publish_consent AND l.category <> 'report' AND NOT l.withheld AND l.reply IS NOT NULL
        """
    static let publicColumns = """
        l.id, l.tracking_no, l.category, l.title, l.body, l.reply, l.department_id, d.name, l.received_at, l.closed_at, l.writer_name,
        l.address, l.town
        """

    static func decodePublic(_ row: PostgresRow) throws -> PublicReplyRecord {
        let (id, tracking, category, title, body, reply, deptID, dept, received, closed, writer, address, town) =
            try row.decode((Int64, String, String, String, String, String, String?, String?, Date, Date, String, String?, String?).self)
        return PublicReplyRecord(id: id, trackingNo: tracking, category: LetterCategory(rawValue: category) ?? .consultation,
                                 title: title, body: body, reply: reply, departmentID: deptID, departmentName: dept, receivedAt: received,
                                 closedAt: closed, writerName: writer, address: address, town: town)
    }

    public func publicReplies(_ q: PublicReplyQuery) async throws -> [PublicReplyRecord] {
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.publicColumns) FROM letters l LEFT JOIN departments d ON d.id = l.department_id
            WHERE \(unescaped: Self.publishable)
              AND (\(q.category?.rawValue)::text IS NULL OR l.category = \(q.category?.rawValue))
              AND (\(q.departmentID)::text IS NULL OR l.department_id = \(q.departmentID))
              AND (\(q.releasedFrom)::timestamptz IS NULL OR l.closed_at >= \(q.releasedFrom))
              AND (\(q.releasedBefore)::timestamptz IS NULL OR l.closed_at < \(q.releasedBefore))
              AND (\(q.afterID)::int8 IS NULL
                   OR (l.closed_at, l.id) < (SELECT c.closed_at, c.id FROM letters c WHERE c.id = \(q.afterID)))
            ORDER BY l.closed_at DESC, l.id DESC LIMIT \(Int32(q.limit))
            """, logger: logger)
        var result: [PublicReplyRecord] = []
        for try await row in rows { result.append(try Self.decodePublic(row)) }
        return result
    }

    public func publicReply(trackingNo: String) async throws -> PublicReplyRecord? {
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.publicColumns) FROM letters l LEFT JOIN departments d ON d.id = l.department_id
            WHERE l.tracking_no = \(trackingNo) AND \(unescaped: Self.publishable)
            """, logger: logger)
        for try await row in rows { return try Self.decodePublic(row) }
        return nil
    }
}
