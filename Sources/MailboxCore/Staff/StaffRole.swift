/// 角色: what a staff account may do. Rights are granted to roles here, once (docs/workflow.md).
public enum StaffRole: String, Sendable, Codable, CaseIterable, Hashable {
    /// 信箱中心调度员: the mailbox centre accepts, rejects, routes, transfers, supervises and
    /// gives the final approval of extensions.
    case dispatcher
    /// 承办人: department staff who work the letters of their department.
    case handler
    /// 部门负责人: department head; first approval of its department's extensions.
    case lead
    /// 管理员: accounts, departments, routing rules, calendar and policies; reads no letters.
    case admin
    /// 审计员: read-only everywhere, personal data masked; reads the access records.
    case auditor

    /// Handlers and leads belong to a department; the other roles do not.
    public var belongsToDepartment: Bool { self == .handler || self == .lead }
}

/// Who is acting: the account behind a bearer token.
public struct StaffIdentity: Sendable, Hashable, Codable {
    public var userID: Int64
    public var username: String
    public var role: StaffRole
    public var departmentID: String?

    public init(userID: Int64, username: String, role: StaffRole, departmentID: String?) {
        self.userID = userID
        self.username = username
        self.role = role
        self.departmentID = departmentID
    }

    /// How the account appears in a letter's history.
    public var actor: String { "user:\(username)" }
}

/// A right, declared once with the roles that hold it (as Request Tracker declares rights).
/// Every endpoint names one; the router refuses the others with 403 before the handler runs.
public enum StaffPermission: String, Sendable, CaseIterable, Hashable {
    /// Read letters (each letter further scoped and masked by `AccessPolicy`).
    case readLetters = "read-letters"
    /// Act on letters (each action further checked by `LetterWorkflow`).
    case actOnLetters = "act-on-letters"
    /// Route several letters in one call.
    case routeLetters = "route-letters"
    /// 代录: type in a letter on a caller's behalf.
    case typeInLetters = "type-in-letters"
    case readDepartments = "read-departments"
    case manageDepartments = "manage-departments"
    case readRoutingRules = "read-routing-rules"
    case manageRoutingRules = "manage-routing-rules"
    case manageAccounts = "manage-accounts"
    case manageCalendar = "manage-calendar"
    case importLetters = "import-letters"
    /// 个人信息查阅记录 and the admin change log.
    case readAuditRecords = "read-audit-records"
    /// 错敏字 check of any text.
    case checkText = "check-text"
    /// Read the 错敏字 lists and the reply review steps.
    case readReplySettings = "read-reply-settings"
    /// Change the 错敏字 lists and the reply review steps.
    case manageReplySettings = "manage-reply-settings"
    /// See the app's notification deliveries and redeliver them.
    case manageDeliveries = "manage-deliveries"
    /// SLA reports and the quarterly summary (a lead: its own department's).
    case readReports = "read-reports"

    public var roles: Set<StaffRole> {
        switch self {
        case .readLetters: [.dispatcher, .handler, .lead, .auditor]
        case .actOnLetters: [.dispatcher, .handler, .lead]
        case .routeLetters, .typeInLetters: [.dispatcher]
        case .readDepartments: Set(StaffRole.allCases)
        case .readRoutingRules: [.dispatcher, .admin, .auditor]
        case .manageDepartments, .manageRoutingRules, .manageAccounts, .manageCalendar, .importLetters: [.admin]
        case .readAuditRecords: [.auditor]
        case .checkText: [.dispatcher, .handler, .lead, .admin]
        case .readReplySettings: Set(StaffRole.allCases)
        case .manageReplySettings, .manageDeliveries: [.admin]
        case .readReports: [.dispatcher, .lead, .auditor, .admin]
        }
    }

    public var summary: String {
        switch self {
        case .readLetters: "read letters in scope"
        case .actOnLetters: "act on letters (accept, route, sign, draft and approve replies, …)"
        case .routeLetters: "route several letters in one call"
        case .typeInLetters: "type in a letter for a caller (代录)"
        case .readDepartments: "list departments"
        case .manageDepartments: "create and change departments"
        case .readRoutingRules: "list routing rules"
        case .manageRoutingRules: "create, change and delete routing rules"
        case .manageAccounts: "create, change and disable staff accounts"
        case .manageCalendar: "change the calendar, business hours and SLA policies"
        case .importLetters: "import letters from the previous system"
        case .readAuditRecords: "read personal-data access records and the admin change log"
        case .checkText: "check a text for 错敏字"
        case .readReplySettings: "read the 错敏字 lists and reply review steps"
        case .manageReplySettings: "change the 错敏字 lists and reply review steps"
        case .manageDeliveries: "see and redeliver the app's notifications"
        case .readReports: "read SLA reports and the quarterly summary"
        }
    }

    public func isGranted(to role: StaffRole) -> Bool { roles.contains(role) }
}
