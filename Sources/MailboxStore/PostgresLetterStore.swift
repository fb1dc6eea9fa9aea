public import Foundation
public import Logging
public import MailboxCore
public import PostgresNIO

/// LetterStore on PostgreSQL. Intake is one statement (letter + first event in a CTE), so it
/// is atomic without a transaction round trip and idempotent through ON CONFLICT.
public struct PostgresLetterStore: LetterStore {
    public let client: PostgresClient
    public let logger: Logger
    let batcher: IntakeBatcher
    /// Work lists may read from a fresh replica (``ReadRouting``).
    public let reads: ReadRouting?

    /// `maxConcurrentBatches` bounds the connections intake holds at once (group commit).
    public init(client: PostgresClient, logger: Logger, maxBatch: Int = 64, maxConcurrentBatches: Int = 4,
                reads: ReadRouting? = nil) {
        self.client = client
        self.reads = reads
        self.logger = logger
        batcher = IntakeBatcher(client: client, logger: logger, maxBatch: maxBatch, maxConcurrentBatches: maxConcurrentBatches)
    }

    static let columns = """
        l.id, l.tracking_no, l.channel, l.channel_ref, encode(l.intake_digest, 'hex') AS intake_digest,
        l.category, l.title, l.body, l.writer_name, l.phone, l.id_card, l.address, l.town, l.publish_consent,
        l.citizen_key, encode(l.query_code_hash, 'hex') AS query_code_hash, l.status, l.department_id,
        d.name AS department_name, l.received_at, l.sla_clock::text AS sla_clock, l.sla_state, l.due_at, l.warn_at,
        l.elapsed_business_seconds, l.deadline_met, l.sla_provisional, l.closed_at, l.reply, l.imported, l.version,
        l.cohandlers, l.departments, l.supervised, m.tracking_no AS merged_into, l.pending_extension::text AS pending_extension,
        l.reply_revision, (SELECT max(x.revision) FROM letter_replies x WHERE x.letter_id = l.id) AS last_revision,
        l.reply_review::text AS reply_review, l.release_round, l.withheld, l.reopened_at,
        r.text AS draft_text, r.author AS draft_author, r.created_at AS draft_created_at,
        jsonb_array_length(r.findings) AS draft_findings_count, p.steps AS review_steps
        """
    static let from = """
        letters l LEFT JOIN departments d ON d.id = l.department_id LEFT JOIN letters m ON m.id = l.merged_into
        LEFT JOIN letter_replies r ON r.letter_id = l.id AND r.revision = l.reply_revision
        LEFT JOIN reply_review_policies p ON p.category = l.category
        """

    public func ping(timeout: Duration) async throws {
        let client = client, logger = logger
        try await StoreError.withDeadline(timeout, "SELECT 1") {
            let rows = try await client.query("SELECT 1", logger: logger)
            for try await _ in rows {}
        }
    }

    public func intake(_ letter: NewLetter) async throws -> IntakeOutcome {
        precondition(!letter.events.isEmpty, "a letter starts its history with an event")
        let c = letter.content
        if let (id, trackingNo) = try await batcher.write(letter) {
            // Built from what was written, saving a read on the hot path.
            var record = LetterRecord(
                id: id, trackingNo: trackingNo, channel: letter.channel, channelRef: letter.channelRef,
                intakeDigest: letter.intakeDigest, content: c, citizenKey: letter.citizenKey,
                queryCodeHash: letter.queryCodeHash, status: letter.status, departmentID: letter.departmentID,
                departmentName: nil, receivedAt: letter.receivedAt, sla: letter.sla, closedAt: nil, reply: nil,
                imported: false, version: letter.events.count)
            record.departments = letter.departmentID.map { [$0] } ?? []
            return .created(record)
        }
        // Already delivered: the unique index decided, whichever delivery won the race.
        guard let ref = letter.channelRef,
            let existing = try await fetch(channel: letter.channel, channelRef: ref)
        else { throw StoreError.notFound }
        return .existing(existing, sameDelivery: existing.intakeDigest == letter.intakeDigest)
    }

