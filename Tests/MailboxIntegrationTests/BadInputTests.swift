import Foundation
import HTTPTypes
import HummingbirdTesting
import MailboxAPI
import MailboxCore
import NIOCore
import Testing

/// Every malformed request answers 4xx problem+json naming the field, and stores nothing.
@Suite("Bad input is refused with problem+json and nothing stored")
struct BadInputTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var body: [UInt8]
        var status: HTTPResponse.Status
        var field: String?
        var contentType = "application/json"
        var testDescription: String { name }
    }

    static func json(_ object: Any) -> [UInt8] { Array(try! JSONSerialization.data(withJSONObject: object)) }

    static let cases: [Case] = [
        Case(name: "invalid JSON", body: Array(#"{"category": "consultation", "title": "#.utf8), status: .badRequest, field: nil),
        Case(name: "JSON array instead of object", body: Array("[1,2]".utf8), status: .badRequest, field: nil),
        Case(name: "empty body", body: [], status: .badRequest, field: nil),
        Case(name: "title of the wrong type", body: json(letterJSON(["title": 5])), status: .unprocessableContent, field: "title"),
        Case(name: "consent of the wrong type", body: json(letterJSON(["publish_consent": "yes"])), status: .unprocessableContent, field: "publish_consent"),
        Case(name: "null body text", body: json(letterJSON(["body": NSNull()])), status: .unprocessableContent, field: "body"),
        Case(name: "missing title", body: json(letterJSON(["title": nil])), status: .unprocessableContent, field: "title"),
        Case(name: "missing phone", body: json(letterJSON(["phone": nil])), status: .unprocessableContent, field: "phone"),
        Case(name: "missing consent", body: json(letterJSON(["publish_consent": nil])), status: .unprocessableContent, field: "publish_consent"),
        Case(name: "unknown category", body: json(letterJSON(["category": "praise"])), status: .unprocessableContent, field: "category"),
        Case(name: "unknown channel", body: json(letterJSON(["channel": "fax"])), status: .unprocessableContent, field: "channel"),
        Case(name: "empty title", body: json(letterJSON(["title": "   "])), status: .unprocessableContent, field: "title"),
        Case(name: "oversized title", body: json(letterJSON(["title": String(repeating: "长", count: LetterLimits.title + 1)])),
             status: .unprocessableContent, field: "title"),
        Case(name: "empty body text", body: json(letterJSON(["body": ""])), status: .unprocessableContent, field: "body"),
        Case(name: "oversized body text", body: json(letterJSON(["body": String(repeating: "字", count: LetterLimits.body + 1)])),
             status: .unprocessableContent, field: "body"),
        Case(name: "control character in title", body: json(letterJSON(["title": "a\u{07}b"])), status: .unprocessableContent, field: "title"),
        Case(name: "invalid phone", body: json(letterJSON(["phone": "12345"])), status: .unprocessableContent, field: "phone"),
        Case(name: "phone with letters", body: json(letterJSON(["phone": "1380013800a"])), status: .unprocessableContent, field: "phone"),
        Case(name: "ID number with a wrong check digit", body: json(letterJSON(["id_card": "110101199003077578"])),
             status: .unprocessableContent, field: "id_card"),
        Case(name: "ID number with an impossible birth date", body: json(letterJSON(["id_card": "110101199002307574"])),
             status: .unprocessableContent, field: "id_card"),
        Case(name: "non-UTF-8 bytes", body: Array(#"{"category":"consultation","title":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8),
             status: .badRequest, field: nil),
        Case(name: "oversized request body", body: json(letterJSON(["body": String(repeating: "x", count: 70_000)])),
             status: .contentTooLarge, field: nil),
        Case(name: "wrong content type", body: json(letterJSON()), status: .unsupportedMediaType, field: nil, contentType: "text/plain"),
        // null is not a value: an optional field sent as null is refused, naming it (the decoder alone reads it as absent).
        Case(name: "optional town as null", body: json(letterJSON(["town": NSNull()])), status: .unprocessableContent, field: "town"),
        Case(name: "optional ID number as null", body: json(letterJSON(["id_card": NSNull()])), status: .unprocessableContent, field: "id_card"),
        // Lengths count the value as sent (JSON Schema's maxLength), surrounding whitespace included.
        Case(name: "title within the limit only once trimmed", body: json(letterJSON(["title": " " + String(repeating: "长", count: LetterLimits.title)])),
             status: .unprocessableContent, field: "title"),
        Case(name: "blank town longer than its limit", body: json(letterJSON(["town": String(repeating: "\u{85}", count: LetterLimits.town + 1)])),
             status: .unprocessableContent, field: "town"),
        // Well-formed JSON with a number no field can take is a 422, not "invalid JSON".
        Case(name: "a number out of range", body: Array(#"{"category":"consultation","title":"t","body":"b","writer_name":"w","phone":"13800138000","publish_consent":false,"channel":1e999999}"#.utf8),
             status: .unprocessableContent, field: nil),
    ]

    @Test("Portal", arguments: cases)
    func portal(_ c: Case) async throws {
        try await TestApp.run { app, http in
            let r = try await http.execute(uri: "/v1/letters", method: .post, headers: [.contentType: c.contentType],
                                           body: ByteBuffer(bytes: c.body))
            try Self.check(r, c)
            #expect(try await app.count("letters") == 0)
            #expect(try await app.count("letter_events") == 0)
        }
    }

    @Test("App webhook (validly signed)", arguments: cases)
    func app(_ c: Case) async throws {
        try await TestApp.run { app, http in
            var body = c.body
            // Give valid JSON objects an app id so that only the case's own fault remains.
            if var object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] {
                object["app_letter_id"] = "bad-\(abs(c.name.hashValue))"
                if c.field == "channel" { object["channel"] = "portal" }
                body = Self.json(object)
            }
            let ts = String(Int(Date().timeIntervalSince1970))
            let r = try await http.execute(
                uri: "/v1/intake/app", method: .post,
                headers: [.contentType: c.contentType, .init("X-Mailbox-Timestamp")!: ts,
                          .init("X-Mailbox-Signature")!: WebhookVerifier.sign(secret: TestApp.webhookSecret, timestamp: ts, body: body)],
                body: ByteBuffer(bytes: body))
            try Self.check(r, c)
            #expect(try await app.count("letters") == 0)
        }
    }

    @Test("A method a path does not declare answers 405 with Allow (before authentication); an unknown path 404")
    func methodNotAllowed() async throws {
        try await TestApp.run { app, http in
            for (method, path, allow) in [(HTTPRequest.Method.delete, "/v1/letters", "GET, POST"),
                                          (.put, "/readyz", "GET"),
                                          (.patch, "/v1/public/letters/2026-0000001", "GET"),
                                          (.get, "/v1/intake/app", "POST"),
                                          (.options, "/v1/letters/batch-route", "POST")] {
                let r = try await http.execute(uri: path, method: method)
                #expect(r.status == .methodNotAllowed, "\(method) \(path)")
                #expect(r.headers[.allow] == allow, "\(method) \(path)")
                #expect(r.headers[.contentType] == "application/problem+json")
            }
            #expect(try await http.execute(uri: "/v1/no-such-thing", method: .get).status == .notFound)
            #expect(try await http.execute(uri: "/v1/letters/2026-0000001/no-such-action", method: .post).status != .methodNotAllowed)
            #expect(try await app.count("letters") == 0)
        }
    }

    @Test("null under a key the request does not read is ignored, like any unknown key; a lone surrogate escape reads as U+FFFD")
    func nullUnknownKeyAndLoneSurrogate() async throws {
        try await TestApp.run { app, http in
            let ok = try await http.postLetter(letterJSON(["x_extra": NSNull(), "x_nested": ["a": NSNull()]]))
            #expect(ok.status == .created, "\(String(buffer: ok.body))")
            // JSON's grammar allows an escaped lone UTF-16 surrogate; Foundation alone would refuse the whole body.
            var body = String(decoding: Self.json(letterJSON()), as: UTF8.self)
            body.removeLast()
            body += #","x_key\ud800":1,"x_value":"\udc00"}"#
            let lone = try await http.execute(uri: "/v1/letters", method: .post, headers: [.contentType: "application/json"],
                                              body: ByteBuffer(string: body))
            #expect(lone.status == .created, "\(String(buffer: lone.body))")
            #expect(try await app.count("letters") == 2)
        }
    }

    @Test("Malformed query values are refused: an empty work-list filter, a dashboard period (before sign-in)")
    func malformedQueries() async throws {
        try await TestApp.run { app, http in
            let empty = try await http.staff("/v1/letters?status=", token: TestApp.dispatcherToken)
            #expect(empty.status == .unprocessableContent)
            #expect(decodeObject(empty.body)["field"] as? String == "status")
            let twoCommas = try await http.staff("/v1/letters?status=received,,closed", token: TestApp.dispatcherToken)
            #expect(twoCommas.status == .unprocessableContent)
            let good = try await http.staff("/v1/letters?status=received,reviewing", token: TestApp.dispatcherToken)
            #expect(good.status == .ok)
            // The dashboard checks its query before the session: a bad date is 422 even without a cookie.
            let page = try await http.execute(uri: "/dashboard?to=", method: .get)
            #expect(page.status == .unprocessableContent)
            let noCookie = try await http.execute(uri: "/dashboard?to=2026-01-31", method: .get)
            #expect(noCookie.status == .seeOther)
        }
    }

    @Test("Batch routing checks every item's shape first: one malformed item changes nothing")
    func batchRouteShape() async throws {
        try await TestApp.run { app, http in
            let created = decodeObject(try await http.postLetter(letterJSON()).body)
            let tracking = try #require(created["tracking_no"] as? String)
            _ = try await http.act(tracking, "accept", token: TestApp.dispatcherToken)
            let before = try await app.count("letter_events")
            for bad: [String: Any] in [["tracking_no": "x y", "version": 1, "department_id": "water"],
                                       ["tracking_no": "2026-0000001", "version": 0, "department_id": "water"],
                                       ["tracking_no": "2026-0000001", "version": 1, "department_id": "water", "cohandlers": ["gov-office", "gov-office"]]] {
                let r = try await http.staff("/v1/letters/batch-route", method: .post,
                                             body: ["items": [["tracking_no": tracking, "version": 2, "department_id": "water"], bad]],
                                             token: TestApp.dispatcherToken)
                #expect(r.status == .unprocessableContent, "\(bad): \(String(buffer: r.body))")
            }
            #expect(try await app.count("letter_events") == before)
        }
    }

    @Test("U+0000 in an id the database is only asked about is a 422, not a server error")
    func nulInIdentifier() async throws {
        try await TestApp.run { app, http in
            let before = try await app.count("staff_users")
            let r = try await http.staff("/v1/users", method: .post,
                                         body: ["username": "nul.test", "role": "handler", "department_id": "\u{0}x"])
            #expect(r.status == .unprocessableContent, "\(String(buffer: r.body))")
            let q = try await http.staff("/v1/letters?department=%00", token: TestApp.dispatcherToken)
            #expect(q.status.code < 500, "\(String(buffer: q.body))")
            #expect(try await app.count("staff_users") == before)
        }
    }

    @Test("Webhook without app_letter_id names the field")
    func missingAppID() async throws {
        try await TestApp.run { app, http in
            let r = try await http.deliver(jsonBuffer(letterJSON()))
            #expect(r.status == .unprocessableContent)
            #expect(decodeObject(r.body)["field"] as? String == "app_letter_id")
            #expect(try await app.count("letters") == 0)
        }
    }

    static func check(_ r: TestResponse, _ c: Case) throws {
        #expect(r.status == c.status, "\(c.name): \(String(buffer: r.body))")
        #expect(r.headers[.contentType] == "application/problem+json")
        let problem = decodeObject(r.body)
        #expect(problem["status"] as? Int == c.status.code)
        #expect((problem["title"] as? String)?.isEmpty == false)
        if let field = c.field {
            let fields = (problem["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
            #expect(fields.contains(field), "\(c.name): \(String(buffer: r.body))")
        }
    }
}
