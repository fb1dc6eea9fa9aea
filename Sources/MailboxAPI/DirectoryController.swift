import Foundation
import HTTPTypes
import Hummingbird
import MailboxCore
import MailboxStore

/// Departments, staff accounts, routing rules and the audit records. Admins change them;
/// every change is written to `admin_changes` by the store in the same transaction.
struct DirectoryController<Letters: LetterStore, Calendars: CalendarRepository, Staff: StaffStore> {
    let mailbox: Mailbox<Letters, Calendars, Staff>

    struct DepartmentBody: Decodable {
        var id: String?
        var name: String?
        var kind: String?
        var parentId: String?
        var active: Bool?
        enum CodingKeys: String, CodingKey { case id, name, kind, parentId = "parent_id", active }
    }

    struct DepartmentView: Encodable {
        var id: String
        var name: String
        var kind: String
        var parentId: String?
        var active: Bool
        init(_ d: Department) {
            id = d.id
            name = d.name
            kind = d.kind.rawValue
            parentId = d.parentID
            active = d.active
        }
    }

    struct AccountBody: Decodable {
        var username: String?
        var displayName: String?
        var role: String?
        var departmentId: String?
        var password: String?
        var disabled: Bool?
        enum CodingKeys: String, CodingKey {
            case username, displayName = "display_name", role, departmentId = "department_id", password, disabled
        }
    }

    struct AccountView: Encodable {
        var username: String
        var displayName: String?
        var role: StaffRole
        var departmentId: String?
        var disabled: Bool
        var createdAt: Date
        /// Only when the server generated the password: shown once.
        var password: String?
        init(_ a: StaffAccount, password: String? = nil) {
            username = a.username
            displayName = a.displayName
            role = a.role
            departmentId = a.departmentID
            disabled = a.disabled
            createdAt = a.createdAt
            self.password = password
        }
    }

    struct RuleBody: Decodable {
        var priority: Int?
        var category: String?
        var keywords: [String]?
        var town: String?
        var departmentId: String?
        var enabled: Bool?
        var note: String?
        enum CodingKeys: String, CodingKey {
            case priority, category, keywords, town, departmentId = "department_id", enabled, note
        }
    }

    struct ReadView: Encodable {
        var id: Int64
        var readAt: Date
        var username: String
        var role: String
        var trackingNo: String
        var purpose: String
    }

    struct ChangeView: Encodable {
        var id: Int64
        var changedAt: Date
        var actor: String
        var entity: String
        var entityId: String
        var action: String
        var before: String?
        var after: String?
    }

    struct Page<Item: Encodable>: Encodable {
        var items: [Item]
        var nextCursor: String?
    }

    func addRoutes(to routes: StaffRoutes) {
        routes.on(.get, "/v1/departments", .readDepartments) { _, _ in
            try jsonResponse(["items": try await mailbox.staff.departments().map(DepartmentView.init)])
        }
        routes.on(.post, "/v1/departments", .manageDepartments, use: createDepartment)
        routes.on(.put, "/v1/departments/:id", .manageDepartments, use: updateDepartment)

        routes.on(.get, "/v1/users", .manageAccounts) { _, _ in
            try jsonResponse(["items": try await mailbox.staff.accounts().map { AccountView($0) }])
        }
        routes.on(.post, "/v1/users", .manageAccounts, use: createAccount)
        routes.on(.patch, "/v1/users/:username", .manageAccounts, use: updateAccount)

        routes.on(.get, "/v1/routing-rules", .readRoutingRules) { _, _ in
            try jsonResponse(["items": try await mailbox.staff.routingRules()])
        }
        routes.on(.post, "/v1/routing-rules", .manageRoutingRules, use: createRule)
        routes.on(.put, "/v1/routing-rules/:id", .manageRoutingRules, use: updateRule)
        routes.on(.delete, "/v1/routing-rules/:id", .manageRoutingRules) { _, context in
            try await mailbox.staff.deleteRoutingRule(id: try ruleID(context), actor: context.identity!.actor)
            try await mailbox.refreshRoutingIfStale()
            return Response(status: .noContent)
        }

        routes.on(.get, "/v1/audit/personal-data-reads", .readAuditRecords, use: personalDataReads)
        routes.on(.get, "/v1/audit/admin-changes", .readAuditRecords, use: adminChanges)
    }

