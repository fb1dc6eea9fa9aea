import Foundation
import HTTPTypes
import HummingbirdTesting
import MailboxAPI
import MailboxCore
import NIOCore
import PostgresNIO
import Testing

@Suite("Unified intake (统一接收) against PostgreSQL")
struct IntakeTests {
    @Test("The portal creates a letter with its first event, a tracking number and a query code")
    func portalCreatesLetter() async throws {
        try await TestApp.run { app, http in
            let response = try await http.postLetter(letterJSON())
            #expect(response.status == .created)
            let body = decodeObject(response.body)
            let tracking = try #require(body["tracking_no"] as? String)
            #expect(tracking.wholeMatch(of: /\d{4}-\d{7}/) != nil)
            let code = try #require(body["query_code"] as? String)
            #expect(code.count == QueryCode.length)
            #expect(response.headers[.location] == "/v1/letters/\(tracking)")
            #expect(body["channel"] as? String == "portal")
            #expect(try await app.count("letters") == 1)
            #expect(try await app.count("letter_events WHERE kind = 'received' AND version = 1") == 1)
            // Only the hash of the code is stored.
            #expect(try await app.count("letters WHERE encode(query_code_hash, 'hex') = '\(QueryCode.hash(code))'") == 1)
            #expect(try await app.count("letters WHERE position('\(code)' in query_code_hash::text) > 0") == 0)
        }
    }

    @Test("Serials past 9,999,999 keep all their digits: no tracking number repeats or is cut")
    func longSerials() async throws {
        try await TestApp.run { app, http in
            try await app.db.query("SELECT setval('letter_tracking_seq', 9999998)", logger: TestDatabase.logger)
            var numbers: [String] = []
            for _ in 0..<3 {
                let created = decodeObject(try await http.postLetter(letterJSON()).body)
                let tracking = try #require(created["tracking_no"] as? String)
                numbers.append(tracking)
                let code = try #require(created["query_code"] as? String)
                let found = try await http.execute(uri: "/v1/public/letters/\(tracking)", method: .get,
                                                   headers: [.init("X-Query-Code")!: code])
                #expect(found.status == .ok)
            }
            #expect(numbers.map { String($0.dropFirst(5)) } == ["9999999", "10000000", "10000001"])
            #expect(try await app.count("letters") == 3)
        }
    }

    @Test("A staff-typed letter (代录) needs the staff token and keeps its channel; app is refused on the portal endpoint")
    func staffChannel() async throws {
        try await TestApp.run { app, http in
            let anonymous = try await http.postLetter(letterJSON(["channel": "staff"]))
            #expect(anonymous.status == .unauthorized)
            let staff = try await http.staff("/v1/letters", method: .post, body: letterJSON(["channel": "staff"]), token: TestApp.dispatcherToken)
            #expect(staff.status == .created)
            #expect(decodeObject(staff.body)["channel"] as? String == "staff")
            let viaPortal = try await http.postLetter(letterJSON(["channel": "app"]))
            #expect(viaPortal.status == .unprocessableContent)
            #expect(try await app.count("letters") == 1)
        }
    }

    @Test("The signed app webhook creates a letter; the same writer on both channels is one citizen")
    func appWebhookCreatesLetter() async throws {
        try await TestApp.run { app, http in
            let portal = try await http.postLetter(letterJSON(["phone": "138 0013 8000"]))
            #expect(portal.status == .created)
            let delivery = try await http.deliver(jsonBuffer(letterJSON(["app_letter_id": "app-1001", "phone": "+8613800138000"])))
            #expect(delivery.status == .created)
            let body = decodeObject(delivery.body)
            #expect(body["channel"] as? String == "app")
            #expect(body["duplicate"] as? Bool == false)
            #expect(try await app.count("letters") == 2)
            #expect(try await app.count("(SELECT DISTINCT citizen_key FROM letters) c") == 1)
            #expect(try await app.count("letters WHERE channel = 'app' AND channel_ref = 'app-1001'") == 1)
        }
    }

    @Test("A repeated delivery returns the same letter and query code and creates nothing")
    func repeatedDelivery() async throws {
        try await TestApp.run { app, http in
            let body = jsonBuffer(letterJSON(["app_letter_id": "app-2002"]))
            let first = try await http.deliver(body)
            // A retry later, re-signed with a new timestamp, as the app backend would.
            let second = try await http.deliver(body, timestamp: Date().addingTimeInterval(-30))
            #expect(first.status == .created)
            #expect(second.status == .ok)
            let a = decodeObject(first.body), b = decodeObject(second.body)
            #expect(a["tracking_no"] as? String == b["tracking_no"] as? String)
            #expect(a["query_code"] as? String == b["query_code"] as? String)
            #expect(b["duplicate"] as? Bool == true)
            #expect(try await app.count("letters") == 1)
            #expect(try await app.count("letter_events") == 1)
        }
    }

