import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import MailboxAPI
import MailboxCore
import MailboxStore
import NIOCore
import Testing

/// The `/dashboard` page: cookie sign-in with CSRF tokens, and figures equal to the report API's.
@Suite("Dashboard")
struct DashboardTests {
    static let period = "from=2020-01-01&to=2020-03-31&as_of=2020-04-01T00:00:00%2B08:00"

    /// ReportTests' five housing letters of 2020-01-23, and two water letters of February.
    static func scenario(_ http: any TestClientProtocol) async throws {
        try await ReportTests.importScenario(http)
        let lines = [
            ImportTests.line(["tracking_no": "2020-0000011", "category": "help", "received_at": "2020-02-10T10:00:00+08:00",
                              "department_id": "water", "status": "closed", "closed_at": "2020-02-12T10:00:00+08:00", "reply": "已答复"]),
            ImportTests.line(["tracking_no": "2020-0000012", "category": "complaint", "received_at": "2020-02-11T09:00:00+08:00",
                              "department_id": "water", "status": "closed", "closed_at": "2020-02-11T16:00:00+08:00", "reply": "已答复"]),
        ]
        let r = try await ImportTests.post(http, lines)
        #expect(r.status == .ok, "\(String(buffer: r.body))")
    }

    /// `name=value` of a Set-Cookie header with that name.
    static func setCookie(_ r: TestResponse, _ name: String) -> String? {
        r.headers[values: .setCookie].first { $0.hasPrefix(name + "=") }
    }

    static func cookieValue(_ header: String?) -> String? {
        header?.split(separator: ";").first.map { String($0.split(separator: "=", maxSplits: 1).last ?? "") }
    }

    /// The value of the first `name="…"` attribute after `marker` in `html`.
    static func attribute(_ html: String, after marker: String, _ name: String) -> String? {
        guard let start = html.range(of: marker) else { return nil }
        let rest = html[start.upperBound...]
        guard let a = rest.range(of: "\(name)=\"") else { return nil }
        return String(rest[a.upperBound...].prefix { $0 != "\"" })
    }

    /// The `<tr …>…</tr>` that starts with `marker`.
    static func row(_ html: String, _ marker: String) -> String? {
        guard let start = html.range(of: marker), let end = html[start.upperBound...].range(of: "</tr>") else { return nil }
        return String(html[start.lowerBound..<end.upperBound])
    }