    // MARK: departments

    func department(_ body: DepartmentBody, id: String?) throws -> Department {
        var v = FieldValidator()
        let id = id ?? body.id
        if let id {
            if id.wholeMatch(of: /[a-z0-9][a-z0-9_-]{0,63}/) == nil { v.fail("id", "must be 1–64 of a–z 0–9 _ - (starting with a letter or digit)") }
        } else {
            v.fail("id", "is required")
        }
        let name = v.text(body.name, "name", limit: 50)
        let kind = v.enumValue(body.kind, "kind", as: Department.Kind.self)
        if let p = body.parentId, p == id { v.fail("parent_id", "must not be the department itself") }
        try v.finish()
        return Department(id: id!, name: name!, kind: kind!, parentID: body.parentId, active: body.active ?? true)
    }

    @Sendable func createDepartment(_ request: Request, context: AppRequestContext) async throws -> Response {
        let d = try department(try await decodeBody(DepartmentBody.self, request), id: nil)
        let created = try await mailbox.staff.createDepartment(d, actor: context.identity!.actor)
        return try jsonResponse(DepartmentView(created), status: .created, headers: [.location: "/v1/departments/\(created.id)"])
    }

    @Sendable func updateDepartment(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let d = try department(try await decodeBody(DepartmentBody.self, request), id: id)
        return try jsonResponse(DepartmentView(try await mailbox.staff.updateDepartment(d, actor: context.identity!.actor)))
    }

    // MARK: accounts

    @Sendable func createAccount(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await decodeBody(AccountBody.self, request)
        var v = FieldValidator()
        let username = v.text(body.username, "username", limit: 64)
        if let u = username, u.wholeMatch(of: /[a-z0-9][a-z0-9._-]{1,63}/) == nil {
            v.fail("username", "must be 2–64 of a–z 0–9 . _ - (lower case)")
        }
        let role = v.enumValue(body.role, "role", as: StaffRole.self)
        Self.checkDepartment(role: role, departmentID: body.departmentId, &v)
        if body.password != nil { StaffCredentials.validatePassword(body.password, &v) }
        if let n = body.displayName, n.count > 50 { v.fail("display_name", "at most 50 characters") }
        try v.finish()
        let generated = body.password == nil ? StaffCredentials.generatePassword() : nil
        let hash = try await StaffCredentials.hash(body.password ?? generated!, cost: mailbox.config.auth.bcryptCost)
        let account = try await mailbox.staff.createAccount(
            username: username!, displayName: body.displayName, role: role!, departmentID: body.departmentId,
            passwordHash: hash, actor: context.identity!.actor)
        return try jsonResponse(AccountView(account, password: generated), status: .created,
                                headers: [.location: "/v1/users/\(account.username)", .cacheControl: "no-store"])
    }

    static func checkDepartment(role: StaffRole?, departmentID: String?, _ v: inout FieldValidator) {
        guard let role else { return }
        if role.belongsToDepartment, departmentID == nil { v.fail("department_id", "is required for a \(role.rawValue)") }
        if !role.belongsToDepartment, departmentID != nil { v.fail("department_id", "is only for handlers and leads") }
    }

    @Sendable func updateAccount(_ request: Request, context: AppRequestContext) async throws -> Response {
        let username = try context.parameters.require("username")
        let body = try await decodeBody(AccountBody.self, request)
        guard let current = try await mailbox.staff.account(username: username) else {
            throw Problem(.notFound, type: "not-found", title: "Not found", detail: "No account \(username.prefix(64)).")
        }
        var v = FieldValidator()
        if body.username != nil && body.username != username { v.fail("username", "cannot be changed") }
        let role = body.role.map { _ in v.enumValue(body.role, "role", as: StaffRole.self) } ?? current.role
        let department = body.departmentId ?? (role?.belongsToDepartment == true ? current.departmentID : nil)
        Self.checkDepartment(role: role, departmentID: department, &v)
        if body.password != nil { StaffCredentials.validatePassword(body.password, &v) }
        if let n = body.displayName, n.count > 50 { v.fail("display_name", "at most 50 characters") }
        if username == context.identity!.username, body.disabled == true || (role != nil && role != .admin) {
            v.fail(body.disabled == true ? "disabled" : "role", "an admin cannot disable or demote their own account")
        }
        try v.finish()
        let hash = try await body.password.asyncMap { try await StaffCredentials.hash($0, cost: mailbox.config.auth.bcryptCost) }
        let updated = try await mailbox.staff.updateAccount(
            username: username,
            AccountChange(role: role, departmentID: .some(department), displayName: body.displayName, disabled: body.disabled,
                          passwordHash: hash),
            actor: context.identity!.actor)
        mailbox.sessions.forgetAll()
        return try jsonResponse(AccountView(updated))
    }

