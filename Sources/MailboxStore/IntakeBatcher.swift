import Foundation
import Logging
import MailboxCore
import PostgresNIO
import Synchronization

/// 合并写入 (group commit): letters arriving together share one statement and one commit.
/// The first intake that finds fewer than `maxConcurrentBatches` batches in flight becomes the
/// leader and writes everything queued (up to `maxBatch` letters a statement) until the queue
/// is empty; the others wait for their row. Every letter is committed before its caller
/// resumes, so a 201 still means "stored". A failed batch is retried letter by letter, so one
/// bad letter cannot fail its neighbours.
final class IntakeBatcher: Sendable {
    typealias Written = (id: Int64, trackingNo: String)

    private struct Waiter {
        let letter: NewLetter
        let continuation: Resumption
    }

    /// A caller's continuation, resumed once: by its batch, or earlier by the caller's cancellation (the request
    /// was answered 503 meanwhile; a batch that still commits its letter is what a retried delivery finds).
    final class Resumption: Sendable {
        private let state = Mutex<CheckedContinuation<Written?, any Error>?>(nil)

        func set(_ c: CheckedContinuation<Written?, any Error>) { state.withLock { $0 = c } }

        func resume(returning value: Written?) { take()?.resume(returning: value) }
        func resume(throwing error: any Error) { take()?.resume(throwing: error) }

        private func take() -> CheckedContinuation<Written?, any Error>? {
            state.withLock { c in
                defer { c = nil }
                return c
            }
        }
    }

    private struct State {
        var queue: [Waiter] = []
        var batchesInFlight = 0
    }

    private let state = Mutex(State())
    let maxBatch: Int
    let maxConcurrentBatches: Int
    let client: PostgresClient
    let logger: Logger

    /// The longest a batch may take, connection wait included (a batch normally takes milliseconds).
    let deadline: Duration

    init(client: PostgresClient, logger: Logger, maxBatch: Int = 64, maxConcurrentBatches: Int = 4,
         deadline: Duration = .milliseconds(1500)) {
        self.deadline = deadline
        self.client = client
        self.logger = logger
        self.maxBatch = maxBatch
        self.maxConcurrentBatches = maxConcurrentBatches
    }

    /// Writes the letter and its first event; nil when (channel, channelRef) already exists.
    func write(_ letter: NewLetter) async throws -> Written? {
        let resumption = Resumption()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                resumption.set(continuation)
                if Task.isCancelled {
                    resumption.resume(throwing: CancellationError())
                    return
                }
                let lead = state.withLock { s in
                    s.queue.append(Waiter(letter: letter, continuation: resumption))
                    guard s.batchesInFlight < maxConcurrentBatches else { return false }
                    s.batchesInFlight += 1
                    return true
                }
                if lead { Task { await self.drain() } }
            }
        } onCancel: {
            // Still queued: never written. Already in a batch: that batch may still commit it.
            state.withLock { s in s.queue.removeAll { $0.continuation === resumption } }
            resumption.resume(throwing: CancellationError())
        }
    }

    private func drain() async {
        while true {
            let batch: [Waiter] = state.withLock { s in
                guard !s.queue.isEmpty else {
                    s.batchesInFlight -= 1
                    return []
                }
                let n = min(maxBatch, s.queue.count)
                defer { s.queue.removeFirst(n) }
                return Array(s.queue.prefix(n))
            }
            if batch.isEmpty { return }
            await flush(batch)
        }
    }

    private func flush(_ batch: [Waiter]) async {
        // A channel reference twice in one batch (a retry racing its original): only the first
        // is sent; the others find it stored afterwards and answer as repeats.
        var seen = Set<String>()
        var send: [Waiter] = []
        var repeats: [Waiter] = []
        for w in batch {
            if let ref = w.letter.channelRef, !seen.insert("\(w.letter.channel.rawValue)/\(ref)").inserted {
                repeats.append(w)
            } else {
                send.append(w)
            }
        }
        do {
            let written = try await execute(send.map(\.letter))
            for w in send { w.continuation.resume(returning: written[w.letter.queryCodeHash]) }
        } catch where StoreError.isUnavailable(error) {
            // The database is not there: retrying letter by letter would only make every caller wait longer, and
            // so would starting the queued letters' batch, a deadline later: they fail now too (503 to each).
            let queued = state.withLock { s in
                defer { s.queue.removeAll() }
                return s.queue
            }
            logger.warning("intake batch failed: database unavailable",
                           metadata: ["letters": "\(send.count + queued.count)", "error": "\(StoreError.describe(error))"])
            for w in send + queued { w.continuation.resume(throwing: error) }
        } catch {
            logger.warning("intake batch failed; retrying its letters one by one",
                           metadata: ["letters": "\(send.count)", "error": "\(StoreError.describe(error))"])
            for w in send {
                do {
                    w.continuation.resume(returning: try await execute([w.letter])[w.letter.queryCodeHash])
                } catch {
                    w.continuation.resume(throwing: error)
                }
            }
        }
        for w in repeats { w.continuation.resume(returning: nil) }
    }

    /// One statement for the whole batch; results keyed by query-code hash (unique per letter).
    /// Bounded by `deadline`, the wait for a connection included: callers wait on the batch, so a batch that
    /// cannot reach the database must fail them rather than hold them.
    private func execute(_ letters: [NewLetter]) async throws -> [String: Written] {
        let client = client, logger = logger
        return try await StoreError.withDeadline(deadline, "an intake batch") {
            var result: [String: Written] = [:]
            for try await (id, tracking, hash) in try await client.execute(IntakeBatchStatement(letters: letters), logger: logger) {
                result[hash] = (id, tracking)
            }
            return result
        }
    }
}

