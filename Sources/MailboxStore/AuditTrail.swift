public import Logging
public import PostgresNIO

/// Verifies the tamper-evident trail (防篡改留痕) of `letter_events` (migration 0005): every
/// letter's events are numbered 1…n with no gap, n is the letter's version, each event's
/// `prev_hash` is the previous event's `hash` (32 zero bytes for version 1), and each `hash`
/// is `letter_event_hash(…)` of the stored row. What this cannot detect: docs/audit.md.
public struct AuditTrail: Sendable {
    public let client: PostgresClient
    public let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Checks every letter in one statement, so that counts and checks read one snapshot while
    /// intake goes on. The server streams the events through window functions (lag/lead per
    /// letter, in version order) and returns one row: memory here does not grow with the
    /// number of events. Hashing every event takes time (about 1–2 s per 100 000 events on a
    /// small server), so the connection's 30 s statement timeout is lifted for this read-only
    /// transaction only.
    public func verify() async throws -> AuditVerification {
        do {
            return try await client.withTransaction(logger: logger) { tx in
                try await tx.query("SET TRANSACTION READ ONLY", logger: logger)
                try await tx.query("SET LOCAL statement_timeout = 0", logger: logger)
                let rows = try await tx.query(Self.verifySQL, logger: logger)
                var result = AuditVerification(letters: 0, events: 0, firstBreak: nil)
                for try await (letters, events, letterID, trackingNo, atVersion, problem, version, letterVersion) in rows.decode(
                    (Int64, Int64, Int64?, String?, Int32?, String?, Int32?, Int32?).self)
                {
                    result = AuditVerification(letters: Int(letters), events: Int(events), firstBreak: nil)
                    if let letterID, let problem, let atVersion {
                        result.firstBreak = AuditBreak(
                            letterID: letterID, trackingNo: trackingNo, version: Int(atVersion),
                            problem: AuditBreak.Problem(rawValue: problem) ?? .hashMismatch,
                            storedVersion: version.map(Int.init), letterVersion: letterVersion.map(Int.init))
                    }
                }
                return result
            }
        } catch {
            throw StoreError.unwrap(error)
        }
    }

    /// `chain`: letters FULL JOIN events, so that a letter without events and an event without
    /// its letter both appear. The content hash is computed below an `OFFSET 0` fence, so the
    /// window's sort carries a boolean instead of each event's JSON. `judged` names the first
    /// problem of each row; `at_version` is the version to report (the missing one for a gap).
    /// Only problem rows reach the final ORDER BY … LIMIT 1 (a top-1 sort, constant memory).
    static let verifySQL: PostgresQuery = """
        WITH chain AS (
            SELECT coalesce(l.id, e.letter_id) AS letter_id, l.id IS NOT NULL AS has_letter, l.tracking_no,
                   l.version AS letter_version, e.version, e.content_ok,
                   e.prev_hash IS NOT DISTINCT FROM coalesce(lag(e.hash) OVER w, decode(repeat('00', 32), 'hex')) AS link_ok,
                   lag(e.version) OVER w AS prior_version,
                   lead(e.version) OVER w AS next_version
            FROM letters l
            FULL JOIN (
                SELECT letter_id, version, prev_hash, hash,
                       hash IS NOT DISTINCT FROM letter_event_hash(prev_hash, letter_id, version, kind, occurred_at,
                                                                   actor, actor_role, public, data) AS content_ok
                FROM letter_events OFFSET 0
            ) e ON e.letter_id = l.id
            WINDOW w AS (PARTITION BY coalesce(l.id, e.letter_id) ORDER BY e.version)
        ), judged AS (
            SELECT *, CASE
                WHEN NOT has_letter THEN 'event_without_letter'
                WHEN version IS NULL THEN CASE WHEN letter_version > 0 THEN 'no_events' END
                WHEN prior_version IS NULL AND version <> 1 THEN 'missing_first'
                WHEN prior_version IS NOT NULL AND version <> prior_version + 1 THEN 'missing_event'
                WHEN NOT link_ok THEN 'prev_hash_mismatch'
                WHEN NOT content_ok THEN 'hash_mismatch'
                WHEN next_version IS NULL AND version < letter_version THEN 'missing_last'
                WHEN next_version IS NULL AND version > letter_version THEN 'beyond_letter_version'
            END AS problem
            FROM chain
        ), first_break AS (
            SELECT letter_id, tracking_no, problem, version, letter_version,
                   CASE problem
                       WHEN 'no_events' THEN 1
                       WHEN 'missing_first' THEN 1
                       WHEN 'missing_event' THEN prior_version + 1
                       WHEN 'missing_last' THEN version + 1
                       WHEN 'beyond_letter_version' THEN letter_version + 1
                       ELSE version
                   END AS at_version
            FROM judged WHERE problem IS NOT NULL
            ORDER BY letter_id, at_version LIMIT 1
        )
        SELECT (SELECT count(*) FROM letters), (SELECT count(*) FROM letter_events),
               f.letter_id, f.tracking_no, f.at_version, f.problem, f.version, f.letter_version
        FROM (SELECT 1) AS one LEFT JOIN first_break f ON true
        """
}

