public import Foundation
public import MailboxCore

/// 委办局 or 镇街.
public struct Department: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable { case bureau, town }
    public var id: String
    public var name: String
    public var kind: Kind
    public var parentID: String?
    public var active: Bool

    public init(id: String, name: String, kind: Kind, parentID: String? = nil, active: Bool = true) {
        self.id = id
        self.name = name
        self.kind = kind
        self.parentID = parentID
        self.active = active
    }
}

/// A staff account as admins see it (never its password hash).
public struct StaffAccount: Sendable, Hashable {
    public var id: Int64
    public var username: String
    public var displayName: String?
    public var role: StaffRole
    public var departmentID: String?
    public var disabled: Bool
    public var createdAt: Date

    public var identity: StaffIdentity {
        StaffIdentity(userID: id, username: username, role: role, departmentID: departmentID)
    }
}

/// A change to an account, a department or a routing rule, as recorded for auditors.
public struct AdminChange: Sendable, Hashable {
    public var id: Int64
    public var changedAt: Date
    public var actor: String
    public var entity: String
    public var entityID: String
    public var action: String
    public var beforeJSON: String?
    public var afterJSON: String?
}

/// 个人信息查阅记录: one read of a letter's unmasked personal data.
public struct PersonalDataRead: Sendable, Hashable {
    public var id: Int64
    public var readAt: Date
    public var username: String
    public var role: String
    public var trackingNo: String
    public var purpose: String
}

/// Changes to an account; nil fields stay as they are.
public struct AccountChange: Sendable {
    public var role: StaffRole?
    /// `.some(nil)` removes the department.
    public var departmentID: String??
    public var displayName: String?
    public var disabled: Bool?
    public var passwordHash: String?

    public init(role: StaffRole? = nil, departmentID: String?? = nil, displayName: String? = nil, disabled: Bool? = nil,
                passwordHash: String? = nil) {
        self.role = role
        self.departmentID = departmentID
        self.displayName = displayName
        self.disabled = disabled
        self.passwordHash = passwordHash
    }
}

/// Persistence of staff accounts, sessions, departments, routing rules and the audit records.
public protocol StaffStore: Sendable {
    func createAccount(username: String, displayName: String?, role: StaffRole, departmentID: String?,
                       passwordHash: String, actor: String) async throws -> StaffAccount
    func accounts() async throws -> [StaffAccount]
    func account(username: String) async throws -> StaffAccount?
    func updateAccount(username: String, _ change: AccountChange, actor: String) async throws -> StaffAccount
    /// The account and its password hash, for a login.
    func credentials(username: String) async throws -> (StaffAccount, String)?

    func createSession(userID: Int64, tokenHash: [UInt8], expiresAt: Date) async throws
    /// The identity behind a live session: not expired, not revoked, account not disabled.
    func identity(tokenHash: [UInt8], now: Date) async throws -> StaffIdentity?
    func revokeSession(tokenHash: [UInt8]) async throws

    /// Failed logins per key since `since`: how many and the oldest one.
    func loginFailures(keys: [String], since: Date) async throws -> [String: (count: Int, oldest: Date)]
    func recordLoginFailure(keys: [String], at: Date) async throws
    func clearLoginFailures(key: String) async throws

    func departments() async throws -> [Department]
    func createDepartment(_ d: Department, actor: String) async throws -> Department
    func updateDepartment(_ d: Department, actor: String) async throws -> Department

    func routingRules() async throws -> [RoutingRule]
    /// Bumped by every rule change (instances reload their cached rules when it moves).
    func routingRulesVersion() async throws -> Int64
    func createRoutingRule(_ r: RoutingRule, actor: String) async throws -> RoutingRule
    func updateRoutingRule(_ r: RoutingRule, actor: String) async throws -> RoutingRule
    func deleteRoutingRule(id: Int64, actor: String) async throws

    func adminChanges(limit: Int, beforeID: Int64?) async throws -> [AdminChange]
    func personalDataReads(trackingNo: String?, username: String?, limit: Int, beforeID: Int64?) async throws -> [PersonalDataRead]
}
