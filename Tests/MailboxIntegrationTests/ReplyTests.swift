import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import MailboxAPI
import MailboxCore
import MailboxStore
import NIOCore
import PostgresNIO
import Testing

/// Replies against real PostgreSQL: review before release, 错敏字 findings, ratings and 重办,
/// disclosure with masking, and the outbox rows the app's notifications are sent from.
@Suite("Replies")
struct ReplyTests {
    static let disp = TestApp.dispatcherToken

    struct Actors {
        var handler: String
        var lead: String
    }

    static func actors(_ app: TestApp, _ department: String = "housing") async throws -> Actors {
        Actors(handler: try await app.session(.handler, department: department),
               lead: try await app.session(.lead, department: department))
    }

    /// A portal letter routed to housing, signed and started: (tracking, query code).
    static func workingLetter(_ http: any TestClientProtocol, _ a: Actors, _ overrides: [String: Any?] = [:]) async throws
        -> (String, String)
    {
        let r = try await http.postLetter(letterJSON(overrides))
        #expect(r.status == .created, "\(String(buffer: r.body))")
        let created = decodeObject(r.body)
        let t = try #require(created["tracking_no"] as? String)
        let code = try #require(created["query_code"] as? String)
        try await work(http, t, a)
        return (t, code)
    }

    static func work(_ http: any TestClientProtocol, _ t: String, _ a: Actors) async throws {
        #expect(try await http.act(t, "accept", token: disp).status == .ok)
        #expect(try await http.act(t, "route", ["department_id": "housing"], token: disp).status == .ok)
        #expect(try await http.act(t, "sign", token: a.handler).status == .ok)
        #expect(try await http.act(t, "start", token: a.handler).status == .ok)
    }

    /// Drafts `text`, submits it and approves it at every step.
    static func release(_ http: any TestClientProtocol, _ t: String, _ a: Actors, _ text: String) async throws {
        let d = try await http.act(t, "draft-reply", ["text": text], token: a.handler)
        #expect(d.status == .ok, "\(String(buffer: d.body))")
        #expect(try await http.act(t, "submit-reply", token: a.handler).status == .ok)
        var approvals = 0
        while decodeObject(try await http.staff("/v1/letters/\(t)", token: disp).body)["status"] as? String == "reviewing" {
            let stage = (decodeObject(try await http.staff("/v1/letters/\(t)", token: disp).body)["review"] as? [String: Any])?["stage"]
            let r = try await http.act(t, "approve-reply", token: stage as? String == "dispatcher" ? disp : a.lead)
            #expect(r.status == .ok, "\(String(buffer: r.body))")
            approvals += 1
            if approvals > 2 { break }
        }
    }

    static func lookup(_ http: any TestClientProtocol, _ t: String, _ code: String) async throws -> [String: Any] {
        let r = try await http.execute(uri: "/v1/public/letters/\(t)", method: .get, headers: [.init("X-Query-Code")!: code])
        #expect(r.status == .ok)
        return decodeObject(r.body)
    }