    public func letter(trackingNo: String) async throws -> LetterRecord? {
        try await fetch(where: "l.tracking_no = ", trackingNo)
    }

    public func letter(channel: LetterChannel, channelRef: String) async throws -> LetterRecord? {
        try await fetch(channel: channel, channelRef: channelRef)
    }

    func fetch(channel: LetterChannel, channelRef: String) async throws -> LetterRecord? {
        let rows = try await client.query(
            "SELECT \(unescaped: Self.columns) FROM \(unescaped: Self.from) WHERE l.channel = \(channel.rawValue) AND l.channel_ref = \(channelRef)",
            logger: logger)
        for try await row in rows { return try Self.decodeLetter(row) }
        return nil
    }

    func fetch(where condition: String, _ value: some PostgresEncodable & Sendable) async throws -> LetterRecord? {
        let rows = try await client.query(
            "SELECT \(unescaped: Self.columns) FROM \(unescaped: Self.from) WHERE \(unescaped: condition)\(value)",
            logger: logger)
        for try await row in rows { return try Self.decodeLetter(row) }
        return nil
    }

    static func decodeLetter(_ row: PostgresRow) throws -> LetterRecord {
        let r = row.makeRandomAccess()
        func v<T: PostgresDecodable>(_ name: String, _: T.Type = T.self) throws -> T { try r[name].decode(T.self) }
        let content = LetterContent(
            category: LetterCategory(rawValue: try v("category"))!,
            title: try v("title"), body: try v("body"), writerName: try v("writer_name"), phone: try v("phone"),
            idCard: try v("id_card"), address: try v("address"), town: try v("town"),
            publishConsent: try v("publish_consent"))
        let sla = SLAColumns(
            clockJSON: try v("sla_clock"), state: SLAColumns.State(rawValue: try v("sla_state")) ?? .running,
            dueAt: try v("due_at"), warnAt: try v("warn_at"),
            elapsedBusinessSeconds: try v("elapsed_business_seconds"), deadlineMet: try v("deadline_met"),
            provisional: try v("sla_provisional"))
        var record = LetterRecord(
            id: try v("id"), trackingNo: try v("tracking_no"),
            channel: LetterChannel(rawValue: try v("channel"))!, channelRef: try v("channel_ref"),
            intakeDigest: try v("intake_digest"), content: content, citizenKey: try v("citizen_key"),
            queryCodeHash: try v("query_code_hash"), status: LetterStatus(rawValue: try v("status"))!,
            departmentID: try v("department_id"), departmentName: try v("department_name"),
            receivedAt: try v("received_at"), sla: sla, closedAt: try v("closed_at"), reply: try v("reply"),
            imported: try v("imported"), version: Int(try v("version", Int32.self)))
        record.cohandlers = try v("cohandlers")
        record.departments = try v("departments")
        record.supervised = try v("supervised")
        record.mergedIntoTrackingNo = try v("merged_into")
        record.pendingExtension = try v("pending_extension", String?.self)
            .flatMap { try? MailboxJSON.decoder().decode(PendingExtension.self, from: Data($0.utf8)) }
        record.lastDraftRevision = Int(try v("last_revision", Int32?.self) ?? 0)
        record.review = try v("reply_review", String?.self)
            .flatMap { try? MailboxJSON.decoder().decode(ReplyReview.self, from: Data($0.utf8)) }
        record.releaseRound = Int(try v("release_round", Int16.self))
        record.withheld = try v("withheld")
        record.reopenedAt = try v("reopened_at")
        record.reviewSteps = ReviewSteps(rawValue: try v("review_steps", String?.self) ?? "") ?? .leadCentre
        if let text = try v("draft_text", String?.self) {
            record.draft = StoredDraft(revision: Int(try v("reply_revision", Int32.self)), text: text, author: try v("draft_author"),
                                       createdAt: try v("draft_created_at"), findingsCount: Int(try v("draft_findings_count", Int32.self)))
        }
        return record
    }

