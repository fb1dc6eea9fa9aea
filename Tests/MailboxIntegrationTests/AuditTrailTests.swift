import Foundation
import HummingbirdTesting
import Logging
import MailboxAPI
import MailboxCore
import MailboxStore
import PostgresNIO
import Testing

/// The hash-chained trail (防篡改留痕, migration 0005) and `mailbox audit verify`. Tampering
/// needs what an attacker with superuser rights has: the append-only trigger switched off.
@Suite("Tamper-evident trail of letter events")
struct AuditTrailTests {
    static let logger = TestDatabase.logger

    /// Letters through the portal intake (version 1, the `received` event from the trigger path
    /// every intake takes), then `extra[i]` later events on letter i, appended as the workflow
    /// does: the next version on the letter and an event with that version.
    static func lettersWithHistory(_ app: TestApp, _ http: any TestClientProtocol, extra: [Int]) async throws -> [(id: Int64, trackingNo: String)] {
        var letters: [(id: Int64, trackingNo: String)] = []
        for _ in extra {
            let r = try await http.postLetter(letterJSON())
            #expect(r.status == .created)
            let tracking = try #require(decodeObject(r.body)["tracking_no"] as? String)
            let letter = try #require(try await app.mailbox.letters.letter(trackingNo: tracking))
            letters.append((letter.id, tracking))
        }
        for (letter, n) in zip(letters, extra) {
            for _ in 0..<n { try await appendEvent(app.db, letterID: letter.id) }
        }
        return letters
    }

    static func appendEvent(_ db: PostgresClient, letterID: Int64, kind: String = "note") async throws {
        try await db.query(
            """
            WITH l AS (UPDATE letters SET version = version + 1, updated_at = now() WHERE id = \(letterID) RETURNING id, version)
            INSERT INTO letter_events (letter_id, version, kind, occurred_at, actor, actor_role, public, data)
            SELECT id, version, \(kind), now(), 'user:li.na', 'handler', false,
                   jsonb_build_object('note', '已联系来信人，约定周三上门查看', 'n', version) FROM l
            """, logger: logger)
    }

    /// What a superuser can do: switch off the append-only trigger and edit the history.
    static func tamper(_ db: PostgresClient, _ sql: String) async throws {
        try await db.withConnection { c in
            try await c.query("ALTER TABLE letter_events DISABLE TRIGGER letter_events_no_update", logger: logger)
            try await c.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            try await c.query("ALTER TABLE letter_events ENABLE TRIGGER letter_events_no_update", logger: logger)
        }
    }

    static func verify(_ db: PostgresClient) async throws -> AuditVerification {
        try await AuditTrail(client: db, logger: logger).verify()
    }