    @Test("No endpoint shows an unapproved draft; the final approval releases it, closes the letter and stops the clock")
    func draftsStayInside() async throws {
        try await TestApp.run { app, http in
            let a = try await Self.actors(app)
            let secret = "草稿内容甲乙丙丁"
            let (t, code) = try await Self.workingLetter(http, a, ["category": "complaint", "publish_consent": true])
            // Writing a reply is no longer a plain close.
            #expect(try await http.act(t, "close", ["reply": "x"], token: a.handler).status == .notFound)
            #expect(try await http.act(t, "submit-reply", token: a.handler).status == .conflict)
            #expect(try await http.act(t, "draft-reply", ["text": secret], token: a.handler).status == .ok)
            #expect(try await http.act(t, "submit-reply", token: a.handler).status == .ok)

            func visibleOutside() async throws -> Bool {
                let answers = [
                    try await http.execute(uri: "/v1/public/letters/\(t)", method: .get, headers: [.init("X-Query-Code")!: code]),
                    try await http.execute(uri: "/v1/public/replies", method: .get),
                    try await http.execute(uri: "/v1/public/replies/\(t)", method: .get),
                ]
                let rows = try await app.count("app_deliveries WHERE payload LIKE '%\(secret)%'")
                return answers.contains { String(buffer: $0.body).contains(secret) } || rows > 0
            }
            #expect(try await visibleOutside() == false)
            // Staff see the draft (not as the reply), the review step and the findings.
            let staffView = decodeObject(try await http.staff("/v1/letters/\(t)", token: a.lead).body)
            #expect(staffView["status"] as? String == "reviewing" && staffView["reply"] == nil)
            #expect((staffView["reply_draft"] as? [String: Any])?["text"] as? String == secret)
            #expect((staffView["review"] as? [String: Any])?["steps"] as? String == "lead_centre")
            // The handler cannot approve; the lead approves the first step; still not released.
            #expect(try await http.act(t, "approve-reply", token: a.handler).status == .forbidden)
            #expect(try await http.act(t, "approve-reply", token: a.lead).status == .ok)
            #expect(try await visibleOutside() == false)
            let endorsed = decodeObject(try await http.staff("/v1/letters/\(t)", token: Self.disp).body)
            #expect(endorsed["status"] as? String == "reviewing" && endorsed["closed_at"] == nil)
            #expect(try await http.act(t, "approve-reply", token: a.lead).status == .forbidden)
            #expect(try await http.act(t, "approve-reply", token: Self.disp).status == .ok)

            let closed = decodeObject(try await http.staff("/v1/letters/\(t)", token: Self.disp).body)
            #expect(closed["status"] as? String == "closed" && closed["reply"] as? String == secret)
            #expect(closed["sla_state"] as? String == "stopped" && closed["reply_draft"] == nil)
            let looked = try await Self.lookup(http, t, code)
            #expect((looked["reply"] as? [String: Any])?["text"] as? String == secret)
            #expect((looked["rating_form"] as? [String: Any])?["round"] as? Int == 1)
            #expect(try await app.count("letter_replies WHERE released_at IS NOT NULL") == 1)
        }
    }

    @Test("A reviewer sends the draft back with a comment; revisions are kept; consultations need the lead only")
    func returnAndRevise() async throws {
        try await TestApp.run { app, http in
            let a = try await Self.actors(app)
            let (t, _) = try await Self.workingLetter(http, a)
            #expect(try await http.act(t, "draft-reply", ["text": "第一稿"], token: a.handler).status == .ok)
            #expect(try await http.act(t, "submit-reply", token: a.handler).status == .ok)
            #expect(try await http.act(t, "draft-reply", ["text": "审核中改稿"], token: a.handler).status == .conflict)
            #expect(try await http.act(t, "return-reply", [:], token: a.lead).status == .unprocessableContent)
            #expect(try await http.act(t, "return-reply", ["comment": "请写明政策依据"], token: a.lead).status == .ok)
            #expect(try await http.act(t, "draft-reply", ["text": "第二稿"], token: a.handler).status == .ok)
            let view = decodeObject(try await http.staff("/v1/letters/\(t)", token: a.handler).body)
            #expect(view["status"] as? String == "processing")
            #expect((view["reply_draft"] as? [String: Any])?["revision"] as? Int == 2)
            #expect(try await http.act(t, "submit-reply", token: a.handler).status == .ok)
            #expect(try await http.act(t, "approve-reply", token: a.lead).status == .ok)
            let closed = decodeObject(try await http.staff("/v1/letters/\(t)", token: a.handler).body)
            #expect(closed["status"] as? String == "closed" && closed["reply"] as? String == "第二稿")
            #expect(try await app.count("letter_replies") == 2)
            #expect(try await app.count("letter_events WHERE kind = 'reply_returned' AND data->>'comment' = '请写明政策依据'") == 1)
        }
    }