    public func events(letterID: Int64, publicOnly: Bool) async throws -> [LetterEventRecord] {
        let rows = try await client.query(
            """
            SELECT version, kind, occurred_at, actor, actor_role, public, data::text FROM letter_events
            WHERE letter_id = \(letterID) AND (public OR NOT \(publicOnly)) ORDER BY version
            """, logger: logger)
        var result: [LetterEventRecord] = []
        for try await (version, kind, at, actor, role, isPublic, data) in rows.decode((Int32, String, Date, String, String?, Bool, String).self) {
            result.append(LetterEventRecord(version: Int(version), kind: kind, occurredAt: at, actor: actor, actorRole: role,
                                            isPublic: isPublic, dataJSON: data))
        }
        return result
    }

    public func importLetters(_ letters: [(line: Int, letter: NewLetter)]) async throws -> Int {
        do {
            if let highest = letters.compactMap({ $0.letter.trackingNo.flatMap(TrackingNumber.generatedSerial(of:)) }).max() {
                try await Self.reserveTrackingSerials(through: highest, client: client, logger: logger)
            }
            return try await client.withTransaction(logger: logger) { tx in
                // One import at a time: a second waits here, not on the letters table (where intake would queue behind it).
                try await tx.query("SELECT pg_advisory_xact_lock(\(Self.importLockKey))", logger: logger)
                try await Self.checkImport(letters, tx: tx, logger: logger)
                for (_, letter) in letters {
                    try await Self.insertFull(letter, tx: tx, logger: logger)
                }
                return letters.count
            }
        } catch where StoreError.sqlState(error) == "55P03" {
            throw StoreError.unavailable("the letters table stayed locked past lock_timeout: " + StoreError.describe(error))
        } catch {
            throw PostgresStaffStore.domainError(error)
        }
    }

    /// The advisory lock that serialises imports (and their reservations).
    static let importLockKey: Int64 = 0x4D41_494C_0001

    /// Moves letter_tracking_seq past `serial`, so that no generated number (2026-0000171) repeats an imported one,
    /// in a short transaction of its own, committed before the import's letters are written.
    ///
    /// `setval(greatest(last_value, n))` alone is a read then a write: an intake taking nextval in between could
    /// be followed by the same serial again (the sequence moved back). Every statement that takes nextval inserts
    /// into letters, so SHARE ROW EXCLUSIVE on letters waits for those in flight and holds new ones off for the
    /// moment the read and write take; `lock_timeout` bounds how long intake can queue behind it.
    static func reserveTrackingSerials(through serial: Int64, client: PostgresClient, logger: Logger) async throws {
        // The sequence only grows: a number it is already past needs no lock (the usual case after a first import).
        for try await last in try await client.query(
            "SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM letter_tracking_seq", logger: logger
        ).decode(Int64.self) where last >= serial { return }
        try await client.withTransaction(logger: logger) { tx in
            try await tx.query("SELECT pg_advisory_xact_lock(\(importLockKey))", logger: logger)
            try await tx.query("SET LOCAL lock_timeout = '2s'", logger: logger)
            try await tx.query("LOCK TABLE letters IN SHARE ROW EXCLUSIVE MODE", logger: logger)
            try await tx.query(
                "SELECT setval('letter_tracking_seq', greatest((SELECT last_value FROM letter_tracking_seq), \(serial)))",
                logger: logger)
        }
    }

