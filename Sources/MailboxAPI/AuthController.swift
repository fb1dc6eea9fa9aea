import Foundation
import HTTPTypes
import Hummingbird
import MailboxCore
import MailboxStore

/// Staff sign-in: `POST /v1/auth/login` gives a bearer token, `POST /v1/auth/logout` revokes it.
/// Unknown usernames and wrong passwords get the same 401; repeated failures per username or
/// per client address are throttled (429 with Retry-After), counted in PostgreSQL so that every
/// instance sees the same count.
struct AuthController<Letters: LetterStore, Calendars: CalendarRepository, Staff: StaffStore> {
    let mailbox: Mailbox<Letters, Calendars, Staff>

    struct LoginBody: Decodable {
        var username: String?
        var password: String?
    }

    struct LoginResult: Encodable {
        var token: String
        var expiresAt: Date
        var username: String
        var role: StaffRole
        var departmentId: String?
    }

    struct Me: Encodable {
        var username: String
        var role: StaffRole
        var departmentId: String?
        var permissions: [String]
    }

    func addRoutes(to router: Router<AppRequestContext>, staffRoutes: StaffRoutes) {
        router.post("/v1/auth/login", use: login)
        router.post("/v1/auth/logout", use: logout)
        router.get("/v1/auth/me") { _, context in
            guard let who = context.identity else { throw Problem.signInRequired }
            return try jsonResponse(Me(username: who.username, role: who.role, departmentId: who.departmentID,
                                       permissions: StaffPermission.allCases.filter { $0.isGranted(to: who.role) }.map(\.rawValue)))
        }
    }

    @Sendable func login(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await decodeBody(LoginBody.self, request)
        let result = try await Self.signIn(mailbox: mailbox, username: body.username, password: body.password, request: request, context: context)
        return try jsonResponse(result, headers: [.cacheControl: "no-store"])
    }

    /// Checks a username and password under the failure limits and opens a session: the JSON
    /// sign-in and the dashboard's form (DashboardController) both come through here.
    /// Throws 422 (missing fields), 429 (throttled) or 401 (unknown account, wrong password, disabled).
    static func signIn(mailbox: Mailbox<Letters, Calendars, Staff>, username rawUsername: String?, password: String?,
                       request: Request, context: AppRequestContext) async throws -> LoginResult {
        var v = FieldValidator()
        let username = v.text(rawUsername, "username", limit: 64)?.lowercased()
        if password == nil || password!.isEmpty || password!.count > 200 { v.fail("password", "is required (at most 200 characters)") }
        try v.finish()
        let settings = mailbox.config.auth
        let now = Date()
        let window = Double(settings.failureWindow.components.seconds)
        let userKey = "user:" + username!
        let addressKey = "addr:" + clientAddress(request, context, trustProxy: mailbox.config.publicLimits.trustProxy)
        let failures = try await mailbox.staff.loginFailures(keys: [userKey, addressKey], since: now.addingTimeInterval(-window))
        for (key, limit) in [(userKey, settings.maxFailuresPerUser), (addressKey, settings.maxFailuresPerAddress)] {
            if let f = failures[key], f.count >= limit {
                let retry = max(1, Int((f.oldest.addingTimeInterval(window).timeIntervalSince(now)).rounded(.up)))
                context.logger.notice("login throttled", metadata: ["key_kind": "\(key.hasPrefix("user:") ? "username" : "address")"])
                var p = Problem(.tooManyRequests, type: "login-throttled", title: "Too many failed sign-ins",
                                detail: "Too many failed sign-ins for this account or address; try again in \(retry) s.")
                p.headers[.retryAfter] = "\(retry)"
                throw p
            }
        }
        let found = try await mailbox.staff.credentials(username: username!)
        // Verify against a dummy hash for unknown accounts: the same work, the same answer.
        let valid = try await StaffCredentials.verify(password!, hash: found?.1 ?? StaffCredentials.dummyHash)
        guard valid, let (account, _) = found, !account.disabled else {
            try await mailbox.staff.recordLoginFailure(keys: [userKey, addressKey], at: now)
            throw Problem.unauthorized("Unknown username or wrong password (or the account is disabled).")
        }
        try await mailbox.staff.clearLoginFailures(key: userKey)
        let token = StaffCredentials.newToken()
        let expires = now.addingTimeInterval(Double(settings.sessionLifetime.components.seconds))
        try await mailbox.staff.createSession(userID: account.id, tokenHash: StaffCredentials.tokenHash(token), expiresAt: expires)
        context.logger.info("staff signed in", metadata: ["user": "\(account.username)", "role": "\(account.role.rawValue)"])
        return LoginResult(token: token, expiresAt: expires, username: account.username, role: account.role,
                           departmentId: account.departmentID)
    }

    @Sendable func logout(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard context.identity != nil, let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw Problem.signInRequired
        }
        let token = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        try await mailbox.staff.revokeSession(tokenHash: StaffCredentials.tokenHash(token))
        mailbox.sessions.forget(StaffCredentials.tokenHash(token))
        return Response(status: .noContent)
    }
}