    @Test("Concurrent duplicate deliveries create exactly one letter")
    func concurrentDuplicates() async throws {
        try await TestApp.run { app, http in
            let body = jsonBuffer(letterJSON(["app_letter_id": "app-race-1"]))
            let results = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?).self) { group in
                for _ in 0..<24 {
                    group.addTask {
                        let r = try await http.deliver(body)
                        return (r.status, decodeObject(r.body)["tracking_no"] as? String)
                    }
                }
                var all: [(HTTPResponse.Status, String?)] = []
                for try await r in group { all.append(r) }
                return all
            }
            #expect(results.filter { $0.0 == .created }.count == 1)
            #expect(results.filter { $0.0 == .ok }.count == 23)
            #expect(Set(results.compactMap(\.1)).count == 1)
            #expect(try await app.count("letters") == 1)
            #expect(try await app.count("letter_events") == 1)
        }
    }

    @Test("Concurrent deliveries written in shared batches each get their own letter back")
    func batchedDeliveriesMapBack() async throws {
        try await TestApp.run { app, http in
            // 48 different letters, each delivered twice, plus 16 portal letters, all at once.
            let results = try await withThrowingTaskGroup(of: (String, HTTPResponse.Status, String?).self) { group in
                for i in 0..<48 {
                    for _ in 0..<2 {
                        group.addTask {
                            let body = jsonBuffer(letterJSON(["app_letter_id": "batch-\(i)", "title": "批量 \(i)"]))
                            let r = try await http.deliver(body)
                            return ("batch-\(i)", r.status, decodeObject(r.body)["tracking_no"] as? String)
                        }
                    }
                }
                for i in 0..<16 {
                    group.addTask {
                        let r = try await http.postLetter(letterJSON(["title": "门户 \(i)"]))
                        return ("portal-\(i)", r.status, decodeObject(r.body)["tracking_no"] as? String)
                    }
                }
                var all: [(String, HTTPResponse.Status, String?)] = []
                for try await r in group { all.append(r) }
                return all
            }
            #expect(try await app.count("letters") == 64)
            #expect(try await app.count("letter_events WHERE version = 1") == 64)
            #expect(results.filter { $0.1 == .created }.count == 64)
            #expect(results.filter { $0.1 == .ok }.count == 48)
            for (key, _, tracking) in results {
                let t = try #require(tracking)
                let letter = try #require(try await app.mailbox.letters.letter(trackingNo: t))
                if key.hasPrefix("batch-") {
                    #expect(letter.channelRef == key)
                    #expect(letter.content.title == "批量 \(key.dropFirst(6))")
                } else {
                    #expect(letter.content.title == "门户 \(key.dropFirst(7))")
                }
            }
        }
    }

    @Test("Reusing an app letter id for different content is a conflict, not a second letter")
    func conflictingReuse() async throws {
        try await TestApp.run { app, http in
            #expect(try await http.deliver(jsonBuffer(letterJSON(["app_letter_id": "app-3003"]))).status == .created)
            let other = try await http.deliver(jsonBuffer(letterJSON(["app_letter_id": "app-3003", "title": "另一封信"])))
            #expect(other.status == .conflict)
            #expect(other.headers[.contentType] == "application/problem+json")
            #expect(try await app.count("letters") == 1)
        }
    }

    @Test("Bad, stale or missing signatures answer 401 and store nothing", arguments: SignatureCase.allCases)
    func badSignatures(_ c: SignatureCase) async throws {
        try await TestApp.run { app, http in
            let body = jsonBuffer(letterJSON(["app_letter_id": "app-sig-\(c)"]))
            let response: TestResponse
            switch c {
            case .wrongSecret:
                response = try await http.deliver(body, secret: "not-the-secret")
            case .staleTimestamp:
                response = try await http.deliver(body, timestamp: Date().addingTimeInterval(-301))
            case .futureTimestamp:
                response = try await http.deliver(body, timestamp: Date().addingTimeInterval(360))
            case .tamperedBody:
                let ts = String(Int(Date().timeIntervalSince1970))
                let signature = WebhookVerifier.sign(secret: TestApp.webhookSecret, timestamp: ts, body: Data(buffer: body))
                response = try await http.deliver(jsonBuffer(letterJSON(["app_letter_id": "app-sig-\(c)", "title": "改"])),
                                                  signature: signature)
            case .uppercaseHex:
                let ts = String(Int(Date().timeIntervalSince1970))
                let signature = WebhookVerifier.sign(secret: TestApp.webhookSecret, timestamp: ts, body: Data(buffer: body))
                response = try await http.deliver(body, signature: "sha256=" + signature.dropFirst(7).uppercased())
            case .missingHeaders:
                response = try await http.execute(uri: "/v1/intake/app", method: .post,
                                                  headers: [.contentType: "application/json"], body: body)
            case .notHex:
                response = try await http.deliver(body, signature: "sha256=zz")
            }
            #expect(response.status == .unauthorized)
            #expect(response.headers[.contentType] == "application/problem+json")
            #expect(try await app.count("letters") == 0)
        }
    }

    enum SignatureCase: String, CaseIterable, CustomTestStringConvertible {
        case wrongSecret, staleTimestamp, futureTimestamp, tamperedBody, uppercaseHex, missingHeaders, notHex
        var testDescription: String { rawValue }
    }

    @Test("Without a configured secret the webhook is unavailable, not open")
    func webhookWithoutSecret() async throws {
        try await TestApp.run(config: APIConfiguration(webhookSecret: nil, auth: TestApp.auth)) { app, http in
            let r = try await http.deliver(jsonBuffer(letterJSON(["app_letter_id": "x1"])))
            #expect(r.status == .serviceUnavailable)
            #expect(try await app.count("letters") == 0)
        }
    }
}
