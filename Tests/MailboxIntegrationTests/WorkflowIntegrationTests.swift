import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import MailboxAPI
import MailboxCore
import MailboxStore
import NIOCore
import PostgresNIO
import Testing

/// The staff workflow against real PostgreSQL: roles, scoping, masking, access records, the life
/// cycle, concurrency, routing rules and work lists.
@Suite("Staff workflow")
struct WorkflowIntegrationTests {
    static let disp = TestApp.dispatcherToken

    static func newLetter(_ http: any TestClientProtocol, _ overrides: [String: Any?] = [:]) async throws -> String {
        let r = try await http.postLetter(letterJSON(overrides))
        #expect(r.status == .created, "\(String(buffer: r.body))")
        return try #require(decodeObject(r.body)["tracking_no"] as? String)
    }

    /// A letter accepted and routed to `department` (co-handled by `cohandlers`).
    static func routedLetter(_ http: any TestClientProtocol, to department: String, cohandlers: [String] = [],
                             _ overrides: [String: Any?] = [:]) async throws -> String {
        let t = try await newLetter(http, overrides)
        #expect(try await http.act(t, "accept", token: disp).status == .ok)
        let r = try await http.act(t, "route", ["department_id": department, "cohandlers": cohandlers], token: disp)
        #expect(r.status == .ok, "\(String(buffer: r.body))")
        return t
    }