    // MARK: routing rules

    func ruleID(_ context: AppRequestContext) throws -> Int64 {
        guard let id = Int64(try context.parameters.require("id")), id > 0 else {
            throw Problem(.notFound, type: "not-found", title: "Not found", detail: "No such routing rule.")
        }
        return id
    }

    func rule(_ request: Request) async throws -> RoutingRule {
        let b = try await decodeBody(RuleBody.self, request)
        var r = try RoutingRule.validate(priority: b.priority, category: b.category, keywords: b.keywords, town: b.town,
                                         departmentID: b.departmentId, note: b.note)
        r.enabled = b.enabled ?? true
        guard try await mailbox.letters.activeDepartmentIDs().contains(r.departmentID) else {
            throw Problem.validation([FieldError(field: "department_id", message: "unknown or inactive department \(r.departmentID)")])
        }
        return r
    }

    @Sendable func createRule(_ request: Request, context: AppRequestContext) async throws -> Response {
        let created = try await mailbox.staff.createRoutingRule(try await rule(request), actor: context.identity!.actor)
        try await mailbox.refreshRoutingIfStale()
        return try jsonResponse(created, status: .created, headers: [.location: "/v1/routing-rules/\(created.id)"])
    }

    @Sendable func updateRule(_ request: Request, context: AppRequestContext) async throws -> Response {
        var r = try await rule(request)
        r.id = try ruleID(context)
        let updated = try await mailbox.staff.updateRoutingRule(r, actor: context.identity!.actor)
        try await mailbox.refreshRoutingIfStale()
        return try jsonResponse(updated)
    }

    // MARK: audit

    static func pageParameters(_ p: Hummingbird.Parameters, allowed: Set<String>) throws -> (limit: Int, before: Int64?) {
        var v = FieldValidator()
        for (key, _) in p where !allowed.contains(String(key)) { v.fail(String(key), "is not a parameter of this list") }
        var limit = 50
        if let l = p.get("limit") {
            if let n = Int(l), (1...500).contains(n) { limit = n } else { v.fail("limit", "must be 1–500") }
        }
        var before: Int64?
        if let c = p.get("cursor") {
            if let n = Int64(c), n > 0 { before = n } else { v.fail("cursor", "is not a cursor of this list") }
        }
        try v.finish()
        return (limit, before)
    }

    @Sendable func personalDataReads(_ request: Request, context: AppRequestContext) async throws -> Response {
        let p = request.uri.queryParameters
        let (limit, before) = try Self.pageParameters(p, allowed: ["letter", "user", "limit", "cursor"])
        let reads = try await mailbox.staff.personalDataReads(trackingNo: p.get("letter"), username: p.get("user"),
                                                              limit: limit, beforeID: before)
        let items = reads.map { ReadView(id: $0.id, readAt: $0.readAt, username: $0.username, role: $0.role, trackingNo: $0.trackingNo, purpose: $0.purpose) }
        return try jsonResponse(Page(items: items, nextCursor: items.count == limit ? items.last.map { "\($0.id)" } : nil))
    }

    @Sendable func adminChanges(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (limit, before) = try Self.pageParameters(request.uri.queryParameters, allowed: ["limit", "cursor"])
        let changes = try await mailbox.staff.adminChanges(limit: limit, beforeID: before)
        let items = changes.map {
            ChangeView(id: $0.id, changedAt: $0.changedAt, actor: $0.actor, entity: $0.entity, entityId: $0.entityID,
                       action: $0.action, before: $0.beforeJSON, after: $0.afterJSON)
        }
        return try jsonResponse(Page(items: items, nextCursor: items.count == limit ? items.last.map { "\($0.id)" } : nil))
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