    /// Reports every line that would break a constraint, so the file can be fixed in one pass.
    static func checkImport(_ letters: [(line: Int, letter: NewLetter)], tx: PostgresConnection, logger: Logger) async throws {
        var problems: [ImportLineError] = []
        let departments = Set(letters.compactMap(\.letter.departmentID))
        var known = Set<String>()
        for try await id in try await tx.query("SELECT id FROM departments WHERE id = ANY(\(Array(departments)))", logger: logger).decode(String.self) {
            known.insert(id)
        }
        let tracking = letters.compactMap(\.letter.trackingNo)
        var taken = Set<String>()
        for try await t in try await tx.query("SELECT tracking_no FROM letters WHERE tracking_no = ANY(\(tracking))", logger: logger).decode(String.self) {
            taken.insert(t)
        }
        let refs = letters.compactMap { l in l.letter.channelRef.map { "\(l.letter.channel.rawValue)/\($0)" } }
        var takenRefs = Set<String>()
        for try await r in try await tx.query(
            "SELECT channel || '/' || channel_ref FROM letters WHERE channel_ref IS NOT NULL AND channel || '/' || channel_ref = ANY(\(refs))",
            logger: logger
        ).decode(String.self) { takenRefs.insert(r) }
        var seenTracking: [String: Int] = [:]
        var seenRefs: [String: Int] = [:]
        for (line, letter) in letters {
            if let d = letter.departmentID, !known.contains(d) {
                problems.append(.init(line: line, field: "department_id", message: "unknown department \(d)"))
            }
            if let t = letter.trackingNo {
                if taken.contains(t) {
                    problems.append(.init(line: line, field: "tracking_no", message: "\(t) is already in the mailbox (imported before?)"))
                } else if let other = seenTracking[t] {
                    problems.append(.init(line: line, field: "tracking_no", message: "\(t) repeats line \(other)"))
                } else { seenTracking[t] = line }
            }
            if let ref = letter.channelRef {
                let key = "\(letter.channel.rawValue)/\(ref)"
                if takenRefs.contains(key) {
                    problems.append(.init(line: line, field: "channel_ref", message: "\(key) is already in the mailbox"))
                } else if let other = seenRefs[key] {
                    problems.append(.init(line: line, field: "channel_ref", message: "\(key) repeats line \(other)"))
                } else { seenRefs[key] = line }
            }
        }
        if !problems.isEmpty { throw StoreError.importRejected(problems) }
    }

    static func insertFull(_ letter: NewLetter, tx: PostgresConnection, logger: Logger) async throws {
        let c = letter.content
        let s = letter.sla
        let rows = try await tx.query(
            """
            INSERT INTO letters (tracking_no, channel, channel_ref, intake_digest, category, title, body,
                writer_name, phone, id_card, address, town, publish_consent, citizen_key, query_code_hash,
                status, department_id, received_at, sla_clock, sla_state, due_at, warn_at,
                elapsed_business_seconds, deadline_met, closed_at, reply, imported, version, departments, release_round,
                sla_provisional)
            VALUES (coalesce(\(letter.trackingNo), tracking_no_for(\(letter.receivedAt), nextval('letter_tracking_seq'))),
                    \(letter.channel.rawValue), \(letter.channelRef), decode(\(letter.intakeDigest), 'hex'),
                    \(c.category.rawValue), \(c.title), \(c.body), \(c.writerName), \(c.phone), \(c.idCard),
                    \(c.address), \(c.town), \(c.publishConsent), \(letter.citizenKey),
                    decode(\(letter.queryCodeHash), 'hex'), \(letter.status.rawValue), \(letter.departmentID),
                    \(letter.receivedAt), \(s.clockJSON)::jsonb, \(s.state.rawValue), \(s.dueAt), \(s.warnAt),
                    \(s.elapsedBusinessSeconds), \(s.deadlineMet), \(letter.closedAt), \(letter.reply),
                    \(letter.imported), \(Int32(letter.events.count)), \(letter.departmentID.map { [$0] } ?? []),
                    \(Int16(letter.status == .closed && letter.reply != nil ? 1 : 0)), \(s.provisional))
            RETURNING id
            """, logger: logger)
        var id: Int64 = 0
        for try await v in rows.decode(Int64.self) { id = v }
        for (i, e) in letter.events.enumerated() {
            try await tx.query(
                """
                INSERT INTO letter_events (letter_id, version, kind, occurred_at, actor, public, data)
                VALUES (\(id), \(Int32(i + 1)), \(e.kind.rawValue), \(e.occurredAt), \(e.actor), \(e.kind.isPublic), \(e.dataJSON)::jsonb)
                """, logger: logger)
        }
    }