    @Test("A transfer drops the draft; masked views mask replies; a letter withheld before its release never appears")
    func transferMaskWithhold() async throws {
        try await TestApp.run { app, http in
            let a = try await Self.actors(app)
            let (t, _) = try await Self.workingLetter(http, a, ["writer_name": "赵大宝", "publish_consent": true])
            #expect(try await http.act(t, "draft-reply", ["text": "赵大宝您好，请致电13912345678。"], token: a.handler).status == .ok)
            let auditor = try await app.session(.auditor)
            let masked = decodeObject(try await http.staff("/v1/letters/\(t)", token: auditor).body)
            let maskedDraft = (masked["reply_draft"] as? [String: Any])?["text"] as? String ?? ""
            #expect(!maskedDraft.isEmpty && !maskedDraft.contains("赵大宝") && !maskedDraft.contains("13912345678"))
            #expect(try await http.act(t, "transfer", ["department_id": "water", "reason": "属水务局职责"], token: Self.disp).status == .ok)
            #expect(decodeObject(try await http.staff("/v1/letters/\(t)", token: Self.disp).body)["reply_draft"] == nil)
            #expect(try await app.count("letter_replies") == 1)

            let (early, _) = try await Self.workingLetter(http, a, ["publish_consent": true])
            #expect(try await http.act(early, "withhold", ["reason": "涉及未公开事项"], token: Self.disp).status == .ok)
            try await Self.release(http, early, a, "答复丁")
            #expect(try await http.execute(uri: "/v1/public/replies/\(early)", method: .get).status == .notFound)
            #expect(try await http.act(early, "withhold", ["reason": "again"], token: Self.disp).status == .conflict)
        }
    }

    @Test("错敏字 findings refuse approval unless overridden with a reason, which the trail keeps; lists are admin-managed")
    func findingsBlockApproval() async throws {
        try await TestApp.run { app, http in
            let a = try await Self.actors(app)
            let (t, _) = try await Self.workingLetter(http, a)
            #expect(try await http.act(t, "draft-reply", ["text": "您反映的密云县某小区问题已按装完毕。"], token: a.handler).status == .ok)
            let view = decodeObject(try await http.staff("/v1/letters/\(t)", token: a.handler).body)
            let findings = (view["reply_draft"] as? [String: Any])?["findings"] as? [[String: Any]] ?? []
            #expect(Set(findings.compactMap { $0["matched"] as? String }) == ["密云县", "按装"])
            #expect(findings.contains { $0["suggestion"] as? String == "密云区" })
            #expect(try await http.act(t, "submit-reply", token: a.handler).status == .ok)
            let refused = try await http.act(t, "approve-reply", token: a.lead)
            #expect(refused.status == .unprocessableContent, "\(String(buffer: refused.body))")
            #expect(String(buffer: refused.body).contains("override_reason"))
            // An admin clears the typo list: one finding stays.
            let cleared = try await http.staff("/v1/word-lists/typos", method: .put, body: ["kind": "typo", "entries": [] as [Any]])
            #expect(cleared.status == .ok, "\(String(buffer: cleared.body))")
            #expect(try await app.count("admin_changes WHERE entity = 'word_list' AND entity_id = 'typos'") == 1)
            let check = decodeObject(try await http.staff("/v1/checks/text", method: .post, body: ["text": "密云县按装"], token: a.handler).body)
            #expect((check["findings"] as? [Any])?.count == 1)
            #expect(try await http.act(t, "approve-reply", token: a.lead).status == .unprocessableContent)
            let overridden = try await http.act(t, "approve-reply", ["override_reason": "引用历史文件原文"], token: a.lead)
            #expect(overridden.status == .ok, "\(String(buffer: overridden.body))")
            #expect(try await app.count("letter_events WHERE kind = 'closed' AND data->>'override_reason' = '引用历史文件原文'") == 1)
        }
    }

