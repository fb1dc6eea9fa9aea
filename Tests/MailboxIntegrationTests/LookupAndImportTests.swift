import Foundation
import HTTPTypes
import HummingbirdTesting
import MailboxAPI
import MailboxCore
import MailboxStore
import NIOCore
import PostgresNIO
import Testing

@Suite("Citizen lookup (一网通查)")
struct LookupTests {
    @Test("The right code shows status and public timeline; a wrong code answers exactly like a missing letter")
    func lookup() async throws {
        try await TestApp.run { app, http in
            let created = decodeObject(try await http.postLetter(letterJSON(["id_card": "11010519491231002X"])).body)
            let tracking = try #require(created["tracking_no"] as? String)
            let code = try #require(created["query_code"] as? String)

            let ok = try await http.execute(uri: "/v1/public/letters/\(tracking)", method: .get,
                                            headers: [.init("X-Query-Code")!: code.lowercased()])
            #expect(ok.status == .ok)
            let view = decodeObject(ok.body)
            #expect(view["tracking_no"] as? String == tracking)
            #expect(view["status"] as? String == "received")
            #expect((view["timeline"] as? [[String: Any]])?.first?["kind"] as? String == "received")
            // No personal data on the public view.
            let text = String(buffer: ok.body)
            #expect(!text.contains("13800138000") && !text.contains("张三") && !text.contains("11010519491231002X"))

            let wrong = try await http.execute(uri: "/v1/public/letters/\(tracking)?code=ABCDEFGHJK", method: .get)
            let missing = try await http.execute(uri: "/v1/public/letters/2026-9999999?code=ABCDEFGHJK", method: .get)
            #expect(wrong.status == .notFound)
            #expect(missing.status == .notFound)
            #expect(String(buffer: wrong.body) == String(buffer: missing.body))
            #expect(wrong.headers[.contentType] == missing.headers[.contentType])

            // The code is the lookup's credential: none at all is 401 with a challenge, not a 404.
            let noCode = try await http.execute(uri: "/v1/public/letters/\(tracking)", method: .get)
            #expect(noCode.status == .unauthorized)
            #expect(noCode.headers[.wwwAuthenticate] == "X-Query-Code")
            #expect(decodeObject(noCode.body)["type"] as? String == "https://mailbox.example.gov.cn/problems/query-code-required")
        }
    }
}