/// The batch form of the intake: arrays in, one row per letter through unnest, the same
/// INSERT … ON CONFLICT DO NOTHING and first event as a single letter would get.
struct IntakeBatchStatement: PostgresPreparedStatement {
    typealias Row = (Int64, String, String)
    static let sql = """
        WITH input AS (
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                                 $8::text[], $9::text[], $10::text[], $11::text[], $12::bool[], $13::text[], $14::text[],
                                 $15::text[], $16::text[], $17::float8[], $18::text[], $19::float8[], $20::float8[],
                                 $21::text[], $22::float8[], $23::text[], $24::bool[], $25::text[], $26::text[], $27::text[],
                                 $28::bool[])
                WITH ORDINALITY AS i(channel, channel_ref, digest, category, title, body, writer_name, phone, id_card,
                                     address, town, consent, citizen_key, qch, status, clock, received, sla_state, due,
                                     warn, ev_kind, ev_at, ev_actor, ev_public, ev_data, dept, routed_data, provisional, ord)
        ), inserted AS (
            INSERT INTO letters (tracking_no, channel, channel_ref, intake_digest, category, title, body,
                writer_name, phone, id_card, address, town, publish_consent, citizen_key, query_code_hash,
                status, received_at, sla_clock, sla_state, due_at, warn_at, department_id, departments, version, sla_provisional)
            SELECT tracking_no_for(to_timestamp(received), nextval('letter_tracking_seq')),
                   channel, NULLIF(channel_ref, ''), decode(NULLIF(digest, ''), 'hex'), category, title, body,
                   writer_name, phone, NULLIF(id_card, ''), NULLIF(address, ''), NULLIF(town, ''), consent,
                   citizen_key, decode(qch, 'hex'), status, to_timestamp(received), NULLIF(clock, '')::jsonb,
                   sla_state, to_timestamp(NULLIF(due, 'NaN')), to_timestamp(NULLIF(warn, 'NaN')),
                   NULLIF(dept, ''), CASE WHEN dept = '' THEN '{}'::text[] ELSE ARRAY[dept] END,
                   CASE WHEN dept = '' THEN 1 ELSE 2 END, provisional
            FROM input ORDER BY ord
            ON CONFLICT (channel, channel_ref) WHERE channel_ref IS NOT NULL DO NOTHING
            RETURNING id, tracking_no, query_code_hash
        ), event AS (
            -- The first event; and for a letter a routing rule matched, its `routed` event (version 2).
            INSERT INTO letter_events (letter_id, version, kind, occurred_at, actor, public, data)
            SELECT e.* FROM (
                SELECT ins.id, 1, i.ev_kind, to_timestamp(i.ev_at), i.ev_actor, i.ev_public, i.ev_data::jsonb
                FROM inserted ins JOIN input i ON decode(i.qch, 'hex') = ins.query_code_hash
                UNION ALL
                SELECT ins.id, 2, 'routed', to_timestamp(i.ev_at), 'system:routing', true, i.routed_data::jsonb
                FROM inserted ins JOIN input i ON decode(i.qch, 'hex') = ins.query_code_hash
                WHERE i.dept <> ''
            ) AS e(letter_id, version, kind, occurred_at, actor, public, data)
            ORDER BY e.letter_id, e.version
        )
        SELECT id, tracking_no, encode(query_code_hash, 'hex') FROM inserted
        """

    let letters: [NewLetter]

    func makeBindings() throws -> PostgresBindings {
        func text(_ f: (NewLetter) -> String?) -> [String] { letters.map { f($0) ?? "" } }
        func time(_ f: (NewLetter) -> Date?) -> [Double] { letters.map { f($0)?.timeIntervalSince1970 ?? .nan } }
        var b = PostgresBindings(capacity: 28)
        b.append(text { $0.channel.rawValue })
        b.append(text { $0.channelRef })
        b.append(text { $0.intakeDigest })
        b.append(text { $0.content.category.rawValue })
        b.append(text { $0.content.title })
        b.append(text { $0.content.body })
        b.append(text { $0.content.writerName })
        b.append(text { $0.content.phone })
        b.append(text { $0.content.idCard })
        b.append(text { $0.content.address })
        b.append(text { $0.content.town })
        b.append(letters.map(\.content.publishConsent))
        b.append(text { $0.citizenKey })
        b.append(text { $0.queryCodeHash })
        b.append(text { $0.status.rawValue })
        b.append(text { $0.sla.clockJSON })
        b.append(time { $0.receivedAt })
        b.append(text { $0.sla.state.rawValue })
        b.append(time { $0.sla.dueAt })
        b.append(time { $0.sla.warnAt })
        b.append(text { $0.events[0].kind.rawValue })
        b.append(time { $0.events[0].occurredAt })
        b.append(text { $0.events[0].actor })
        b.append(letters.map { $0.events[0].kind.isPublic })
        b.append(text { $0.events[0].dataJSON })
        b.append(text { $0.routedBy?.departmentID })
        b.append(text { l in
            l.routedBy.map { r in
                MailboxJSON.object(["from": "received", "to": "assigned", "department_id": r.departmentID, "rule_id": "\(r.id)"])
            }
        })
        b.append(letters.map(\.sla.provisional))
        return b
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}
