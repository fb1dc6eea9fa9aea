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