@Suite("Historical import (历史数据导入)")
struct ImportTests {
    static func line(_ overrides: [String: Any?]) -> String {
        var object = letterJSON()
        object["channel"] = "portal"
        object["received_at"] = "2024-09-30T16:00:00+08:00"
        object["status"] = "received"
        for (k, v) in overrides { if let v { object[k] = v } else { object.removeValue(forKey: k) } }
        return String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    static func post(_ http: any TestClientProtocol, _ lines: [String]) async throws -> TestResponse {
        try await http.execute(uri: "/v1/admin/letters/import", method: .post,
                               headers: [.authorization: "Bearer \(TestApp.adminToken)", .contentType: "application/x-ndjson"],
                               body: ByteBuffer(string: lines.joined(separator: "\n") + "\n"))
    }

    @Test("Good lines load with their original times, statuses, replies and SLA outcomes")
    func goodFile() async throws {
        try await TestApp.run { app, http in
            let lines = [
                Self.line(["tracking_no": "2024-0000001"]),
                Self.line(["tracking_no": "2024-0000002", "channel": "app", "channel_ref": "old-77", "category": "complaint",
                           "status": "closed", "closed_at": "2024-10-08T10:00:00+08:00", "reply": "已处理",
                           "department_id": "xitiangezhuang"]),
                "",
                Self.line(["status": "processing", "department_id": "water"]),
            ]
            let r = try await Self.post(http, lines)
            #expect(r.status == .ok, "\(String(buffer: r.body))")
            #expect(decodeObject(r.body)["imported"] as? Int == 3)
            #expect(try await app.count("letters WHERE imported") == 3)
            #expect(try await app.count("letters WHERE received_at = '2024-09-30T08:00:00Z'") == 3)
            #expect(try await app.count("letter_events WHERE kind = 'imported'") == 3)
            #expect(try await app.count("letter_events WHERE kind = 'closed' AND occurred_at = '2024-10-08T02:00:00Z'") == 1)
            let closed = try #require(try await app.mailbox.letters.letter(trackingNo: "2024-0000002"))
            #expect(closed.status == .closed && closed.reply == "已处理" && closed.departmentName == "西田各庄镇")
            // The outcome computed with the calendar: the same as the core computes directly.
            let calendar = try #require(app.mailbox.cache.current.calendar)
            let policy = try #require(SLAPolicy.select(from: app.mailbox.cache.current.policies, category: .complaint,
                                                       departmentID: "xitiangezhuang", channel: .app))
            let clock = SLAClock(receivedAt: closed.receivedAt, rule: policy.rule, limitWorkingDays: policy.limitWorkingDays,
                                 warningRatio: policy.warningRatio, pauses: [], extensions: [], closedAt: closed.closedAt)
            let status = try clock.evaluate(on: calendar, now: Date())
            #expect(closed.sla.state == .stopped)
            #expect(closed.sla.elapsedBusinessSeconds == status.elapsedBusinessSeconds)
            #expect(closed.sla.deadlineMet == status.deadlineMet)
        }
    }

    @Test("Any bad line rejects the whole file, with every bad line's number")
    func badFile() async throws {
        try await TestApp.run { app, http in
            let lines = [
                Self.line(["tracking_no": "2024-0000010"]),
                Self.line(["category": "praise"]),
                "{not json",
                Self.line(["status": "closed"]),
                Self.line(["department_id": "nowhere"]),
                Self.line(["tracking_no": "2024-0000010"]),
            ]
            let r = try await Self.post(http, lines)
            #expect(r.status == .unprocessableContent)
            let problems = decodeObject(r.body)["line_errors"] as? [[String: Any]] ?? []
            let lineNumbers = Set(problems.compactMap { $0["line"] as? Int })
            // Lines 2–4 fail validation; lines 5–6 are found when checked against the database
            // only if validation passed, so the first pass reports 2, 3 and 4.
            #expect(lineNumbers == [2, 3, 4])
            #expect(try await app.count("letters") == 0)

            let second = try await Self.post(http, [lines[0], lines[4], lines[5]])
            #expect(second.status == .unprocessableContent)
            let again = Set((decodeObject(second.body)["line_errors"] as? [[String: Any]] ?? []).compactMap { $0["line"] as? Int })
            #expect(again == [2, 3])
            #expect(try await app.count("letters") == 0)
        }
    }

    /// The serial the next generated tracking number follows.
    static func lastSerial(_ app: TestApp) async throws -> Int64 {
        for try await n in try await app.db.query(
            "SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM letter_tracking_seq",
            logger: TestDatabase.logger).decode(Int64.self) { return n }
        throw TestSetupError("no sequence")
    }

    @Test("Imported numbers in our own format move the generator past them; other shapes and far serials do not")
    func importReservesNumbers() async throws {
        try await TestApp.run { app, http in
            let ahead = try await Self.lastSerial(app) + 40
            let r = try await Self.post(http, [
                Self.line(["tracking_no": TrackingNumber.format(year: 2019, serial: ahead)]),
                Self.line(["tracking_no": "2019-00000009999"]),           // a leading zero past 7 digits: never generated
                Self.line(["tracking_no": "2019-12345678901234567890"]),  // past bigint
                Self.line([:]),
            ])
            #expect(r.status == .ok, "\(String(buffer: r.body))")
            // The file's own unnumbered letter (received in 2024) already comes after the number it brought.
            #expect(try await app.count("letters WHERE tracking_no = '\(TrackingNumber.format(year: 2024, serial: ahead + 1))'") == 1)
            let portal = decodeObject(try await http.postLetter(letterJSON()).body)["tracking_no"] as? String
            #expect(portal.flatMap(TrackingNumber.generatedSerial(of:)) == ahead + 2)
            // Stored numbers of any length do not trouble the next file.
            let again = try await Self.post(http, [Self.line([:])])
            #expect(again.status == .ok, "\(String(buffer: again.body))")
            // PostgreSQL's tracking_no_for and the core's format are one rule.
            for s: Int64 in [1, 171, 9_999_999, 10_000_000, TrackingNumber.reserveLimit] {
                for try await n in try await app.db.query("SELECT tracking_no_for('2026-12-31T23:30:00+08', \(s))",
                                                        logger: TestDatabase.logger).decode(String.self) {
                    #expect(n == TrackingNumber.format(year: 2026, serial: s))
                }
            }
        }
    }

    @Test("On a new database, an imported number 1 moves the generator on: the next letters are numbers 2 and 3")
    func importFirstNumber() async throws {
        try await TestApp.run { app, http in
            #expect(try await Self.lastSerial(app) == 0)
            let year = try #require(app.mailbox.cache.current.calendar).localDate(of: Date()).year
            let first = TrackingNumber.format(year: year, serial: 1)
            let r = try await Self.post(http, [Self.line(["tracking_no": first])])
            #expect(r.status == .ok, "\(String(buffer: r.body))")
            // The next file's unnumbered letter (received in 2024) is generated 2024-0000002.
            let next = try await Self.post(http, [Self.line([:])])
            #expect(next.status == .ok, "\(String(buffer: next.body))")
            #expect(try await app.count("letters WHERE tracking_no = '\(TrackingNumber.format(year: 2024, serial: 2))'") == 1)
            let created = try await http.postLetter(letterJSON())
            #expect(created.status == .created, "\(String(buffer: created.body))")
            #expect(decodeObject(created.body)["tracking_no"] as? String == TrackingNumber.format(year: year, serial: 3))
        }
    }

    @Test("A number intake is writing at this moment is refused (409), and nothing of the file is loaded")
    func importMeetsLetterInFlight() async throws {
        try await TestApp.run { app, http in
            try await app.db.withConnection { conn in
                try await conn.query("BEGIN", logger: TestDatabase.logger)
                var number = ""
                for try await t in try await conn.query(
                    """
                    INSERT INTO letters (tracking_no, channel, category, title, body, writer_name, phone, publish_consent,
                                         citizen_key, query_code_hash, status, received_at)
                    VALUES (tracking_no_for(now(), nextval('letter_tracking_seq')), 'portal', 'consultation', 't', 'b', 'w',
                            '13800138000', false, 'k', '\\x00', 'received', now())
                    RETURNING tracking_no
                    """, logger: TestDatabase.logger).decode(String.self) { number = t }
                async let imported = Self.post(http, [Self.line(["tracking_no": number]), Self.line([:])])
                // Commit once the import is waiting for this row's fate (on the unique index), not before.
                var waiting = false
                for _ in 0..<200 where !waiting {
                    try await Task.sleep(for: .milliseconds(50))
                    for try await n in try await app.db.query(
                        "SELECT count(*)::int8 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
                        logger: TestDatabase.logger).decode(Int64.self) { waiting = n > 0 }
                }
                #expect(waiting)
                try await conn.query("COMMIT", logger: TestDatabase.logger)
                let r = try await imported
                #expect(r.status == .conflict, "\(String(buffer: r.body))")
                #expect(decodeObject(r.body)["detail"] as? String ?? "" != "")
            }
            #expect(try await app.count("letters WHERE imported") == 0)
        }
    }

    @Test("Imports bringing the numbers intake is about to take, while intake runs: no number twice, nothing lost")
    func importsDuringIntake() async throws {
        try await TestApp.run { app, http in
            let (posted, imported) = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        var ok = 0
                        for _ in 0..<50 {
                            let r = try await http.postLetter(letterJSON())
                            #expect(r.status == .created, "\(String(buffer: r.body))")
                            if r.status == .created { ok += 1 }
                        }
                        return (ok, 0)
                    }
                }
                group.addTask {
                    var ok = 0
                    for i in 0..<15 {
                        // From the very next number to some intake cannot reach before the file is read.
                        let next = try await Self.lastSerial(app) + 1 + Int64(i % 5) * 6
                        let r = try await Self.post(http, [Self.line(["tracking_no": TrackingNumber.format(year: 2026, serial: next)]),
                                                           Self.line([:])])
                        // Intake may have taken the number first: then the file is refused whole, never half-loaded.
                        #expect([.ok, .conflict, .unprocessableContent].contains(r.status), "\(String(buffer: r.body))")
                        if r.status == .ok { ok += 2 }
                    }
                    return (0, ok)
                }
                return try await group.reduce((0, 0)) { ($0.0 + $1.0, $0.1 + $1.1) }
            }
            #expect(posted == 150)
            #expect(imported > 0)
            #expect(try await app.count("letters WHERE NOT imported") == posted)
            #expect(try await app.count("letters WHERE imported") == imported)
        }
    }

    @Test("The import endpoint needs the admin token")
    func needsToken() async throws {
        try await TestApp.run { app, http in
            let r = try await http.execute(uri: "/v1/admin/letters/import", method: .post, body: ByteBuffer(string: Self.line([:])))
            #expect(r.status == .unauthorized)
            #expect(try await app.count("letters") == 0)
        }
    }
}

