import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import MailboxCore
import MailboxStore
import NIOCore

/// 统计看板: the staff dashboard at `/dashboard`, server-rendered HTML for browsers on the
/// intranet (no CDN, no JavaScript). Signed in with a cookie holding an ordinary session token
/// (the JSON API still takes bearer tokens only, so the cookie cannot be used against it).
///
/// CSRF: the sign-in form is a double-submit (a random value in an HttpOnly, SameSite=Strict
/// cookie must come back in the form); forms after sign-in carry HMAC-SHA256(session token,
/// "mailbox-dashboard-csrf"), which only the session's holder can compute. A POST without the
/// right token is refused with 403 problem+json.
struct DashboardController<Letters: LetterStore, Calendars: CalendarRepository, Staff: StaffStore> {
    let mailbox: Mailbox<Letters, Calendars, Staff>

    static var sessionCookie: String { "mailbox_session" }
    static var loginCookie: String { "mailbox_login_csrf" }
    /// Rows of each letter list (the work list API has the rest).
    static var listLimit: Int { 20 }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/dashboard", use: page)
        router.get("/dashboard/login", use: loginForm)
        router.post("/dashboard/login", use: login)
        router.post("/dashboard/logout", use: logout)
    }

    // MARK: CSRF

    /// The CSRF token of the forms shown to a signed-in session.
    static func csrfToken(sessionToken: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("mailbox-dashboard-csrf".utf8),
                                                  using: SymmetricKey(data: Data(sessionToken.utf8)))
        return Data(mac).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Constant-time equality of two tokens.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count, !x.isEmpty else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }

    static var csrfRefused: Problem {
        Problem(.forbidden, type: "csrf-failed", title: "Form token missing or wrong",
                detail: "The form did not carry this session's CSRF token; reload the page and try again.")
    }

    // MARK: cookies

    static func cookie(_ name: String, _ value: String, path: String, maxAge: Int, request: Request) -> Cookie {
        // Secure when the proxy in front says the browser used HTTPS; plain HTTP on the intranet otherwise.
        let secure = request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased() == "https"
        return Cookie(name: name, value: value, maxAge: maxAge, path: path, secure: secure, httpOnly: true, sameSite: .strict)
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status,
                 headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                           .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'",
                           HTTPField.Name("X-Frame-Options")!: "DENY"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// The form fields of a sign-in or sign-out POST (at most 8 KiB, form-urlencoded, UTF-8).
    static func formFields(_ request: Request) async throws -> [String: String] {
        let type = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard type == "application/x-www-form-urlencoded" else {
            throw Problem(.unsupportedMediaType, type: "unsupported-media-type", title: "Unsupported media type",
                          detail: "Send the form as application/x-www-form-urlencoded.")
        }
        let buffer = try await readBody(request, limit: 8 * 1024)
        guard let fields = FormURLEncoded.fields(String(buffer: buffer)) else {
            throw Problem.badRequest("invalid-form", "The form body has a broken percent escape.")
        }
        return fields
    }

    /// The signed-in staff member behind the session cookie, with the cookie's token.
    func session(_ request: Request) async throws -> (identity: StaffIdentity, token: String)? {
        guard let token = request.cookies[Self.sessionCookie]?.value, !token.isEmpty else { return nil }
        guard let who = try await StaffAuthMiddleware.identity(token: token, staff: mailbox.staff, sessions: mailbox.sessions) else {
            return nil
        }
        return (who, token)
    }

    // MARK: sign-in and sign-out

    @Sendable func loginForm(_ request: Request, context: AppRequestContext) async throws -> Response {
        if try await session(request) != nil { return Self.redirect("/dashboard") }
        let nonce = StaffCredentials.newToken()
        var response = Self.html(DashboardPage.loginForm(csrfToken: nonce, message: nil))
        response.setCookie(Self.cookie(Self.loginCookie, nonce, path: "/dashboard", maxAge: 3600, request: request))
        return response
    }

    @Sendable func login(_ request: Request, context: AppRequestContext) async throws -> Response {
        let fields = try await Self.formFields(request)
        guard let cookie = request.cookies[Self.loginCookie]?.value, let sent = fields["csrf_token"], Self.same(cookie, sent) else {
            context.logger.notice("dashboard sign-in without a valid CSRF token")
            throw Self.csrfRefused
        }
        let result: AuthController<Letters, Calendars, Staff>.LoginResult
        do {
            result = try await AuthController<Letters, Calendars, Staff>.signIn(mailbox: mailbox, username: fields["username"], password: fields["password"],
                                                     request: request, context: context)
        } catch let p as Problem where [401, 422, 429].contains(p.status) {
            // The form again, with the reason; the status and Retry-After stay those of the JSON sign-in.
            let message = switch p.status {
            case 401: "用户名或密码错误 (unknown username or wrong password)"
            case 429: "登录失败次数过多，请稍后再试 (too many failed sign-ins: \(p.detail ?? "try again later"))"
            default: "请输入用户名和密码 (enter username and password)"
            }
            var response = Self.html(DashboardPage.loginForm(csrfToken: cookie, message: message), status: .init(code: p.status))
            if let retry = p.headers[.retryAfter] { response.headers[.retryAfter] = retry }
            return response
        }
        var response = Self.redirect("/dashboard")
        let lifetime = max(1, Int(result.expiresAt.timeIntervalSinceNow))
        response.setCookie(Self.cookie(Self.sessionCookie, result.token, path: "/", maxAge: lifetime, request: request))
        response.setCookie(Self.cookie(Self.loginCookie, "", path: "/dashboard", maxAge: 0, request: request))
        return response
    }

    @Sendable func logout(_ request: Request, context: AppRequestContext) async throws -> Response {
        let fields = try await Self.formFields(request)
        guard let sent = fields["csrf_token"] else {
            context.logger.notice("dashboard sign-out without a CSRF token")
            throw Self.csrfRefused
        }
        guard let token = request.cookies[Self.sessionCookie]?.value, !token.isEmpty else { return Self.redirect("/dashboard/login") }
        guard Self.same(Self.csrfToken(sessionToken: token), sent) else {
            context.logger.notice("dashboard sign-out without a valid CSRF token")
            throw Self.csrfRefused
        }
        let hash = StaffCredentials.tokenHash(token)
        try await mailbox.staff.revokeSession(tokenHash: hash)
        mailbox.sessions.forget(hash)
        var response = Self.redirect("/dashboard/login")
        response.setCookie(Self.cookie(Self.sessionCookie, "", path: "/", maxAge: 0, request: request))
        return response
    }

    // MARK: the page

    @Sendable func page(_ request: Request, context: AppRequestContext) async throws -> Response {
        typealias Reports = ReportsController<Letters, Calendars, Staff>
        // The query first, so that a malformed one is 422 whoever sends it (the contract's rules).
        let p = request.uri.queryParameters
        var v = FieldValidator()
        Reports.checkParameters(p, allowed: ["from", "to", "as_of"], &v)
        let from = p.get("from") != nil ? Reports.date(p, "from", &v) : nil
        let to = p.get("to") != nil ? Reports.date(p, "to", &v) : nil
        if let from, let to {
            if to < from { v.fail("to", "must not be before from") }
            if ReportPeriod(from: from, to: to).isTooLong { v.fail("to", "a dashboard covers at most ten years") }
        }
        let asOf = Reports.asOf(p, &v)
        try v.finish()

        guard let (who, token) = try await session(request) else { return Self.redirect("/dashboard/login") }
        var context = context
        context.identity = who
        try RequirePermission.check(.readReports, context)
        let calendar = try Reports.calendar(mailbox)
        let now = Date()
        // `to` alone: the twelve months up to it; `from` alone: up to today.
        let end = to ?? calendar.localDate(of: now)
        var period = from.map { ReportPeriod(from: $0, to: end) } ?? ReportPeriod.twelveMonths(endingOn: end)
        if period.to < period.from { period = ReportPeriod(from: period.from, to: period.from) }
        if period.isTooLong {
            throw Problem.validation([FieldError(field: "from", message: "a dashboard covers at most ten years")])
        }

        // The same scope rule as the report API: a lead sees its own department only.
        let department = try Reports.scope(who, requested: nil)
        let byMonth = try await SLAReport.compute(store: mailbox.reports, from: period.from, to: period.to, asOf: asOf,
                                                  grouping: .month, departmentID: department, calendar: calendar)
        let byDepartment = try await SLAReport.compute(store: mailbox.reports, from: period.from, to: period.to, asOf: asOf,
                                                       grouping: .department, departmentID: department, calendar: calendar)
        let names = try await mailbox.reports.departmentNames()

        // The open letters in the viewer's work-list scope: overdue (超期), and past the warning time but not yet due (即将到期).
        let scope = AccessPolicy.scope(for: who)
        var overdue = WorkListQuery()
        overdue.overdue = true
        overdue.limit = Self.listLimit
        overdue.now = now
        var dueSoon = WorkListQuery()
        dueSoon.warningPassed = true
        dueSoon.overdue = false
        dueSoon.limit = Self.listLimit
        dueSoon.now = now
        let overduePage = try await mailbox.letters.workList(overdue, scope: scope)
        let dueSoonPage = try await mailbox.letters.workList(dueSoon, scope: scope)

        let view = DashboardPage(
            who: who, csrfToken: Self.csrfToken(sessionToken: token), period: period, asOf: asOf,
            departmentID: department, byMonth: byMonth, byDepartment: byDepartment, names: names,
            overdue: overduePage.items, overdueMore: overduePage.nextCursor != nil,
            dueSoon: dueSoonPage.items, dueSoonMore: dueSoonPage.nextCursor != nil,
            listScope: scope)
        return Self.html(view.render(calendar: calendar))
    }
}
