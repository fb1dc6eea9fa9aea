public import Foundation
public import Logging
public import MailboxCore
public import PostgresNIO

/// StaffStore on PostgreSQL. Every admin change writes its `admin_changes` row in the same
/// transaction as the change.
public struct PostgresStaffStore: StaffStore {
    public let client: PostgresClient
    public let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    static let accountColumns = "id, username, display_name, role, department_id, disabled, created_at"

    static func decodeAccount(_ row: PostgresRow) throws -> StaffAccount {
        let (id, username, display, role, dept, disabled, created) =
            try row.decode((Int64, String, String?, String, String?, Bool, Date).self)
        return StaffAccount(id: id, username: username, displayName: display, role: StaffRole(rawValue: role)!,
                            departmentID: dept, disabled: disabled, createdAt: created)
    }

    /// Runs `body` in a transaction, mapping constraint violations to domain errors.
    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await Self.transaction(client, logger, body)
    }

    /// The admin stores' transaction: constraint violations come out as domain errors.
    static func transaction<T: Sendable>(_ client: PostgresClient, _ logger: Logger,
                                         _ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger) { try await body($0) }
        } catch {
            throw domainError(error)
        }
    }

    static func domainError(_ error: any Error) -> any Error {
        let inner = StoreError.unwrap(error)
        switch StoreError.sqlState(inner) {
        case "23505": return StoreError.conflict(StoreError.describe(inner))
        case "23503": return StoreError.unknownReference(field: "department_id", message: StoreError.describe(inner))
        case "23514": return StoreError.conflict("the change breaks a rule: " + StoreError.describe(inner))
        default: return inner
        }
    }

    static func audit(_ tx: PostgresConnection, logger: Logger, actor: String, entity: String, id: String, action: String,
                      before: String?, after: String?) async throws {
        try await tx.query(
            """
            INSERT INTO admin_changes (actor, entity, entity_id, action, before, after)
            VALUES (\(actor), \(entity), \(id), \(action), \(before)::jsonb, \(after)::jsonb)
            """, logger: logger)
    }

    static func accountJSON(_ a: StaffAccount) -> String {
        var f = ["username": a.username, "role": a.role.rawValue, "disabled": "\(a.disabled)"]
        if let d = a.departmentID { f["department_id"] = d }
        if let n = a.displayName { f["display_name"] = n }
        return MailboxJSON.object(f)
    }

    // MARK: accounts

    public func createAccount(username: String, displayName: String?, role: StaffRole, departmentID: String?,
                              passwordHash: String, actor: String) async throws -> StaffAccount {
        try await transaction { tx in
            let rows = try await tx.query(
                """
                INSERT INTO staff_users (username, display_name, role, department_id, password_hash)
                VALUES (\(username), \(displayName), \(role.rawValue), \(departmentID), \(passwordHash))
                RETURNING \(unescaped: Self.accountColumns)
                """, logger: logger)
            var account: StaffAccount?
            for try await row in rows { account = try Self.decodeAccount(row) }
            try await Self.audit(tx, logger: logger, actor: actor, entity: "account", id: username, action: "create",
                                 before: nil, after: Self.accountJSON(account!))
            return account!
        }
    }

    public func accounts() async throws -> [StaffAccount] {
        var result: [StaffAccount] = []
        for try await row in try await client.query("SELECT \(unescaped: Self.accountColumns) FROM staff_users ORDER BY username", logger: logger) {
            result.append(try Self.decodeAccount(row))
        }
        return result
    }

    public func account(username: String) async throws -> StaffAccount? {
        for try await row in try await client.query(
            "SELECT \(unescaped: Self.accountColumns) FROM staff_users WHERE username = \(username)", logger: logger)
        {
            return try Self.decodeAccount(row)
        }
        return nil
    }

    public func updateAccount(username: String, _ change: AccountChange, actor: String) async throws -> StaffAccount {
        try await transaction { tx in
            var before: StaffAccount?
            for try await row in try await tx.query(
                "SELECT \(unescaped: Self.accountColumns) FROM staff_users WHERE username = \(username) FOR UPDATE", logger: logger)
            {
                before = try Self.decodeAccount(row)
            }
            guard let before else { throw StoreError.notFound }
            let setDepartment = change.departmentID != nil
            let department: String? = change.departmentID ?? nil
            let rows = try await tx.query(
                """
                UPDATE staff_users SET role = coalesce(\(change.role?.rawValue), role),
                    department_id = CASE WHEN \(setDepartment) THEN \(department) ELSE department_id END,
                    display_name = coalesce(\(change.displayName), display_name),
                    disabled = coalesce(\(change.disabled), disabled),
                    password_hash = coalesce(\(change.passwordHash), password_hash), updated_at = now()
                WHERE username = \(username)
                RETURNING \(unescaped: Self.accountColumns)
                """, logger: logger)
            var after: StaffAccount?
            for try await row in rows { after = try Self.decodeAccount(row) }
            // A disabled account's sessions end with it; so do those of a changed role or department.
            if after!.disabled || after!.role != before.role || after!.departmentID != before.departmentID
                || change.passwordHash != nil
            {
                try await tx.query("UPDATE staff_sessions SET revoked_at = now() WHERE user_id = \(before.id) AND revoked_at IS NULL",
                                   logger: logger)
            }
            var afterJSON = Self.accountJSON(after!)
            if change.passwordHash != nil { afterJSON = String(afterJSON.dropLast()) + ",\"password\":\"changed\"}" }
            try await Self.audit(tx, logger: logger, actor: actor, entity: "account", id: username, action: "update",
                                 before: Self.accountJSON(before), after: afterJSON)
            return after!
        }
    }

    public func credentials(username: String) async throws -> (StaffAccount, String)? {
        for try await row in try await client.query(
            "SELECT \(unescaped: Self.accountColumns), password_hash FROM staff_users WHERE username = \(username)", logger: logger)
        {
            let account = try Self.decodeAccount(row)
            let hash = try row.makeRandomAccess()["password_hash"].decode(String.self)
            return (account, hash)
        }
        return nil
    }

    // MARK: sessions

    public func createSession(userID: Int64, tokenHash: [UInt8], expiresAt: Date) async throws {
        try await client.query(
            "INSERT INTO staff_sessions (token_hash, user_id, expires_at) VALUES (\(ByteBuffer(bytes: tokenHash)), \(userID), \(expiresAt))",
            logger: logger)
    }

    public func identity(tokenHash: [UInt8], now: Date) async throws -> StaffIdentity? {
        for try await (id, username, role, dept) in try await client.execute(
            SessionLookup(tokenHash: ByteBuffer(bytes: tokenHash), now: now), logger: logger)
        {
            return StaffIdentity(userID: id, username: username, role: StaffRole(rawValue: role)!, departmentID: dept)
        }
        return nil
    }

    public func revokeSession(tokenHash: [UInt8]) async throws {
        try await client.query(
            "UPDATE staff_sessions SET revoked_at = now() WHERE token_hash = \(ByteBuffer(bytes: tokenHash)) AND revoked_at IS NULL",
            logger: logger)
    }

    // MARK: login throttling

    public func loginFailures(keys: [String], since: Date) async throws -> [String: (count: Int, oldest: Date)] {
        var result: [String: (count: Int, oldest: Date)] = [:]
        let rows = try await client.query(
            """
            SELECT key, count(*)::int8, min(failed_at) FROM login_failures
            WHERE key = ANY(\(keys)) AND failed_at > \(since) GROUP BY key
            """, logger: logger)
        for try await (key, n, oldest) in rows.decode((String, Int64, Date).self) { result[key] = (Int(n), oldest) }
        return result
    }

    public func recordLoginFailure(keys: [String], at: Date) async throws {
        try await client.query(
            "INSERT INTO login_failures (key, failed_at) SELECT k, \(at) FROM unnest(\(keys)::text[]) AS k", logger: logger)
        // Old rows serve no window: keep the table small.
        try await client.query("DELETE FROM login_failures WHERE failed_at < \(at) - interval '1 day'", logger: logger)
    }

    public func clearLoginFailures(key: String) async throws {
        try await client.query("DELETE FROM login_failures WHERE key = \(key)", logger: logger)
    }

    // MARK: departments

    static func decodeDepartment(_ row: PostgresRow) throws -> Department {
        let (id, name, kind, parent, active) = try row.decode((String, String, String, String?, Bool).self)
        return Department(id: id, name: name, kind: Department.Kind(rawValue: kind) ?? .bureau, parentID: parent, active: active)
    }

    static func departmentJSON(_ d: Department) -> String {
        var f = ["id": d.id, "name": d.name, "kind": d.kind.rawValue, "active": "\(d.active)"]
        if let p = d.parentID { f["parent_id"] = p }
        return MailboxJSON.object(f)
    }

    public func departments() async throws -> [Department] {
        var result: [Department] = []
        for try await row in try await client.query("SELECT id, name, kind, parent_id, active FROM departments ORDER BY kind, id", logger: logger) {
            result.append(try Self.decodeDepartment(row))
        }
        return result
    }

    public func createDepartment(_ d: Department, actor: String) async throws -> Department {
        try await Self.parentReference { try await createDepartmentRow(d, actor: actor) }
    }

    /// A department's only reference is its parent: name that field when it does not exist.
    static func parentReference<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch StoreError.unknownReference(let field, let message) where field == "department_id" {
            throw StoreError.unknownReference(field: "parent_id", message: message)
        }
    }

    func createDepartmentRow(_ d: Department, actor: String) async throws -> Department {
        try await transaction { tx in
            try await tx.query(
                "INSERT INTO departments (id, name, kind, parent_id, active) VALUES (\(d.id), \(d.name), \(d.kind.rawValue), \(d.parentID), \(d.active))",
                logger: logger)
            try await Self.audit(tx, logger: logger, actor: actor, entity: "department", id: d.id, action: "create",
                                 before: nil, after: Self.departmentJSON(d))
            return d
        }
    }

    public func updateDepartment(_ d: Department, actor: String) async throws -> Department {
        try await Self.parentReference { try await updateDepartmentRow(d, actor: actor) }
    }

    func updateDepartmentRow(_ d: Department, actor: String) async throws -> Department {
        try await transaction { tx in
            var before: Department?
            for try await row in try await tx.query(
                "SELECT id, name, kind, parent_id, active FROM departments WHERE id = \(d.id) FOR UPDATE", logger: logger)
            {
                before = try Self.decodeDepartment(row)
            }
            guard let before else { throw StoreError.notFound }
            if let parent = d.parentID {
                // No cycles: the new parent must not be the department or one of its descendants.
                let rows = try await tx.query(
                    """
                    WITH RECURSIVE up(id, parent_id) AS (
                        SELECT id, parent_id FROM departments WHERE id = \(parent)
                        UNION SELECT p.id, p.parent_id FROM departments p JOIN up ON p.id = up.parent_id)
                    SELECT count(*)::int8 FROM up WHERE id = \(d.id)
                    """, logger: logger)
                for try await n in rows.decode(Int64.self) where n > 0 {
                    throw StoreError.unknownReference(field: "parent_id", message: "would make \(d.id) its own ancestor")
                }
            }
            try await tx.query(
                "UPDATE departments SET name = \(d.name), kind = \(d.kind.rawValue), parent_id = \(d.parentID), active = \(d.active) WHERE id = \(d.id)",
                logger: logger)
            try await Self.audit(tx, logger: logger, actor: actor, entity: "department", id: d.id, action: "update",
                                 before: Self.departmentJSON(before), after: Self.departmentJSON(d))
            return d
        }
    }

    // MARK: routing rules

    static let ruleColumns = "id, priority, category, keywords, town, department_id, enabled, note"

    static func decodeRule(_ row: PostgresRow) throws -> RoutingRule {
        let (id, priority, category, keywords, town, dept, enabled, note) =
            try row.decode((Int64, Int32, String?, [String], String?, String, Bool, String?).self)
        return RoutingRule(id: id, priority: Int(priority), category: category.flatMap(LetterCategory.init(rawValue:)),
                           keywords: keywords, town: town, departmentID: dept, enabled: enabled, note: note)
    }

    static func ruleJSON(_ r: RoutingRule) -> String {
        String(decoding: (try? MailboxJSON.encoder().encode(r)) ?? Data("{}".utf8), as: UTF8.self)
    }

    public func routingRules() async throws -> [RoutingRule] {
        var result: [RoutingRule] = []
        for try await row in try await client.query(
            "SELECT \(unescaped: Self.ruleColumns) FROM routing_rules ORDER BY priority, id", logger: logger)
        {
            result.append(try Self.decodeRule(row))
        }
        return result
    }

    public func routingRulesVersion() async throws -> Int64 {
        for try await v in try await client.query(
            "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM routing_rules_version", logger: logger
        ).decode(Int64.self) { return v }
        return 0
    }

    public func createRoutingRule(_ r: RoutingRule, actor: String) async throws -> RoutingRule {
        try await transaction { tx in
            var created: RoutingRule?
            for try await row in try await tx.query(
                """
                INSERT INTO routing_rules (priority, category, keywords, town, department_id, enabled, note)
                VALUES (\(Int32(r.priority)), \(r.category?.rawValue), \(r.keywords), \(r.town), \(r.departmentID), \(r.enabled), \(r.note))
                RETURNING \(unescaped: Self.ruleColumns)
                """, logger: logger)
            {
                created = try Self.decodeRule(row)
            }
            try await tx.query("SELECT nextval('routing_rules_version')", logger: logger)
            try await Self.audit(tx, logger: logger, actor: actor, entity: "routing_rule", id: "\(created!.id)", action: "create",
                                 before: nil, after: Self.ruleJSON(created!))
            return created!
        }
    }

    public func updateRoutingRule(_ r: RoutingRule, actor: String) async throws -> RoutingRule {
        try await transaction { tx in
            var before: RoutingRule?
            for try await row in try await tx.query(
                "SELECT \(unescaped: Self.ruleColumns) FROM routing_rules WHERE id = \(r.id) FOR UPDATE", logger: logger)
            {
                before = try Self.decodeRule(row)
            }
            guard let before else { throw StoreError.notFound }
            try await tx.query(
                """
                UPDATE routing_rules SET priority = \(Int32(r.priority)), category = \(r.category?.rawValue), keywords = \(r.keywords),
                    town = \(r.town), department_id = \(r.departmentID), enabled = \(r.enabled), note = \(r.note), updated_at = now()
                WHERE id = \(r.id)
                """, logger: logger)
            try await tx.query("SELECT nextval('routing_rules_version')", logger: logger)
            try await Self.audit(tx, logger: logger, actor: actor, entity: "routing_rule", id: "\(r.id)", action: "update",
                                 before: Self.ruleJSON(before), after: Self.ruleJSON(r))
            return r
        }
    }

    public func deleteRoutingRule(id: Int64, actor: String) async throws {
        try await transaction { tx in
            var before: RoutingRule?
            for try await row in try await tx.query(
                "DELETE FROM routing_rules WHERE id = \(id) RETURNING \(unescaped: Self.ruleColumns)", logger: logger)
            {
                before = try Self.decodeRule(row)
            }
            guard let before else { throw StoreError.notFound }
            try await tx.query("SELECT nextval('routing_rules_version')", logger: logger)
            try await Self.audit(tx, logger: logger, actor: actor, entity: "routing_rule", id: "\(id)", action: "delete",
                                 before: Self.ruleJSON(before), after: nil)
        }
    }

    // MARK: audit records

    public func adminChanges(limit: Int, beforeID: Int64?) async throws -> [AdminChange] {
        var result: [AdminChange] = []
        let rows = try await client.query(
            """
            SELECT id, changed_at, actor, entity, entity_id, action, before::text, after::text FROM admin_changes
            WHERE id < \(beforeID ?? Int64.max) ORDER BY id DESC LIMIT \(Int64(limit))
            """, logger: logger)
        for try await (id, at, actor, entity, entityID, action, before, after) in rows.decode(
            (Int64, Date, String, String, String, String, String?, String?).self)
        {
            result.append(AdminChange(id: id, changedAt: at, actor: actor, entity: entity, entityID: entityID, action: action,
                                      beforeJSON: before, afterJSON: after))
        }
        return result
    }

    public func personalDataReads(trackingNo: String?, username: String?, limit: Int, beforeID: Int64?) async throws
        -> [PersonalDataRead]
    {
        var result: [PersonalDataRead] = []
        let rows = try await client.query(
            """
            SELECT id, read_at, username, role, tracking_no, purpose FROM personal_data_reads
            WHERE id < \(beforeID ?? Int64.max)
              AND (\(trackingNo)::text IS NULL OR tracking_no = \(trackingNo))
              AND (\(username)::text IS NULL OR username = \(username))
            ORDER BY id DESC LIMIT \(Int64(limit))
            """, logger: logger)
        for try await (id, at, user, role, tracking, purpose) in rows.decode((Int64, Date, String, String, String, String).self) {
            result.append(PersonalDataRead(id: id, readAt: at, username: user, role: role, trackingNo: tracking, purpose: purpose))
        }
        return result
    }
}

/// The per-request session lookup, prepared: every authenticated request runs it.
struct SessionLookup: PostgresPreparedStatement {
    typealias Row = (Int64, String, String, String?)
    static let sql = """
        SELECT u.id, u.username, u.role, u.department_id FROM staff_sessions s JOIN staff_users u ON u.id = s.user_id
        WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND NOT u.disabled
        """
    let tokenHash: ByteBuffer
    let now: Date

    func makeBindings() throws -> PostgresBindings {
        var b = PostgresBindings(capacity: 2)
        b.append(tokenHash)
        b.append(now)
        return b
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}