@Suite("Migrations")
struct MigrationTests {
    @Test("Applied in order once, recorded with checksums; an edited applied file is refused")
    func migrations() async throws {
        try await TestDatabase.withDatabase(migrated: false) { client, _ in
            let logger = TestDatabase.logger
            let migrator = try Migrator(directory: TestDatabase.migrationsDirectory)
            let applied = try await migrator.migrate(client: client, logger: logger)
            #expect(applied.map(\.version) == migrator.migrations.map(\.version))
            #expect(try await migrator.migrate(client: client, logger: logger).isEmpty)

            var edited = migrator.migrations
            edited[0] = Migration(version: edited[0].version, name: edited[0].name, kind: .sql, text: edited[0].text + "\n-- edited\n")
            await #expect(throws: MigrationError.self) {
                try await Migrator(migrations: edited).migrate(client: client, logger: logger)
            }
            // A failing migration rolls back whole and is not recorded.
            let broken = migrator.migrations + [Migration(version: 9999, name: "broken", kind: .sql,
                                                          text: "CREATE TABLE half_done (id int); SELECT no_such_column FROM half_done;")]
            await #expect(throws: MigrationError.self) {
                try await Migrator(migrations: broken).migrate(client: client, logger: logger)
            }
            var tables = 0
            for try await n in try await client.query("SELECT count(*)::int8 FROM pg_tables WHERE tablename = 'half_done'", logger: logger).decode(Int64.self) {
                tables = Int(n)
            }
            #expect(tables == 0)
        }
    }
}

@Suite("Operations endpoints")
struct OpsTests {
    @Test("healthz, readyz, metrics and the OpenAPI document answer")
    func ops() async throws {
        try await TestApp.run { _, http in
            #expect(try await http.execute(uri: "/healthz", method: .get).status == .ok)
            let ready = try await http.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .ok)
            #expect((decodeObject(ready.body)["calendar_years"] as? [Int])?.contains(2026) == true)
            #expect(try await http.execute(uri: "/metrics", method: .get).status == .ok)
            let spec = try await http.execute(uri: "/openapi.yaml", method: .get)
            #expect(spec.status == .ok && String(buffer: spec.body).hasPrefix("openapi:"))
            let unknown = try await http.execute(uri: "/v1/nowhere", method: .get)
            #expect(unknown.status == .notFound)
            #expect(unknown.headers[.contentType] == "application/problem+json")
        }
    }
}
