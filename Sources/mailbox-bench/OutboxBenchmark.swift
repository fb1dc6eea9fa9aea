import ArgumentParser
import Foundation
import Hummingbird
import Logging
import MailboxDelivery
import MailboxStore
import PostgresNIO

/// The app's notification outbox (docs/performance.md): how fast public changes of app letters
/// are written (each a transaction: version bump + event, whose trigger writes the outbox row),
/// and how fast AppDeliverySender delivers them to a local receiver, in the same run.
struct OutboxBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox", abstract: "Outbox: events written per second vs deliveries per second to a local receiver.")
    @Option(help: "PostgreSQL URL of a migrated, disposable database.") var databaseURL: String
    @Option(help: "Events to write.") var events = 20_000
    @Option(help: "Concurrent writers.") var writers = 8
    @Option(help: "App letters the changes are spread over.") var letterCount = 1000
    @Option(help: "Sender instances delivering at once.") var senders = 2
    @Option(help: "Deliveries one sender claims per round.") var batch = 100
    @Option(help: "Port of the local receiver.") var receiverPort = 18_099

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let url = try DatabaseURL(parsing: databaseURL)
        let runID = String(UInt32.random(in: 0...UInt32.max))
        let client = PostgresClient(configuration: url.clientConfiguration(maxConnections: writers + senders + 2), backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await measure(client, logger, runID: runID)
        }
    }

    /// Counts what the receiver got.
    actor Counter {
        var hits = 0
        func hit() { hits += 1 }
    }

    func measure(_ client: PostgresClient, _ logger: Logger, runID: String) async throws {
        // App letters written straight into the table (no intake needed here), each with its
        // first event; the changes below are spread over them as staff actions would be.
        var letters: [Int64] = []
        let rows = try await client.query(
            """
            INSERT INTO letters (tracking_no, channel, channel_ref, category, title, body, writer_name, phone, publish_consent,
                                 citizen_key, query_code_hash, status, received_at, sla_state)
            SELECT 'BENCH-' || g || '-' || \(runID), 'app', 'bench-' || g || '-' || \(runID), 'consultation', '基准', '基准',
                   '张三', '13800138000', false, 'bench', '\\x00', 'processing', now(), 'running'
            FROM generate_series(1, \(Int32(letterCount))) AS g
            RETURNING id
            """, logger: logger)
        for try await id in rows.decode(Int64.self) { letters.append(id) }
        try await client.query(
            """
            INSERT INTO letter_events (letter_id, version, kind, occurred_at, actor, public)
            SELECT id, 1, 'received', now(), 'bench', true FROM unnest(\(letters)::int8[]) AS id
            """, logger: logger)
        let before = try await count(client, "SELECT count(*) FROM app_deliveries", logger)

        // Writers: each event is its own transaction, as a staff action is; writer w takes the
        // letters w, w + writers, … in turn.
        let perWriter = events / writers
        let writeStart = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<writers {
                let mine = stride(from: w, to: letters.count, by: writers).map { letters[$0] }
                group.addTask {
                    for i in 0..<perWriter {
                        let id = mine[i % mine.count]
                        try await client.withTransaction(logger: logger) { tx in
                            try await tx.query(
                                """
                                WITH v AS (UPDATE letters SET version = version + 1 WHERE id = \(id) RETURNING version)
                                INSERT INTO letter_events (letter_id, version, kind, occurred_at, actor, public)
                                SELECT \(id), version, 'sla_resumed', now(), 'bench', true FROM v
                                """, logger: logger)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let writeSeconds = (ContinuousClock.now - writeStart).seconds
        let written = try await count(client, "SELECT count(*) FROM app_deliveries", logger) - before

        // A local receiver that answers 204 at once.
        let counter = Counter()
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            _ = try await request.body.collect(upTo: 1 << 20)
            await counter.hit()
            return Response(status: .noContent)
        }
        let receiver = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: receiverPort)),
                                   logger: logger)
        let settings = AppCallbackSettings(url: "http://127.0.0.1:\(receiverPort)/hook", secret: "bench-secret",
                                           batchSize: batch, pollInterval: .milliseconds(5))
        let deliverStart = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await receiver.run() }
            try await Task.sleep(for: .milliseconds(300))
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { senders in
                for _ in 0..<self.senders {
                    senders.addTask {
                        let sender = AppDeliverySender(client: client, settings: settings, logger: logger)
                        // Rounds until a round finds nothing and nothing is left pending.
                        while true {
                            if try await sender.deliverDue() > 0 { continue }
                            if try await count(client, "SELECT count(*) FROM app_deliveries WHERE state = 'pending'", logger) == 0 { break }
                            try await Task.sleep(for: .milliseconds(5))
                        }
                    }
                }
                try await senders.waitForAll()
            }
            _ = started
            group.cancelAll()
        }
        let deliverSeconds = (ContinuousClock.now - deliverStart).seconds - 0.3
        let delivered = await counter.hits
        let writeRate = Double(written) / writeSeconds
        let deliverRate = Double(delivered) / deliverSeconds
        print(String(format: "events written (transactions, trigger writes the outbox row): %d in %.2f s = %.0f /s (%d writers)",
                     written, writeSeconds, writeRate, writers))
        print(String(format: "deliveries to a local receiver: %d in %.2f s = %.0f /s (%d senders × batch %d)",
                     delivered, deliverSeconds, deliverRate, senders, batch))
        print(String(format: "delivery rate ÷ write rate: %.2f", deliverRate / writeRate))
    }

    func count(_ client: PostgresClient, _ sql: String, _ logger: Logger) async throws -> Int {
        for try await n in try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(Int64.self) { return Int(n) }
        return 0
    }
}