    @Test("不满意 within the window reopens the letter once, to the same department with a new clock; a reply is rated once")
    func ratingsReopenOnce() async throws {
        try await TestApp.run { app, http in
            let a = try await Self.actors(app)
            let (t, code) = try await Self.workingLetter(http, a)
            let early = try await http.execute(uri: "/v1/public/letters/\(t)/rating", method: .post,
                                               headers: [.init("X-Query-Code")!: code, .contentType: "application/json"],
                                               body: jsonBuffer(["satisfaction": "satisfied", "resolved": true]))
            #expect(early.status == .conflict)
            try await Self.release(http, t, a, "第一次答复")
            func rate(_ body: [String: Any], code: String = code) async throws -> TestResponse {
                try await http.execute(uri: "/v1/public/letters/\(t)/rating", method: .post,
                                       headers: [.init("X-Query-Code")!: code, .contentType: "application/json"], body: jsonBuffer(body))
            }
            #expect(try await rate(["satisfaction": "不满意", "resolved": false], code: "wrong-code").status == .notFound)
            #expect(try await rate(["satisfaction": "so-so", "resolved": false]).status == .unprocessableContent)
            let first = try await rate(["satisfaction": "不满意", "resolved": false, "comment": "问题没有解决"])
            #expect(first.status == .ok, "\(String(buffer: first.body))")
            let reopened = decodeObject(try await http.staff("/v1/letters/\(t)", token: a.handler).body)
            #expect(reopened["status"] as? String == "processing" && reopened["department_id"] as? String == "housing")
            #expect(reopened["reopened_at"] != nil && reopened["sla_state"] as? String == "running")
            #expect(try await app.count("letter_events WHERE kind = 'reopened'") == 1)
            #expect(try await rate(["satisfaction": "满意", "resolved": true]).status == .conflict)

            try await Self.release(http, t, a, "第二次答复")
            let looked = try await Self.lookup(http, t, code)
            #expect((looked["reply"] as? [String: Any])?["text"] as? String == "第二次答复")
            #expect((looked["rating_form"] as? [String: Any])?["round"] as? Int == 2)
            let second = try await rate(["satisfaction": "dissatisfied", "resolved": false])
            #expect(second.status == .ok)
            let final = decodeObject(try await http.staff("/v1/letters/\(t)", token: a.handler).body)
            #expect(final["status"] as? String == "closed" && final["release_round"] as? Int == 2)
            #expect(try await app.count("letter_events WHERE kind = 'reopened'") == 1)
            #expect(try await app.count("letter_ratings") == 2)
            #expect(try await rate(["satisfaction": "dissatisfied", "resolved": false]).status == .ok) // same again: accepted as is
            #expect(try await app.count("letter_ratings") == 2)
        }
    }