    public func apply(_ t: LetterTransition, letterID: Int64, expectedVersion: Int, sla: SLAColumns,
                      by who: StaffIdentity, at now: Date) async throws -> LetterRecord {
        do {
            try await client.withTransaction(logger: logger) { tx in
                try await Self.write(t, letterID: letterID, expectedVersion: expectedVersion, sla: sla, actor: who.actor,
                                     actorRole: who.role.rawValue, at: now, tx: tx, logger: logger)
            }
        } catch {
            throw StoreError.unwrap(error)
        }
        guard let record = try await fetch(where: "l.id = ", letterID) else { throw StoreError.notFound }
        return record
    }

    /// Writes one decided transition inside `tx`: the letter's new facts, SLA columns and reply
    /// state, its draft or released reply, and its one event. Returns the new version.
    @discardableResult
    static func write(_ t: LetterTransition, letterID: Int64, expectedVersion: Int, sla: SLAColumns, actor: String,
                      actorRole: String?, at now: Date, tx: PostgresConnection, logger: Logger) async throws -> Int32 {
        let f = t.facts
        let closedAt: Date? = f.status == .closed ? (f.clock?.closedAt ?? now) : nil
        let pending = try f.pendingExtension.map { String(decoding: try MailboxJSON.encoder().encode($0), as: UTF8.self) }
        let review = try f.review.map { String(decoding: try MailboxJSON.encoder().encode($0), as: UTF8.self) }
        let draftRevision = f.draft.map { Int32($0.revision) }
        let released = t.reply != nil
        let rows = try await tx.query(
            """
            UPDATE letters SET status = \(f.status.rawValue), department_id = \(f.ownership.ownerDepartmentID),
                cohandlers = \(f.ownership.cohandlers), departments = \(f.ownership.departments),
                supervised = \(f.supervised), pending_extension = \(pending)::jsonb,
                merged_into = (SELECT id FROM letters WHERE tracking_no = \(f.mergedIntoTrackingNo)),
                sla_clock = \(sla.clockJSON)::jsonb, sla_state = \(sla.state.rawValue), due_at = \(sla.dueAt),
                warn_at = \(sla.warnAt), elapsed_business_seconds = \(sla.elapsedBusinessSeconds),
                sla_provisional = \(sla.provisional),
                deadline_met = \(sla.deadlineMet), closed_at = \(closedAt), reply = coalesce(\(t.reply), reply),
                reply_revision = \(draftRevision), reply_review = \(review)::jsonb, withheld = \(f.withheld),
                release_round = release_round + CASE WHEN \(released) THEN 1 ELSE 0 END,
                reopened_at = CASE WHEN \(f.reopened) THEN coalesce(reopened_at, \(now)) END,
                version = version + 1, updated_at = now()
            WHERE id = \(letterID) AND version = \(Int32(expectedVersion))
            RETURNING version
            """, logger: logger)
        var newVersion: Int32?
        for try await v in rows.decode(Int32.self) { newVersion = v }
        guard let newVersion else {
            var current = 0
            for try await v in try await tx.query("SELECT version FROM letters WHERE id = \(letterID)", logger: logger)
                .decode(Int32.self) { current = Int(v) }
            throw StoreError.staleVersion(current: current)
        }
        if let text = t.draftText, let revision = draftRevision {
            try await tx.query(
                """
                INSERT INTO letter_replies (letter_id, revision, text, author, created_at, findings)
                VALUES (\(letterID), \(revision), \(text), \(actor), \(now), \(t.draftFindingsJSON)::jsonb)
                """, logger: logger)
        }
        if let revision = t.releasedRevision {
            try await tx.query(
                "UPDATE letter_replies SET released_at = \(now) WHERE letter_id = \(letterID) AND revision = \(Int32(revision))",
                logger: logger)
        }
        try await tx.query(
            """
            INSERT INTO letter_events (letter_id, version, kind, occurred_at, actor, actor_role, public, data)
            VALUES (\(letterID), \(newVersion), \(t.event.rawValue), \(now), \(actor), \(actorRole),
                    \(t.event.isPublic), \(MailboxJSON.object(t.data))::jsonb)
            """, logger: logger)
        return newVersion
    }