    static func form(_ fields: [String: String]) -> ByteBuffer {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        return ByteBuffer(string: fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed)!)" }
            .joined(separator: "&"))
    }

    /// GET the sign-in form: the double-submit cookie and the token in the form.
    static func loginForm(_ http: any TestClientProtocol) async throws -> (cookie: String, token: String) {
        let r = try await http.execute(uri: "/dashboard/login", method: .get)
        #expect(r.status == .ok && r.headers[.contentType]?.hasPrefix("text/html") == true)
        let cookie = try #require(cookieValue(setCookie(r, "mailbox_login_csrf")))
        let token = try #require(attribute(String(buffer: r.body), after: "name=\"csrf_token\"", "value"))
        return (cookie, token)
    }

    static func postLogin(_ http: any TestClientProtocol, cookie: String?, fields: [String: String]) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if let cookie { headers[.cookie] = "mailbox_login_csrf=\(cookie)" }
        return try await http.execute(uri: "/dashboard/login", method: .post, headers: headers, body: form(fields))
    }

    static func page(_ http: any TestClientProtocol, session: String, query: String = period) async throws -> TestResponse {
        try await http.execute(uri: "/dashboard?\(query)", method: .get, headers: [.cookie: "mailbox_session=\(session)"])
    }

    @Test("Without a valid session cookie the page redirects (303) to the sign-in form")
    func redirectWithoutCookie() async throws {
        try await TestApp.run { _, http in
            for headers: HTTPFields in [[:], [.cookie: "mailbox_session=not-a-session"],
                                        [.authorization: "Bearer \(TestApp.dispatcherToken)"]] {
                let r = try await http.execute(uri: "/dashboard", method: .get, headers: headers)
                #expect(r.status == .seeOther && r.headers[.location] == "/dashboard/login")
            }
        }
    }

    @Test("Sign-in: a POST without the CSRF token, with a wrong one or without its cookie is 403 problem+json")
    func loginCSRF() async throws {
        try await TestApp.run { app, http in
            _ = try await app.session(.dispatcher, username: "li.na")
            let (cookie, token) = try await Self.loginForm(http)
            let credentials = ["username": "li.na", "password": "correct horse battery"]
            let attempts: [(cookie: String?, fields: [String: String])] = [
                (cookie, credentials), (cookie, credentials.merging(["csrf_token": "wrong"]) { $1 }),
                (nil, credentials.merging(["csrf_token": token]) { $1 }), ("other", credentials.merging(["csrf_token": token]) { $1 }),
            ]
            for (c, fields) in attempts {
                let r = try await Self.postLogin(http, cookie: c, fields: fields)
                #expect(r.status == .forbidden && r.headers[.contentType] == "application/problem+json")
                #expect(decodeObject(r.body)["type"] as? String == "https://mailbox.example.gov.cn/problems/csrf-failed")
                #expect(Self.setCookie(r, "mailbox_session") == nil)
            }
            #expect(try await app.count("staff_sessions") == 3)  // the two TestApp sessions and li.na's, none from the form
        }
    }

    @Test("Sign-in success sets an HttpOnly, SameSite=Strict, Path=/ session cookie; failures count like the JSON sign-in")
    func loginSuccess() async throws {
        try await TestApp.run { app, http in
            _ = try await app.session(.dispatcher, username: "li.na")
            let (cookie, token) = try await Self.loginForm(http)
            let wrong = try await Self.postLogin(http, cookie: cookie, fields: ["username": "li.na", "password": "wrong password!", "csrf_token": token])
            #expect(wrong.status == .unauthorized && String(buffer: wrong.body).contains("id=\"login-error\""))
            let empty = try await Self.postLogin(http, cookie: cookie, fields: ["username": "", "password": "", "csrf_token": token])
            #expect(empty.status == .unprocessableContent)

            let r = try await Self.postLogin(http, cookie: cookie,
                                             fields: ["username": "LI.NA", "password": "correct horse battery", "csrf_token": token])
            #expect(r.status == .seeOther && r.headers[.location] == "/dashboard")
            let header = try #require(Self.setCookie(r, "mailbox_session"))
            let attributes = Set(header.split(separator: ";").dropFirst().map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
            #expect(attributes.contains("httponly") && attributes.contains("samesite=strict") && attributes.contains("path=/"))
            let session = try #require(Self.cookieValue(header))
            // The cookie holds an ordinary session token: the JSON API takes it as a bearer token too.
            #expect(try await http.staff("/v1/auth/me", token: session).status == .ok)
            let page = try await Self.page(http, session: session)
            #expect(page.status == .ok && page.headers[.contentType] == "text/html; charset=utf-8")
            let html = String(buffer: page.body)
            #expect(html.contains("<svg id=\"chart-within1\"") && html.contains("<svg id=\"chart-avg-days\""))
            #expect(html.contains("<table id=\"department-table\">") && html.contains("id=\"overdue-list\"")
                && html.contains("id=\"due-soon-list\""))
            // Signed in already: the form sends one to the page.
            let again = try await http.execute(uri: "/dashboard/login", method: .get, headers: [.cookie: "mailbox_session=\(session)"])
            #expect(again.status == .seeOther && again.headers[.location] == "/dashboard")

            // Failed form sign-ins count towards the same throttle as the JSON sign-in (5 per username; the
            // success above cleared the count).
            for _ in 0..<5 {
                _ = try await Self.postLogin(http, cookie: cookie, fields: ["username": "li.na", "password": "wrong password!", "csrf_token": token])
            }
            let json = try await http.execute(uri: "/v1/auth/login", method: .post, headers: [.contentType: "application/json"],
                                              body: jsonBuffer(["username": "li.na", "password": "correct horse battery"]))
            #expect(json.status == .tooManyRequests)
            let throttled = try await Self.postLogin(http, cookie: cookie,
                                                     fields: ["username": "li.na", "password": "correct horse battery", "csrf_token": token])
            #expect(throttled.status == .tooManyRequests && throttled.headers[.retryAfter] != nil)
        }
    }

    @Test("The department table, the totals and the monthly charts equal GET /v1/reports/sla for the same period and as_of")
    func figuresEqualReportAPI() async throws {
        try await TestApp.run { app, http in
            try await Self.scenario(http)
            let html = String(buffer: try await Self.page(http, session: TestApp.dispatcherToken).body)
            #expect(Self.attribute(html, after: "<main id=\"dashboard\"", "data-from") == "2020-01-01")
            #expect(Self.attribute(html, after: "<main id=\"dashboard\"", "data-as-of") == "2020-03-31T16:00:00.000Z")

            let api = decodeObject(try await http.staff("/v1/reports/sla?\(Self.period)&group_by=department",
                                                        token: TestApp.dispatcherToken).body)
            let groups = try #require(api["groups"] as? [[String: Any]])
            #expect(groups.count == 2)
            let columns = ["received": "received", "closed": "closed", "on-time-rate": "on_time_rate", "overdue-open": "overdue_open",
                           "avg-days": "avg_handling_working_days", "satisfaction-rate": "satisfaction_rate"]
            func check(_ row: String, _ figures: [String: Any], _ what: String) {
                for (cls, key) in columns {
                    let cell = Self.attribute(row, after: "class=\"num \(cls)\"", "data-value")
                    let expected = figures[key]
                    if expected is NSNull {
                        #expect(cell == "", "\(what) \(cls)")
                    } else {
                        #expect(cell.flatMap(Double.init) == (expected as? NSNumber)?.doubleValue, "\(what) \(cls): \(cell ?? "nil")")
                    }
                }
            }
            for g in groups {
                let key = try #require(g["key"] as? String)
                let row = try #require(Self.row(html, "<tr class=\"department\" data-key=\"\(key)\">"))
                check(row, g, key)
            }
            check(try #require(Self.row(html, "<tr class=\"totals\">")), try #require(api["totals"] as? [String: Any]), "totals")
            #expect(html.components(separatedBy: "<tr class=\"department\"").count == 3)
            #expect(Self.row(html, "data-key=\"housing\"")?.contains("区住房城乡建设委") == true)

            // The charts: one point per month with a figure, its exact value in data-value.
            let months = decodeObject(try await http.staff("/v1/reports/sla?\(Self.period)&group_by=month", token: TestApp.dispatcherToken).body)
            let monthGroups = try #require(months["groups"] as? [[String: Any]])
            #expect(monthGroups.map { $0["key"] as? String } == ["2020-01", "2020-02"])
            for (chart, key) in [("chart-within1", "within_1_working_day_rate"), ("chart-avg-days", "avg_handling_working_days")] {
                let start = try #require(html.range(of: "<svg id=\"\(chart)\""))
                let end = try #require(html[start.lowerBound...].range(of: "</svg>"))
                let svgText = String(html[start.lowerBound..<end.upperBound])
                var points = 0
                for g in monthGroups {
                    let month = g["key"] as! String
                    let value = Self.attribute(svgText, after: "data-label=\"\(month)\"", "data-value")
                    if let expected = (g[key] as? NSNumber)?.doubleValue, !(g[key] is NSNull) {
                        #expect(value.flatMap(Double.init) == expected, "\(chart) \(month)")
                        points += 1
                    } else {
                        #expect(value == nil, "\(chart) \(month) has no figure")
                    }
                }
                #expect(svgText.components(separatedBy: "<circle ").count - 1 == points)
                #expect(svgText.contains(">2020-03</text>"))  // every month of the period has its label
            }
        }
    }

    @Test("A lead sees its own department's figures and letters; a handler gets 403; an admin sees figures without letters")
    func leadScope() async throws {
        try await TestApp.run { app, http in
            try await Self.scenario(http)
            let water = try await app.session(.lead, department: "water")
            let html = String(buffer: try await Self.page(http, session: water).body)
            #expect(Self.attribute(html, after: "<main id=\"dashboard\"", "data-department") == "water")
            #expect(Self.attribute(html, after: "id=\"total-received\"", "data-value") == "2")
            #expect(html.contains("data-key=\"water\"") && !html.contains("data-key=\"housing\""))
            #expect(!html.contains("2020-0000003"))  // housing's overdue letter is not in the water lead's scope
            let api = decodeObject(try await http.staff("/v1/reports/sla?\(Self.period)", token: water).body)
            #expect((api["totals"] as? [String: Any])?["received"] as? Int == 2)

            let housing = try await app.session(.lead, department: "housing")
            let mine = String(buffer: try await Self.page(http, session: housing).body)
            #expect(Self.attribute(mine, after: "id=\"total-received\"", "data-value") == "5")
            #expect(Self.row(mine, "<tr class=\"letter\" data-tracking=\"2020-0000003\"")?.contains("咨询") == true)

            let dispatcher = String(buffer: try await Self.page(http, session: TestApp.dispatcherToken).body)
            #expect(Self.attribute(dispatcher, after: "id=\"total-received\"", "data-value") == "7")
            #expect(Self.row(dispatcher, "<tr class=\"letter\" data-tracking=\"2020-0000003\"") != nil)

            let handler = try await app.session(.handler, department: "housing")
            let refused = try await Self.page(http, session: handler)
            #expect(refused.status == .forbidden && refused.headers[.contentType] == "application/problem+json")

            let admin = String(buffer: try await Self.page(http, session: TestApp.adminToken).body)
            #expect(Self.attribute(admin, after: "id=\"total-received\"", "data-value") == "7")
            #expect(admin.contains("this role reads no letters"))

            // Bad parameters: 422 problem+json, as the report API.
            for query in ["from=2020-03-31&to=2020-01-01", "from=2010-01-01", "from=2020-01-01&to=2020-02-30", "department=water", "to="] {
                let r = try await Self.page(http, session: TestApp.dispatcherToken, query: query)
                #expect(r.status == .unprocessableContent, "\(query)")
            }
            // One end alone: `from` runs to today, `to` takes the twelve months before it.
            let fromAlone = String(buffer: try await Self.page(http, session: TestApp.dispatcherToken, query: "from=2026-01-01").body)
            #expect(fromAlone.contains("data-from=\"2026-01-01\""))
            let toAlone = String(buffer: try await Self.page(http, session: TestApp.dispatcherToken, query: "to=2025-06-15").body)
            #expect(toAlone.contains("data-from=\"2024-07-01\"") && toAlone.contains("data-to=\"2025-06-15\""))
            // The default period: the last 12 months.
            let current = String(buffer: try await Self.page(http, session: TestApp.dispatcherToken, query: "").body)
            #expect(current.components(separatedBy: "<text class=\"axis month\"").count - 1 == 24)
        }
    }

    @Test("Sign-out needs the session's CSRF token, revokes the session and clears the cookie")
    func logout() async throws {
        try await TestApp.run { app, http in
            let session = try await app.session(.dispatcher)
            let html = String(buffer: try await Self.page(http, session: session).body)
            let token = try #require(Self.attribute(html, after: "id=\"logout-form\"", "value"))
            #expect(token == DashboardController<PostgresLetterStore, CalendarStore, PostgresStaffStore>.csrfToken(sessionToken: session))
            let headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .cookie: "mailbox_session=\(session)"]
            for body in ["", "csrf_token=wrong", "csrf_token=" + DashboardController<PostgresLetterStore, CalendarStore, PostgresStaffStore>
                            .csrfToken(sessionToken: TestApp.dispatcherToken)] {
                let r = try await http.execute(uri: "/dashboard/logout", method: .post, headers: headers, body: ByteBuffer(string: body))
                #expect(r.status == .forbidden && r.headers[.contentType] == "application/problem+json", "\(body)")
            }
            #expect(try await Self.page(http, session: session).status == .ok)

            let r = try await http.execute(uri: "/dashboard/logout", method: .post, headers: headers,
                                           body: ByteBuffer(string: "csrf_token=\(token)"))
            #expect(r.status == .seeOther && r.headers[.location] == "/dashboard/login")
            let cleared = try #require(Self.setCookie(r, "mailbox_session"))
            #expect(cleared.hasPrefix("mailbox_session=;") && cleared.lowercased().contains("max-age=0"))
            #expect(try await Self.page(http, session: session).status == .seeOther)
            #expect(try await http.staff("/v1/auth/me", token: session).status == .unauthorized)
        }
    }
}