    @Test("The app rates through a signed delivery; unsigned ones are refused")
    func appRating() async throws {
        try await TestApp.run { app, http in
            let a = try await Self.actors(app)
            let delivered = try await http.deliver(jsonBuffer(letterJSON(["app_letter_id": "app-rate-1"])))
            let t = try #require(decodeObject(delivered.body)["tracking_no"] as? String)
            try await Self.work(http, t, a)
            try await Self.release(http, t, a, "已答复")
            let body = jsonBuffer(["app_letter_id": "app-rate-1", "satisfaction": "basically_satisfied", "resolved": true])
            let badBody = jsonBuffer(["satisfaction": "很好"])
            let ts0 = String(Int(Date().timeIntervalSince1970))
            let bad = try await http.execute(uri: "/v1/intake/app/rating", method: .post,
                                             headers: [.contentType: "application/json", .init("X-Mailbox-Timestamp")!: ts0,
                                                       .init("X-Mailbox-Signature")!: WebhookVerifier.sign(
                                                           secret: TestApp.webhookSecret, timestamp: ts0, body: Data(buffer: badBody))],
                                             body: badBody)
            #expect(bad.status == .unprocessableContent)
            let fields = (decodeObject(bad.body)["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
            #expect(Set(fields) == ["app_letter_id", "satisfaction", "resolved"])
            let unsigned = try await http.execute(uri: "/v1/intake/app/rating", method: .post,
                                                  headers: [.contentType: "application/json"], body: body)
            #expect(unsigned.status == .unauthorized)
            let ts = String(Int(Date().timeIntervalSince1970))
            let sig = WebhookVerifier.sign(secret: TestApp.webhookSecret, timestamp: ts, body: Data(buffer: body))
            let signed = try await http.execute(uri: "/v1/intake/app/rating", method: .post,
                                                headers: [.contentType: "application/json", .init("X-Mailbox-Timestamp")!: ts,
                                                          .init("X-Mailbox-Signature")!: sig], body: body)
            #expect(signed.status == .ok, "\(String(buffer: signed.body))")
            #expect(try await app.count("letter_ratings WHERE channel = 'app' AND satisfaction = 'basically_satisfied'") == 1)
        }
    }

    @Test("Outbox rows come with the change in its transaction: a rolled-back change leaves none; one row per public app event")
    func outboxIsTransactional() async throws {
        try await TestApp.run { app, http in
            let a = try await Self.actors(app)
            let portal = try await Self.workingLetter(http, a).0
            let delivered = try await http.deliver(jsonBuffer(letterJSON(["app_letter_id": "app-outbox-1"])))
            let t = try #require(decodeObject(delivered.body)["tracking_no"] as? String)
            try await Self.work(http, t, a)
            // accepted, routed, signed: three public changes of the app letter; none for the portal one.
            #expect(try await app.count("app_deliveries") == 3)
            #expect(try await app.count("app_deliveries o JOIN letters l ON l.id = o.letter_id WHERE l.tracking_no = '\(portal)'") == 0)
            let before = try await app.count("app_deliveries")
            do {
                try await app.db.withTransaction(logger: TestDatabase.logger) { tx in
                    try await tx.query(
                        """
                        INSERT INTO letter_events (letter_id, version, kind, occurred_at, actor, public)
                        SELECT id, version + 1, 'sla_paused', now(), 'test', true FROM letters WHERE tracking_no = \(t)
                        """, logger: TestDatabase.logger)
                    throw CancellationError()
                }
            } catch {
                // Rolled back on purpose (PostgresNIO wraps the closure's error).
                #expect(String(reflecting: error).contains("CancellationError"))
            }
            #expect(try await app.count("app_deliveries") == before)
            try await Self.release(http, t, a, "答复内容")
            let replied = try await app.count("app_deliveries WHERE kind = 'replied' AND payload::jsonb->'reply'->>'text' = '答复内容'")
            #expect(replied == 1)
            #expect(try await app.count("app_deliveries WHERE payload::jsonb->>'app_letter_id' = 'app-outbox-1'") == before + 1)
            let ids = try await app.count("(SELECT DISTINCT delivery_id FROM app_deliveries) d")
            #expect(ids == before + 1)
        }
    }

    @Test("Disclosure: only consenting, released, non-report, not withheld letters, with personal data masked everywhere")
    func disclosure() async throws {
        try await TestApp.run { app, http in
            let a = try await Self.actors(app)
            let body = "我是王小明，住在鼓楼街道滨河小区3号楼2单元501室，电话13912345678，身份证110228199001011232，邮箱wangxm@example.com。"
            let (shown, _) = try await Self.workingLetter(http, a, ["writer_name": "王小明", "publish_consent": true, "body": body,
                                                                   "title": "王小明反映供暖问题"])
            try await Self.release(http, shown, a, "王小明您好，已联系您（13912345678）并上门查看3号楼2单元501室的供暖。")
            let (noConsent, _) = try await Self.workingLetter(http, a, ["publish_consent": false])
            try await Self.release(http, noConsent, a, "答复甲")
            let (report, _) = try await Self.workingLetter(http, a, ["publish_consent": true, "category": "report"])
            try await Self.release(http, report, a, "答复乙")
            let (withheld, _) = try await Self.workingLetter(http, a, ["publish_consent": true])
            try await Self.release(http, withheld, a, "答复丙")
            let w = try await http.act(withheld, "withhold", ["reason": "涉及第三方"], token: Self.disp)
            #expect(w.status == .ok, "\(String(buffer: w.body))")
            let (unreleased, _) = try await Self.workingLetter(http, a, ["publish_consent": true])
            _ = unreleased

            let page = decodeObject(try await http.execute(uri: "/v1/public/replies", method: .get).body)
            let items = page["items"] as? [[String: Any]] ?? []
            #expect(items.compactMap { $0["tracking_no"] as? String } == [shown])
            let text = String(buffer: try await http.execute(uri: "/v1/public/replies/\(shown)", method: .get).body)
            for secret in ["王小明", "小明", "13912345678", "1234", "110228199001011232", "19900101", "wangxm", "滨河小区", "501"] {
                #expect(!text.contains(secret), "\(secret) published in \(text)")
            }
            #expect(text.contains("鼓楼街道") && text.contains("王*"))
            for hidden in [noConsent, report, withheld] {
                #expect(try await http.execute(uri: "/v1/public/replies/\(hidden)", method: .get).status == .notFound)
            }
            #expect(try await http.execute(uri: "/v1/public/replies?category=report", method: .get).status == .unprocessableContent)
            #expect(try await http.execute(uri: "/v1/public/replies?month=2026-13", method: .get).status == .unprocessableContent)
        }
    }
}

/// docs/openapi.yaml is the contract: every staff route the router registers is documented with
/// its method and its right, and every documented staff path exists.
@Suite("OpenAPI contract")
struct OpenAPIContractTests {
    /// path → method → the lines of that operation, from the `paths:` section.
    static func operations() throws -> [String: [String: [Substring]]] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
        var result: [String: [String: [Substring]]] = [:]
        var inPaths = false, path: String?, method: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") && !line.isEmpty { inPaths = line == "paths:"; path = nil; method = nil; continue }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
                method = nil
            } else if let p = path, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let m = String(line.dropFirst(4).dropLast())
                if ["get", "post", "put", "patch", "delete"].contains(m) {
                    method = m
                    result[p, default: [:]][m] = []
                } else {
                    method = nil
                }
            } else if let p = path, let m = method {
                result[p]![m]!.append(line)
            }
        }
        return result
    }

    @Test("Every staff route is documented with its method and right; every documented staff path is routed")
    func staffRoutesDocumented() async throws {
        let ops = try Self.operations()
        #expect(ops.count >= 50 && ops["/v1/letters/{tracking}/approve-reply"]?["post"] != nil)
        try await TestApp.run { app, _ in
            #expect(app.staffEndpoints.count >= 40)
            var routed: Set<String> = []
            for e in app.staffEndpoints {
                let path = e.path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
                    .joined(separator: "/")
                let method = e.method.rawValue.lowercased()
                routed.insert("\(method) /\(path)")
                let lines = ops["/" + path]?[method]
                #expect(lines != nil, "\(method.uppercased()) /\(path) is not in docs/openapi.yaml")
                #expect(lines?.contains { $0.contains("x-permission: \(e.permission.rawValue)") } == true,
                        "\(method.uppercased()) /\(path): x-permission should be \(e.permission.rawValue)")
            }
            for (path, methods) in ops {
                for (method, lines) in methods where lines.contains(where: { $0.contains("x-permission:") }) {
                    #expect(routed.contains("\(method) \(path)"), "\(method.uppercased()) \(path) is documented but not routed")
                }
            }
        }
    }
}