    public func rate(letterID: Int64, expectedVersion: Int, round: Int, _ rating: LetterRating,
                     reopen: (LetterTransition, SLAColumns)?, at now: Date) async throws -> LetterRecord {
        do {
            try await client.withTransaction(logger: logger) { tx in
                let rows = try await tx.query(
                    """
                    UPDATE letters SET version = version + 1, updated_at = now()
                    WHERE id = \(letterID) AND version = \(Int32(expectedVersion)) RETURNING version
                    """, logger: logger)
                var newVersion: Int32?
                for try await v in rows.decode(Int32.self) { newVersion = v }
                guard let newVersion else { throw StoreError.staleVersion(current: 0) }
                let inserted = try await tx.query(
                    """
                    INSERT INTO letter_ratings (letter_id, round, satisfaction, resolved, comment, channel, rated_at, reopened)
                    VALUES (\(letterID), \(Int16(round)), \(rating.satisfaction.rawValue), \(rating.resolved), \(rating.comment),
                            \(rating.channel.rawValue), \(now), \(reopen != nil))
                    ON CONFLICT DO NOTHING RETURNING 1
                    """, logger: logger)
                var wrote = false
                for try await _ in inserted { wrote = true }
                guard wrote else { throw StoreError.conflict("this reply was rated already") }
                let data = MailboxJSON.object(["round": "\(round)", "satisfaction": rating.satisfaction.rawValue,
                                               "resolved": "\(rating.resolved)", "channel": rating.channel.rawValue])
                try await tx.query(
                    """
                    INSERT INTO letter_events (letter_id, version, kind, occurred_at, actor, actor_role, public, data)
                    VALUES (\(letterID), \(newVersion), 'rated', \(now), 'citizen', NULL, true, \(data)::jsonb)
                    """, logger: logger)
                if let (t, sla) = reopen {
                    try await Self.write(t, letterID: letterID, expectedVersion: Int(newVersion), sla: sla, actor: "citizen",
                                         actorRole: nil, at: now, tx: tx, logger: logger)
                }
            }
        } catch {
            throw StoreError.unwrap(error)
        }
        guard let record = try await fetch(where: "l.id = ", letterID) else { throw StoreError.notFound }
        return record
    }

    public func ratings(letterID: Int64) async throws -> [StoredRating] {
        var result: [StoredRating] = []
        let rows = try await client.query(
            """
            SELECT round, satisfaction, resolved, comment, channel, rated_at, reopened FROM letter_ratings
            WHERE letter_id = \(letterID) ORDER BY round
            """, logger: logger)
        for try await (round, satisfaction, resolved, comment, channel, at, reopened)
            in rows.decode((Int16, String, Bool, String?, String, Date, Bool).self)
        {
            result.append(StoredRating(
                round: Int(round),
                rating: LetterRating(satisfaction: LetterRating.Satisfaction(rawValue: satisfaction) ?? .dissatisfied,
                                     resolved: resolved, comment: comment, channel: LetterChannel(rawValue: channel) ?? .portal),
                ratedAt: at, reopened: reopened))
        }
        return result
    }

    public func workList(_ query: WorkListQuery, scope: LetterScope) async throws -> WorkListPage {
        let sql = WorkListSQL(query, scope: scope)
        return try await ReadRouting.read(reads, primary: client) { client in
            try await PreparedWorkLists.run(sql, query: query, on: client, logger: logger)
        }
    }

    public func recordPersonalDataRead(by who: StaffIdentity, letterID: Int64, trackingNo: String, purpose: String) async throws {
        try await client.query(
            """
            INSERT INTO personal_data_reads (user_id, username, role, letter_id, tracking_no, purpose)
            VALUES (\(who.userID), \(who.username), \(who.role.rawValue), \(letterID), \(trackingNo), \(purpose))
            """, logger: logger)
    }

    public func activeDepartmentIDs() async throws -> Set<String> {
        var ids = Set<String>()
        for try await id in try await client.query("SELECT id FROM departments WHERE active", logger: logger).decode(String.self) {
            ids.insert(id)
        }
        return ids
    }
}
