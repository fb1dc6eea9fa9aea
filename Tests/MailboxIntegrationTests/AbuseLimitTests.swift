import Foundation
import HTTPTypes
import HummingbirdTesting
import MailboxAPI
import MailboxCore
import NIOCore
import Testing

@Suite("Abuse limits on the public endpoints (issue 9)")
struct AbuseLimitTests {
    static let limits = PublicLimits(
        intake: RateLimit(requests: 3, seconds: 600), lookup: RateLimit(requests: 5, seconds: 60),
        rating: RateLimit(requests: 2, seconds: 60), codeGuesses: RateLimit(requests: 3, seconds: 3600), trustProxy: true)
    static let config = APIConfiguration(webhookSecret: TestApp.webhookSecret, openAPIDocument: "openapi: 3.1.0\n",
                                         auth: TestApp.auth, publicLimits: limits)
    static let realIP = HTTPField.Name("X-Real-IP")!

    @Test("Portal intake per client: the 4th letter in 10 minutes answers 429 with Retry-After; others and staff go on")
    func intakePerClient() async throws {
        try await TestApp.run(config: Self.config) { app, http in
            func post(_ ip: String) async throws -> TestResponse {
                try await http.execute(uri: "/v1/letters", method: .post,
                                       headers: [.contentType: "application/json", Self.realIP: ip],
                                       body: jsonBuffer(letterJSON()))
            }
            for _ in 0..<3 { #expect(try await post("10.0.0.1").status == .created) }
            let refused = try await post("10.0.0.1")
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers[.contentType] == "application/problem+json")
            let retry = try #require(refused.headers[.retryAfter].flatMap { Int($0) })
            #expect(retry >= 1 && retry <= 200)  // one token of 3 per 600 s
            #expect(try await post("10.0.0.2").status == .created)
            // Staff-typed letters (a staff token) are not the public's.
            let staff = try await http.staff("/v1/letters", method: .post, body: letterJSON(["channel": "staff"]), token: TestApp.dispatcherToken)
            #expect(staff.status == .created)
            #expect(try await app.count("letters") == 5)
        }
    }

    @Test("Wrong query codes are throttled per tracking number, existing or not, and the answers reveal nothing")
    func codeGuessing() async throws {
        try await TestApp.run(config: Self.config) { app, http in
            let created = decodeObject(try await http.execute(uri: "/v1/letters", method: .post,
                                                             headers: [.contentType: "application/json", Self.realIP: "10.0.1.1"],
                                                             body: jsonBuffer(letterJSON())).body)
            let tracking = try #require(created["tracking_no"] as? String)
            let code = try #require(created["query_code"] as? String)
            func look(_ t: String, _ c: String, _ ip: String) async throws -> TestResponse {
                try await http.execute(uri: "/v1/public/letters/\(t)", method: .get, headers: [.init("X-Query-Code")!: c, Self.realIP: ip])
            }
            for (i, t) in [tracking, "2026-9999998"].enumerated() {
                var bodies: [String] = []
                for k in 0..<3 {
                    let r = try await look(t, "ABCDEFGHJK", "10.0.2.\(i * 10 + k)")  // a different client each time
                    #expect(r.status == .notFound)
                    bodies.append(String(buffer: r.body))
                }
                #expect(Set(bodies).count == 1)
                // Now even the right code (or any) waits: the number, not the client, is throttled.
                let blocked = try await look(t, t == tracking ? code : "ABCDEFGHJK", "10.0.3.\(i)")
                #expect(blocked.status == .tooManyRequests && blocked.headers[.retryAfter] != nil)
            }
            // Another letter's number is unaffected.
            #expect(try await app.count("letters") == 1)
        }
    }

    @Test("Lookups per client, and every answer carries the security headers")
    func lookupsAndHeaders() async throws {
        try await TestApp.run(config: Self.config) { _, http in
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<6 {
                statuses.append(try await http.execute(uri: "/v1/public/replies", method: .get, headers: [Self.realIP: "10.0.4.1"]).status)
            }
            #expect(statuses.prefix(5).allSatisfy { $0 == .ok } && statuses.last == .tooManyRequests)
            let r = try await http.execute(uri: "/healthz", method: .get)
            #expect(r.headers[.xContentTypeOptions] == "nosniff")
            #expect(r.headers[.contentSecurityPolicy] == "default-src 'none'; frame-ancestors 'none'")
            #expect(r.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
            #expect(r.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
        }
    }

    @Test("Limits parse from N/S; 0 or off disable; anything else is an error")
    func parsing() throws {
        #expect(try RateLimit.parse("30/600") == RateLimit(requests: 30, seconds: 600))
        #expect(try RateLimit.parse("0") == nil && (try RateLimit.parse("off")) == nil)
        for bad in ["30", "x/60", "-1/60", "10/0", "10/60/2"] {
            #expect(throws: RateLimitParseError.self) { try RateLimit.parse(bad) }
        }
        // The bucket: 2 per 10 s: two at once, the third waits 5 s, then one token again.
        let l = RateLimit(requests: 2, seconds: 10)
        var b = TokenBucket(limit: l, now: 0)
        #expect(b.take(limit: l, now: 0) == nil && b.take(limit: l, now: 0) == nil)
        #expect(b.take(limit: l, now: 0) == 5)
        #expect(b.take(limit: l, now: 5) == nil)
        #expect(b.take(limit: l, now: 5) != nil)
    }
}