    @Test("Intake and later events chain up: the trail verifies intact, and each link is the previous hash")
    func intact() async throws {
        try await TestApp.run { app, http in
            #expect(try await Self.verify(app.db) == AuditVerification(letters: 0, events: 0, firstBreak: nil))
            let letters = try await Self.lettersWithHistory(app, http, extra: [0, 3, 1])
            let result = try await Self.verify(app.db)
            #expect(result.intact, "\(String(describing: result.firstBreak))")
            #expect(result.letters == 3 && result.events == 3 + 4)
            // The trigger filled the chain: version 1 links to zero bytes, later ones to their predecessor.
            #expect(try await app.count("letter_events WHERE version = 1 AND prev_hash = decode(repeat('00', 32), 'hex')") == 3)
            #expect(try await app.count(
                "letter_events e JOIN letter_events p ON p.letter_id = e.letter_id AND p.version = e.version - 1 WHERE e.prev_hash = p.hash AND length(e.hash) = 32") == 4)
            #expect(try await app.count("letters WHERE id = \(letters[1].id) AND version = 4") == 1)
        }
    }

    @Test("An edited event is named by letter and version")
    func editedEvent() async throws {
        try await TestApp.run { app, http in
            let letters = try await Self.lettersWithHistory(app, http, extra: [2, 3, 2])
            #expect(try await Self.verify(app.db).intact)
            let target = letters[1]
            try await Self.tamper(app.db, """
                UPDATE letter_events SET data = jsonb_set(data, '{note}', '"未联系来信人"')
                WHERE letter_id = \(target.id) AND version = 3
                """)
            let result = try await Self.verify(app.db)
            let broken = try #require(result.firstBreak)
            #expect(broken.letterID == target.id && broken.trackingNo == target.trackingNo)
            #expect(broken.version == 3 && broken.problem == .hashMismatch)
            #expect(result.letters == 3 && result.events == 3 + 7)
            #expect(broken.description.hasPrefix("letter \(target.trackingNo) (id \(target.id)) version 3: "))
        }
    }

    @Test("An edit that recomputes the edited row's hash breaks the next event's link")
    func rehashedEdit() async throws {
        try await TestApp.run { app, http in
            let letters = try await Self.lettersWithHistory(app, http, extra: [3])
            try await Self.tamper(app.db, """
                UPDATE letter_events SET data = '{"note": "forged"}',
                    hash = letter_event_hash(prev_hash, letter_id, version, kind, occurred_at, actor, actor_role, public,
                                             '{"note": "forged"}')
                WHERE letter_id = \(letters[0].id) AND version = 2
                """)
            let broken = try #require(try await Self.verify(app.db).firstBreak)
            #expect(broken.letterID == letters[0].id && broken.version == 3 && broken.problem == .prevHashMismatch)
        }
    }

    @Test("A deleted middle event is named as the missing version")
    func deletedMiddleEvent() async throws {
        try await TestApp.run { app, http in
            let letters = try await Self.lettersWithHistory(app, http, extra: [1, 3])
            try await Self.tamper(app.db, "DELETE FROM letter_events WHERE letter_id = \(letters[1].id) AND version = 2")
            let result = try await Self.verify(app.db)
            let broken = try #require(result.firstBreak)
            #expect(broken.letterID == letters[1].id && broken.trackingNo == letters[1].trackingNo)
            #expect(broken.version == 2 && broken.problem == .missingEvent)
            #expect(result.events == 2 + 3)
        }
    }

    @Test("A deleted last event is named: the letter's version is ahead of its history")
    func deletedLastEvent() async throws {
        try await TestApp.run { app, http in
            let letters = try await Self.lettersWithHistory(app, http, extra: [2, 1])
            try await Self.tamper(app.db, "DELETE FROM letter_events WHERE letter_id = \(letters[0].id) AND version = 3")
            let broken = try #require(try await Self.verify(app.db).firstBreak)
            #expect(broken.letterID == letters[0].id && broken.version == 3 && broken.problem == .missingLast)
            #expect(broken.reason.contains("version 3") && broken.reason.contains("version 2"))
        }
    }

    @Test("A letter whose whole history was deleted, and a deleted first event, are named at version 1")
    func deletedHistory() async throws {
        try await TestApp.run { app, http in
            let letters = try await Self.lettersWithHistory(app, http, extra: [0, 2, 1])
            try await Self.tamper(app.db, "DELETE FROM letter_events WHERE letter_id = \(letters[2].id) AND version = 1")
            var broken = try #require(try await Self.verify(app.db).firstBreak)
            #expect(broken.letterID == letters[2].id && broken.version == 1 && broken.problem == .missingFirst)
            // The first break by letter id: letter 1 now comes before letter 2.
            try await Self.tamper(app.db, "DELETE FROM letter_events WHERE letter_id = \(letters[1].id)")
            broken = try #require(try await Self.verify(app.db).firstBreak)
            #expect(broken.letterID == letters[1].id && broken.version == 1 && broken.problem == .noEvents)
        }
    }

    @Test("A letter row rolled back below its history is named")
    func letterRolledBack() async throws {
        try await TestApp.run { app, http in
            let letters = try await Self.lettersWithHistory(app, http, extra: [2])
            try await app.db.query("UPDATE letters SET version = 2 WHERE id = \(letters[0].id)", logger: Self.logger)
            let broken = try #require(try await Self.verify(app.db).firstBreak)
            #expect(broken.version == 3 && broken.problem == .beyondLetterVersion)
        }
    }

    /// `mailbox audit verify` from the built binary: its output and exit status. Skipped when
    /// the binary is not built (`swift build` builds it with the tests).
    static let binary = TestDatabase.repositoryRoot.appendingPathComponent(".build/debug/mailbox")

    @Test("mailbox audit verify exits 0 when intact and 1 naming the break",
          .enabled(if: FileManager.default.isExecutableFile(atPath: AuditTrailTests.binary.path)))
    func commandLine() async throws {
        try await TestApp.run { app, http in
            let letters = try await Self.lettersWithHistory(app, http, extra: [1, 2])
            let url = try Self.commandLineURL(database: try await Self.databaseName(app.db))
            let intact = try Self.runVerify(url)
            #expect(intact.status == 0, "\(intact.stderr)")
            #expect(intact.stdout.contains("trail intact: 2 letters, 5 events"), "\(intact.stdout)")

            try await Self.tamper(app.db, "UPDATE letter_events SET actor = 'user:someone.else' WHERE letter_id = \(letters[1].id) AND version = 2")
            let broken = try Self.runVerify(url)
            #expect(broken.status == 1)
            #expect(broken.stderr.contains("trail broken: letter \(letters[1].trackingNo) (id \(letters[1].id)) version 2: "),
                    "\(broken.stderr)")
            #expect(!broken.stdout.contains("trail intact"))
        }
    }

    static func databaseName(_ db: PostgresClient) async throws -> String {
        for try await name in try await db.query("SELECT current_database()", logger: logger).decode(String.self) { return name }
        throw TestSetupError("no current database")
    }

    /// MAILBOX_TEST_DATABASE_URL with the test's own database.
    static func commandLineURL(database: String) throws -> String {
        guard let raw = ProcessInfo.processInfo.environment["MAILBOX_TEST_DATABASE_URL"],
              var c = URLComponents(string: raw) else { throw TestSetupError("MAILBOX_TEST_DATABASE_URL is unset") }
        c.path = "/" + database
        return c.string!
    }

    static func runVerify(_ url: String) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = binary
        process.arguments = ["audit", "verify", "--database-url", url, "--log-level", "error"]
        process.currentDirectoryURL = TestDatabase.repositoryRoot
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting: a full pipe would block the child.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }
}