    @Test("Endpoint × role: anonymous 401, roles without the right 403, roles with it get past the rule")
    func endpointRoleTable() async throws {
        try await TestApp.run { app, http in
            var tokens: [StaffRole: String] = [.admin: TestApp.adminToken, .dispatcher: Self.disp]
            tokens[.handler] = try await app.session(.handler, department: "housing")
            tokens[.lead] = try await app.session(.lead, department: "housing")
            tokens[.auditor] = try await app.session(.auditor)
            #expect(app.staffEndpoints.count >= 30)
            for e in app.staffEndpoints {
                let uri = e.path.replacingOccurrences(of: ":tracking", with: "2099-0000000")
                    .replacingOccurrences(of: ":username", with: "nobody").replacingOccurrences(of: ":id", with: "999999")
                    .replacingOccurrences(of: ":date", with: "2031-01-01").replacingOccurrences(of: ":name", with: "nolist")
                    .replacingOccurrences(of: ":category", with: "consultation")
                let anonymous = try await http.execute(uri: uri, method: e.method, headers: [.contentType: "application/json"],
                                                       body: ByteBuffer(string: "{}"))
                #expect(anonymous.status == .unauthorized, "\(e.method) \(e.path) anonymous")
                for role in StaffRole.allCases {
                    let r = try await http.staff(uri, method: e.method, body: [:] as [String: String], token: tokens[role]!, ifMatch: 1)
                    if e.permission.isGranted(to: role) {
                        #expect(r.status != .unauthorized && r.status != .forbidden,
                                "\(e.method) \(e.path) as \(role): \(r.status) \(String(buffer: r.body))")
                    } else {
                        #expect(r.status == .forbidden, "\(e.method) \(e.path) as \(role): \(r.status)")
                    }
                }
            }
        }
    }

    @Test("Handlers see only their departments' letters: others answer 404 like missing ones; masking and access records")
    func scopingMaskingAndAccessRecords() async throws {
        try await TestApp.run { app, http in
            let t = try await Self.routedLetter(http, to: "housing", cohandlers: ["water"],
                                                ["writer_name": "张三", "phone": "13812341234", "id_card": "110228199001011232"])
            let owner = try await app.session(.handler, department: "housing", username: "owner-h")
            let cohandler = try await app.session(.handler, department: "water", username: "co-h")
            let stranger = try await app.session(.lead, department: "education", username: "other-l")
            let auditor = try await app.session(.auditor, username: "aud")

            let full = decodeObject(try await http.staff("/v1/letters/\(t)", token: owner).body)
            #expect(full["writer_name"] as? String == "张三" && full["phone"] as? String == "13812341234")
            #expect(full["personal_data"] as? String == "full")
            for token in [cohandler, auditor] {
                let masked = decodeObject(try await http.staff("/v1/letters/\(t)", token: token).body)
                #expect(masked["writer_name"] as? String == "张*")
                #expect(masked["phone"] as? String == "138****1234")
                #expect(masked["id_card"] as? String == "110228********1232")
                #expect(masked["personal_data"] as? String == "masked")
            }
            let hidden = try await http.staff("/v1/letters/\(t)", token: stranger)
            let missing = try await http.staff("/v1/letters/2099-0000000", token: stranger)
            #expect(hidden.status == .notFound && missing.status == .notFound)
            #expect(String(buffer: hidden.body).replacingOccurrences(of: t, with: "X")
                        == String(buffer: missing.body).replacingOccurrences(of: "2099-0000000", with: "X"))
            #expect(try await http.staff("/v1/letters/\(t)/sla", token: stranger).status == .notFound)
            #expect(try await http.staff("/v1/letters/\(t)/sign", method: .post, token: stranger, ifMatch: 3).status == .notFound)

            // Lists are scoped by the same rule.
            func listed(_ token: String) async throws -> [String] {
                let items = decodeObject(try await http.staff("/v1/letters?limit=200", token: token).body)["items"] as? [[String: Any]] ?? []
                return items.compactMap { $0["tracking_no"] as? String }
            }
            #expect(try await listed(owner).contains(t))
            #expect(try await listed(cohandler).contains(t))
            #expect(try await listed(stranger).isEmpty)
            #expect(try await listed(auditor).contains(t))
            #expect(try await http.staff("/v1/letters", token: TestApp.adminToken).status == .forbidden)

            // Unmasked reads are recorded (the dispatcher's route responses and the owner's view); masked ones are not.
            let reads = decodeObject(try await http.staff("/v1/audit/personal-data-reads?letter=\(t)", token: auditor).body)
            let who = Set((reads["items"] as? [[String: Any]] ?? []).compactMap { $0["username"] as? String })
            #expect(who == ["disp", "owner-h"])
            #expect(try await http.staff("/v1/audit/personal-data-reads", token: owner).status == .forbidden)
        }
    }

    @Test("Illegal transitions answer 409 naming the allowed actions; reject needs a reason and is final")
    func illegalTransitions() async throws {
        try await TestApp.run { app, http in
            let t = try await Self.newLetter(http)
            let r = try await http.act(t, "route", ["department_id": "housing"], token: Self.disp)
            #expect(r.status == .conflict)
            let allowed = decodeObject(r.body)["allowed_actions"] as? [String]
            #expect(allowed == ["accept", "reject", "withhold", "supervise", "merge"])
            #expect(try await http.act(t, "start", token: Self.disp).status == .forbidden)
            #expect(try await http.act(t, "reject", ["reason": ""], token: Self.disp).status == .unprocessableContent)
            #expect(try await http.act(t, "reject", ["reason": "反映问题不属于本区受理范围"], token: Self.disp).status == .ok)
            let again = try await http.act(t, "accept", token: Self.disp)
            #expect(again.status == .conflict && (decodeObject(again.body)["allowed_actions"] as? [String]) == [])
            let stored = try #require(try await app.mailbox.letters.letter(trackingNo: t))
            #expect(stored.status == .rejected && stored.sla.state == .stopped)
        }
    }

    @Test("Return sends a letter back to triage; transfer moves it; merge closes a duplicate pointing to the kept letter")
    func returnTransferMerge() async throws {
        try await TestApp.run { app, http in
            let handler = try await app.session(.handler, department: "housing")
            let t = try await Self.routedLetter(http, to: "housing")
            #expect(try await http.act(t, "sign", token: handler).status == .ok)
            #expect(try await http.act(t, "return", ["reason": "非本单位职责"], token: handler).status == .ok)
            let returned = try #require(try await app.mailbox.letters.letter(trackingNo: t))
            #expect(returned.status == .accepted && returned.departmentID == nil)
            // The former owner still finds it, masked; the centre can route it again.
            #expect(decodeObject(try await http.staff("/v1/letters/\(t)", token: handler).body)["personal_data"] as? String == "masked")
            #expect(try await http.act(t, "route", ["department_id": "water"], token: Self.disp).status == .ok)
            #expect(try await http.act(t, "transfer", ["department_id": "education"], token: Self.disp).status == .unprocessableContent)
            #expect(try await http.act(t, "transfer", ["department_id": "education", "reason": "属教委职责"], token: Self.disp).status == .ok)
            let moved = try #require(try await app.mailbox.letters.letter(trackingNo: t))
            #expect(moved.departmentID == "education" && Set(moved.departments) == ["housing", "water", "education"])

            let duplicate = try await Self.newLetter(http)
            #expect(try await http.act(duplicate, "merge", ["into": duplicate], token: Self.disp).status == .unprocessableContent)
            let merged = try await http.act(duplicate, "merge", ["into": t], token: Self.disp)
            #expect(merged.status == .ok)
            #expect(decodeObject(merged.body)["status"] as? String == "merged" && decodeObject(merged.body)["merged_into"] as? String == t)
            let kinds = try await app.mailbox.letters.events(letterID: moved.id, publicOnly: false).map(\.kind)
            #expect(kinds == ["received", "accepted", "routed", "signed", "returned", "routed", "transferred"])
            let events = try await app.mailbox.letters.events(letterID: moved.id, publicOnly: false)
            #expect(events[4].actorRole == "handler" && events[4].dataJSON.contains("非本单位职责"))
        }
    }

    @Test("Two staff acting at once: one succeeds, the other gets 412; no lost update, one owner; If-Match is required")
    func concurrentUpdates() async throws {
        try await TestApp.run { app, http in
            let t = try await Self.newLetter(http)
            #expect(try await http.act(t, "accept", token: Self.disp).status == .ok)
            let second = try await app.session(.dispatcher, username: "disp2")
            let version = try #require(decodeObject(try await http.staff("/v1/letters/\(t)", token: Self.disp).body)["version"] as? Int)
            let noMatch = try await http.staff("/v1/letters/\(t)/supervise", method: .post, body: ["note": "x"], token: Self.disp)
            #expect(noMatch.status == .preconditionRequired)
            async let a = http.staff("/v1/letters/\(t)/route", method: .post, body: ["department_id": "housing"], token: Self.disp, ifMatch: version)
            async let b = http.staff("/v1/letters/\(t)/route", method: .post, body: ["department_id": "water"], token: second, ifMatch: version)
            let statuses = [try await a.status, try await b.status].map(\.code).sorted()
            #expect(statuses == [200, 412])
            let letter = try #require(try await app.mailbox.letters.letter(trackingNo: t))
            #expect(letter.version == version + 1 && letter.departments.count == 1)
            let stale = try await http.staff("/v1/letters/\(t)/supervise", method: .post, body: ["note": "请加快"], token: Self.disp, ifMatch: version)
            #expect(stale.status == .preconditionFailed && stale.headers[.eTag] == "\"\(version + 1)\"")
            let shown = try await http.staff("/v1/letters/\(t)", token: Self.disp)
            #expect(shown.headers[.eTag] == "\"\(version + 1)\"")
        }
    }

    @Test("Routing rules are audited, route matching letters at intake, and leave others in triage")
    func routingRules() async throws {
        try await TestApp.run { app, http in
            let bad = try await http.staff("/v1/routing-rules", method: .post, body: ["priority": 10, "department_id": "housing"] as [String: Any])
            #expect(bad.status == .unprocessableContent)
            let created = try await http.staff("/v1/routing-rules", method: .post,
                                               body: ["priority": 10, "keywords": ["供暖", "暖气"], "department_id": "housing"] as [String: Any])
            #expect(created.status == .created, "\(String(buffer: created.body))")
            let routed = try await Self.newLetter(http, ["title": "暖气不热", "body": "家里暖气温度只有十五度"])
            let letter = try #require(try await app.mailbox.letters.letter(trackingNo: routed))
            #expect(letter.status == .assigned && letter.departmentID == "housing" && letter.version == 2)
            let kinds = try await app.mailbox.letters.events(letterID: letter.id, publicOnly: false).map(\.kind)
            #expect(kinds == ["received", "routed"])
            let triage = try await Self.newLetter(http, ["title": "道路破损", "body": "村口道路坑洼"])
            #expect(try await app.mailbox.letters.letter(trackingNo: triage)?.status == .received)
            let queue = decodeObject(try await http.staff("/v1/letters?status=received", token: Self.disp).body)["items"] as? [[String: Any]]
            #expect(queue?.compactMap { $0["tracking_no"] as? String } == [triage])
            let id = try #require(decodeObject(created.body)["id"] as? Int)
            #expect(try await http.staff("/v1/routing-rules/\(id)", method: .delete).status == .noContent)
            let changes = decodeObject(try await http.staff("/v1/audit/admin-changes", token: try await app.session(.auditor)).body)
            let actions = (changes["items"] as? [[String: Any]] ?? []).filter { $0["entity"] as? String == "routing_rule" }.compactMap { $0["action"] as? String }
            #expect(actions == ["delete", "create"])
        }
    }

    @Test("Batch routing reports each letter")
    func batchRoute() async throws {
        try await TestApp.run { app, http in
            let a = try await Self.newLetter(http)
            let b = try await Self.newLetter(http)
            #expect(try await http.act(a, "accept", token: Self.disp).status == .ok)
            let r = try await http.staff("/v1/letters/batch-route", method: .post, body: ["items": [
                ["tracking_no": a, "version": 2, "department_id": "housing"],
                ["tracking_no": b, "version": 1, "department_id": "housing"],
            ]], token: Self.disp)
            #expect(r.status == .ok)
            let results = decodeObject(r.body)["results"] as? [[String: Any]] ?? []
            #expect(results.map { $0["status"] as? Int } == [200, 409])
            #expect(try await app.mailbox.letters.letter(trackingNo: a)?.departmentID == "housing")
        }
    }

    @Test("Sign-in: tokens work until logout; same 401 for unknown users and wrong passwords; throttled with 429")
    func signIn() async throws {
        try await TestApp.run { app, http in
            _ = try await app.session(.handler, department: "housing", username: "li.na")
            func login(_ user: String, _ password: String) async throws -> TestResponse {
                try await http.execute(uri: "/v1/auth/login", method: .post, headers: [.contentType: "application/json"],
                                       body: jsonBuffer(["username": user, "password": password]))
            }
            let ok = try await login("li.na", "correct horse battery")
            #expect(ok.status == .ok)
            let token = try #require(decodeObject(ok.body)["token"] as? String)
            #expect(decodeObject(ok.body)["role"] as? String == "handler" && decodeObject(ok.body)["department_id"] as? String == "housing")
            #expect(try await http.staff("/v1/auth/me", token: token).status == .ok)
            #expect(try await http.staff("/v1/auth/logout", method: .post, token: token).status == .noContent)
            #expect(try await http.staff("/v1/letters", token: token).status == .unauthorized)

            let wrong = try await login("li.na", "wrong password!")
            let unknown = try await login("nobody", "wrong password!")
            #expect(wrong.status == .unauthorized && unknown.status == .unauthorized)
            #expect(String(buffer: wrong.body) == String(buffer: unknown.body))
            for _ in 0..<4 { _ = try await login("li.na", "wrong password!") }
            let throttled = try await login("li.na", "correct horse battery")
            #expect(throttled.status == .tooManyRequests)
            #expect(Int(throttled.headers[.retryAfter] ?? "") ?? 0 > 0)

            // A disabled account cannot sign in and its sessions stop working.
            let other = try await app.session(.dispatcher, username: "wang.wu")
            #expect(try await http.staff("/v1/users/wang.wu", method: .patch, body: ["disabled": true]).status == .ok)
            #expect(try await http.staff("/v1/letters", token: other).status == .unauthorized)
            #expect(try await login("wang.wu", "correct horse battery").status == .unauthorized)
        }
    }

    @Test("Admins manage departments (with parents) and accounts; every change is audited")
    func directory() async throws {
        try await TestApp.run { app, http in
            let d = try await http.staff("/v1/departments", method: .post,
                                         body: ["id": "gulou-community", "name": "鼓楼街道某社区", "kind": "town", "parent_id": "gulou"])
            #expect(d.status == .created, "\(String(buffer: d.body))")
            #expect(try await http.staff("/v1/departments", method: .post, body: ["id": "x", "name": "鼓楼街道某社区", "kind": "town"]).status == .conflict)
            let cycle = try await http.staff("/v1/departments/gulou", method: .put, body: ["name": "鼓楼街道", "kind": "town", "parent_id": "gulou-community"])
            #expect(cycle.status == .unprocessableContent)
            let u = try await http.staff("/v1/users", method: .post, body: ["username": "zhao.liu", "role": "lead", "department_id": "gulou-community"])
            #expect(u.status == .created)
            #expect((decodeObject(u.body)["password"] as? String)?.count == 16)
            #expect(try await http.staff("/v1/users", method: .post, body: ["username": "x1", "role": "handler"]).status == .unprocessableContent)
            #expect(try await app.count("admin_changes WHERE actor = 'user:admin'") == 2)
        }
    }

    @Test("Work lists: filters, keyset pages without gaps or repeats, and Chinese free text through the bigram index")
    func workLists() async throws {
        try await TestApp.run { app, http in
            var made: [String] = []
            for i in 0..<7 {
                made.append(try await Self.newLetter(http, ["title": i % 2 == 0 ? "供暖问题\(i)" : "道路问题\(i)",
                                                             "category": i < 4 ? "consultation" : "complaint"]))
            }
            var seen: [String] = []
            var cursor: String?
            repeat {
                let uri = "/v1/letters?limit=3&sort=received" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = decodeObject(try await http.staff(uri, token: Self.disp).body)
                seen += (page["items"] as? [[String: Any]] ?? []).compactMap { $0["tracking_no"] as? String }
                cursor = page["next_cursor"] as? String
            } while cursor != nil
            #expect(seen == made.reversed())
            let heating = decodeObject(try await http.staff("/v1/letters?q=%E4%BE%9B%E6%9A%96%E9%97%AE%E9%A2%98&category=consultation", token: Self.disp).body)
            #expect((heating["items"] as? [[String: Any]])?.count == 2, "\(heating)")
            #expect(try await http.staff("/v1/letters?q=%E4%BE%9B", token: Self.disp).status == .unprocessableContent)
            #expect(try await http.staff("/v1/letters?sort=sideways", token: Self.disp).status == .unprocessableContent)
            #expect(try await http.staff("/v1/letters?colour=red", token: Self.disp).status == .unprocessableContent)
            #expect(try await http.staff("/v1/letters?cursor=garbage", token: Self.disp).status == .unprocessableContent)

            // With enough letters for the planner to care, the substring search runs on the bigram index.
            try await app.db.query(
                """
                INSERT INTO letters (tracking_no, channel, category, title, body, writer_name, phone, publish_consent,
                    citizen_key, query_code_hash, status, received_at)
                SELECT 'X-' || g, 'portal', 'help', '来信' || g, repeat('密云区各镇街道路交通噪音', 1 + g % 5) || g,
                       '某', '13800138000', false, 'k', decode(md5(g::text), 'hex'), 'received', now()
                FROM generate_series(1, 20000) AS g
                """, logger: TestDatabase.logger)
            try await app.db.query("ANALYZE letters", logger: TestDatabase.logger)
            var q = WorkListQuery()
            q.text = "供暖问题"
            let sql = WorkListSQL(q, scope: .all)
            var plan = ""
            for try await line in try await app.db.query(PostgresQuery(unsafeSQL: "EXPLAIN " + sql.literalSQL), logger: TestDatabase.logger)
                .decode(String.self) { plan += line + "\n" }
            #expect(plan.contains("letters_text_bigram_idx"), "\(plan)")
            let found = try await app.mailbox.letters.workList(q, scope: .all)
            #expect(found.items.count == 4)
        }
    }

    @Test("Work lists run as named prepared statements and answer exactly as the same SQL run unnamed")
    func preparedWorkLists() async throws {
        try await TestDatabase.withDatabase { admin, url in
            try await admin.query(
                """
                INSERT INTO letters (tracking_no, channel, category, title, body, writer_name, phone, publish_consent,
                    citizen_key, query_code_hash, status, received_at, due_at, warn_at, department_id, departments, supervised, closed_at)
                SELECT 'P-' || g, 'portal', (ARRAY['consultation', 'complaint', 'help'])[1 + g % 3], '来信' || g, '供暖' || g,
                       '某', '13800138000', false, 'k', decode(md5(g::text), 'hex'),
                       (ARRAY['received', 'assigned', 'processing', 'closed', 'closed'])[1 + g % 5],
                       now() - g * interval '7 minutes', now() + (g % 40 - 20) * interval '1 day',
                       now() + (g % 40 - 22) * interval '1 day',
                       CASE WHEN g % 5 = 0 THEN NULL ELSE (ARRAY['housing', 'water', 'gulou'])[1 + g % 3] END,
                       CASE WHEN g % 5 = 0 THEN '{}' ELSE ARRAY[(ARRAY['housing', 'water', 'gulou'])[1 + g % 3]] END,
                       g % 11 = 0, CASE WHEN g % 5 >= 3 THEN now() - g * interval '7 minutes' + interval '1 hour' END
                FROM generate_series(1, 3000) AS g
                """, logger: TestDatabase.logger)
            try await admin.query("ANALYZE letters", logger: TestDatabase.logger)
            // One connection, so that pg_prepared_statements shows what the store prepared on it.
            let client = PostgresClient(configuration: try url.clientConfiguration(maxConnections: 1), backgroundLogger: TestDatabase.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                defer { group.cancelAll() }
                let store = PostgresLetterStore(client: client, logger: TestDatabase.logger)
                let now = Date()
                var shapes: [(WorkListQuery, LetterScope)] = []
                for order in WorkListQuery.Order.allCases {
                    var q = WorkListQuery()
                    q.order = order
                    q.limit = 20
                    q.now = now
                    shapes.append((q, .all))
                    shapes.append((q, .department("housing")))
                    var open = q
                    open.statuses = [.assigned, .processing]
                    open.categories = [.complaint, .help]
                    shapes.append((open, .department("water")))
                    var overdue = q
                    overdue.overdue = true
                    shapes.append((overdue, .all))
                    var warned = q
                    warned.warningPassed = true
                    warned.supervised = false
                    shapes.append((warned, .department("gulou")))
                    var text = q
                    text.text = "供暖"
                    shapes.append((text, .all))
                }
                for (first, scope) in shapes {
                    // Three pages each, every page several times: PostgreSQL switches to a cached generic plan
                    // after five executions of a statement when it finds it no costlier.
                    var q = first
                    for _ in 0..<3 {
                        var page: WorkListPage?
                        for _ in 0..<7 {
                            let p = try await store.workList(q, scope: scope)
                            let sql = WorkListSQL(q, scope: scope)
                            let unnamed = try await WorkListSQL.decode(try await client.query(sql.query, logger: TestDatabase.logger), query: q)
                            #expect(p.items == unnamed.items, "\(sql.sql)")
                            #expect(p.nextCursor == unnamed.nextCursor)
                            page = p
                        }
                        #expect(page?.items.isEmpty == false, "\(WorkListSQL(q, scope: scope).sql)")
                        guard let next = page?.nextCursor else { break }
                        q.cursor = next
                    }
                }
                var prepared: [(String, String, Int64)] = []
                for try await row in try await client.query(
                    "SELECT name, statement, generic_plans FROM pg_prepared_statements WHERE name LIKE 'mailbox_work_list_%'",
                    logger: TestDatabase.logger).decode((String, String, Int64).self) { prepared.append(row) }
                let preparable = Set(shapes.map { WorkListSQL($0.0, scope: $0.1) }.filter(\.preparable).map(\.sql))
                #expect(preparable.count == 10)
                // Every preparable first page and its cursor pages, and nothing with free text.
                #expect(prepared.count >= preparable.count, "\(prepared.map(\.0))")
                #expect(preparable.isSubset(of: Set(prepared.map(\.1))))
                #expect(!prepared.contains { $0.1.contains("mailbox_bigrams") })
                // Statements without parameters (the first pages without a clock) run on one cached plan.
                #expect(prepared.contains { !$0.1.contains("$1") && $0.2 > 0 })
            }
        }
    }

    @Test("mailbox_bigrams (0014, linear) gives the index the same keys as 0005's quadratic definition")
    func bigramsMatchOriginal() async throws {
        try await TestDatabase.withDatabase { db, _ in
            // 0005's definition, word for word, under another name.
            try await db.query(
                """
                CREATE FUNCTION bigrams_0005(t text) RETURNS text[]
                LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
                    SELECT coalesce(array_agg(DISTINCT substr(lower(t), i, 2)), '{}')
                    FROM generate_series(1, length(t) - 1) AS i
                $$
                """, logger: TestDatabase.logger)
            // Chinese, Latin in both cases, digits, full-width forms, emoji (outside the BMP), combining marks,
            // İ (whose lower case is longer in some locales), white space and punctuation.
            let alphabet = Array("供暖问题道路噪音密云区镇街来信AaBbZz09０９ＡＢ😀👍🏽é\u{301}İß \n\t,，。！?")
            var generator = SystemRandomNumberGenerator()
            var samples = ["", "a", "AB", "供", "供暖", "供暖供暖供暖", "😀", "😀😀x", "e\u{301}", "İİ", "\n\n", "aBc"]
            for _ in 0..<400 {
                let n = Int.random(in: 0...80, using: &generator)
                samples.append(String((0..<n).map { _ in alphabet.randomElement(using: &generator)! }))
            }
            let letter = String(repeating: "小区门口道路破损严重，雨天积水，老人孩子出行不便，请有关部门尽快修复。", count: 18)
            samples.append("小区门口道路破损积水\n" + letter)
            var mismatches: [String] = []
            for try await s in try await db.query(
                """
                SELECT s FROM unnest(\(samples)::text[]) AS s
                WHERE ARRAY(SELECT DISTINCT b FROM unnest(mailbox_bigrams(s)) AS b ORDER BY 1) <> bigrams_0005(s)
                   OR cardinality(mailbox_bigrams(s)) <> greatest(length(s) - 1, 0)
                """, logger: TestDatabase.logger).decode(String.self) { mismatches.append(s) }
            #expect(mismatches.isEmpty, "\(mismatches.map { Array($0.unicodeScalars) })")
            // And the definition in force is 0014's, not 0005's.
            var languages: [String] = []
            for try await name in try await db.query(
                "SELECT l.lanname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang WHERE p.proname = 'mailbox_bigrams'",
                logger: TestDatabase.logger).decode(String.self) { languages.append(name) }
            #expect(languages == ["plpgsql"])
        }
    }

    @Test("Letters indexed under 0005's bigram function are found through the index after migration 0014")
    func bigramIndexSurvivesUpgrade() async throws {
        try await TestDatabase.withDatabase(migrated: false) { db, _ in
            let all = try Migrator(directory: TestDatabase.migrationsDirectory)
            try await Migrator(migrations: all.migrations.filter { $0.version < 14 }).migrate(client: db, logger: TestDatabase.logger)
            try await db.query(
                """
                INSERT INTO letters (tracking_no, channel, category, title, body, writer_name, phone, publish_consent,
                    citizen_key, query_code_hash, status, received_at)
                SELECT 'U-' || g, 'portal', 'help', (ARRAY['供暖', 'Wifi信号', '道路'])[1 + g % 3] || '问题' || g,
                       repeat((ARRAY['小区暖气不热', '路灯不亮ABC', '噪音扰民😀'])[1 + g % 7 % 3], 1 + g % 4),
                       '某', '13800138000', false, 'k', decode(md5(g::text), 'hex'), 'received', now()
                FROM generate_series(1, 3000) AS g
                """, logger: TestDatabase.logger)
            let applied = try await all.migrate(client: db, logger: TestDatabase.logger)
            #expect(applied.map(\.version) == [14])
            // The work list's own free-text statement, on one connection, once with the index forced and once without.
            try await db.withConnection { connection in
                for needle in ["供暖问题", "wifi信", "WIFI信号", "灯不亮abc", "ABC", "音扰民😀", "道路问题29"] {
                    var q = WorkListQuery()
                    q.text = needle
                    q.limit = 5000
                    let sql = WorkListSQL(q, scope: .all)
                    func matches(_ settings: String...) async throws -> (count: Int, plan: String) {
                        for setting in settings {
                            _ = try await connection.query(PostgresQuery(unsafeSQL: "SET " + setting), logger: TestDatabase.logger)
                        }
                        var plan = ""
                        for try await line in try await connection.query(PostgresQuery(unsafeSQL: "EXPLAIN " + sql.literalSQL),
                                                                         logger: TestDatabase.logger).decode(String.self) { plan += line + "\n" }
                        let page = try await WorkListSQL.decode(try await connection.query(sql.query, logger: TestDatabase.logger), query: q)
                        return (page.items.count, plan)
                    }
                    let viaIndex = try await matches("enable_seqscan = off", "enable_indexscan = off", "enable_bitmapscan = on")
                    #expect(viaIndex.plan.contains("letters_text_bigram_idx"), "\(viaIndex.plan)")
                    let scanned = try await matches("enable_seqscan = on", "enable_indexscan = on", "enable_bitmapscan = off")
                    #expect(!scanned.plan.contains("letters_text_bigram_idx"), "\(scanned.plan)")
                    #expect(viaIndex.count == scanned.count && scanned.count > 0,
                            "\(needle): \(viaIndex.count) through the index, \(scanned.count) scanned")
                }
            }
        }
    }

    @Test("The hand-written work-list JSON says what JSONEncoder would")
    func workListJSON() throws {
        typealias C = LettersController<PostgresLetterStore, CalendarStore, PostgresStaffStore>
        let t = Date(timeIntervalSince1970: 1_764_480_000.123)
        let items = [
            C.ListItem(trackingNo: "2026-0000001", status: .processing, category: .complaint, channel: .app,
                       title: "标题 \"引号\" \\ 与换行\n", town: "鼓楼街道", departmentId: "housing", department: "区住房城乡建设委",
                       cohandlers: ["water", "gulou"], receivedAt: t, dueAt: t.addingTimeInterval(86400), warnAt: t.addingTimeInterval(3600),
                       slaState: "running", slaProvisional: true, overdue: true, supervised: false, pendingExtension: true, version: 7),
            C.ListItem(trackingNo: "2026-0000002", status: .received, category: .help, channel: .portal, title: "t", town: nil,
                       departmentId: nil, department: nil, cohandlers: [], receivedAt: t, dueAt: nil, warnAt: nil,
                       slaState: "calendar_incomplete", slaProvisional: false, overdue: false, supervised: true, pendingExtension: false, version: 1),
        ]
        for cursor in [nil, "ZHVlfDEy"] as [String?] {
            let hand = try JSONSerialization.jsonObject(with: Data(C.json(items, nextCursor: cursor))) as? NSDictionary
            let encoded = try JSONSerialization.jsonObject(
                with: MailboxJSON.encoder().encode(C.ListPage(items: items, nextCursor: cursor))) as? NSDictionary
            #expect(hand != nil && hand == encoded)
        }
    }

    @Test("Imported letters with a department_id are owned by it and scoped like new ones")
    func importedOwnership() async throws {
        try await TestApp.run { app, http in
            let line = ImportTests.line(["tracking_no": "2024-0000900", "received_at": "2024-09-30T16:00:00+08:00",
                                         "status": "processing", "department_id": "water"])
            #expect(try await ImportTests.post(http, [line]).status == .ok)
            let water = try await app.session(.handler, department: "water")
            let housing = try await app.session(.handler, department: "housing")
            #expect(try await http.staff("/v1/letters/2024-0000900", token: water).status == .ok)
            #expect(try await http.staff("/v1/letters/2024-0000900", token: housing).status == .notFound)
        }
    }
}