/// The outcome of `AuditTrail.verify()`: how much was checked and the first break, if any.
public struct AuditVerification: Sendable, Hashable {
    public var letters: Int
    public var events: Int
    /// The first break ordered by letter id, then version; nil when the trail is intact.
    public var firstBreak: AuditBreak?

    public var intact: Bool { firstBreak == nil }

    public init(letters: Int, events: Int, firstBreak: AuditBreak?) {
        self.letters = letters
        self.events = events
        self.firstBreak = firstBreak
    }
}

/// Where the trail breaks: a letter and the version at which its history stops being provable.
public struct AuditBreak: Sendable, Hashable, CustomStringConvertible {
    public enum Problem: String, Sendable, Hashable {
        /// The letter row is gone (or its id changed) but events remain.
        case eventWithoutLetter = "event_without_letter"
        /// The letter has a version but no event at all: its whole history was deleted.
        case noEvents = "no_events"
        /// Version 1 is missing: the first stored event has a higher version.
        case missingFirst = "missing_first"
        /// A version inside the history is missing (deleted).
        case missingEvent = "missing_event"
        /// The letter is at a higher version than its last stored event (latest events deleted).
        case missingLast = "missing_last"
        /// Events exist beyond the letter's version (the letter row was rolled back, or events forged).
        case beyondLetterVersion = "beyond_letter_version"
        /// `prev_hash` is not the previous event's hash: an earlier event was replaced, rehashed.
        case prevHashMismatch = "prev_hash_mismatch"
        /// `hash` does not match the row: the event was edited after it was written.
        case hashMismatch = "hash_mismatch"
    }

    public var letterID: Int64
    /// nil when the letter row itself is missing.
    public var trackingNo: String?
    /// The version at fault (for a deleted event: the missing version).
    public var version: Int
    public var problem: Problem
    /// The stored event version the problem was found at, and the letter row's version.
    public var storedVersion: Int?
    public var letterVersion: Int?

    public init(letterID: Int64, trackingNo: String?, version: Int, problem: Problem,
                storedVersion: Int? = nil, letterVersion: Int? = nil) {
        self.letterID = letterID
        self.trackingNo = trackingNo
        self.version = version
        self.problem = problem
        self.storedVersion = storedVersion
        self.letterVersion = letterVersion
    }

    public var reason: String {
        let stored = storedVersion.map(String.init) ?? "?"
        let letter = letterVersion.map(String.init) ?? "?"
        return switch problem {
        case .eventWithoutLetter: "event stored for a letter row that does not exist"
        case .noEvents: "no events stored, but the letter is at version \(letter) (its history was deleted)"
        case .missingFirst: "event version 1 is missing (the first stored event is version \(stored))"
        case .missingEvent: "event is missing (deleted?): the next stored event is version \(stored)"
        case .missingLast: "event is missing (deleted?): the letter is at version \(letter) but its last event is version \(stored)"
        case .beyondLetterVersion: "the letter is at version \(letter) but has events up to version \(stored)"
        case .prevHashMismatch where version == 1: "prev_hash of version 1 is not the 32 zero bytes"
        case .prevHashMismatch: "prev_hash does not match the hash of version \(version - 1) (an earlier event was rewritten)"
        case .hashMismatch: "hash does not match the stored event (edited after it was written)"
        }
    }

    /// `letter 2026-0000012 (id 12) version 3: <reason>`
    public var description: String {
        "letter \(trackingNo ?? "?") (id \(letterID)) version \(version): \(reason)"
    }
}
