import ArgumentParser
import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import MailboxCore
import NIOCore

/// Benchmarks whose figures go to docs/performance.md. Run through deploy/bench-*.sh, which
/// also start the database and the service and measure pgbench's raw rate in the same run.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mailbox-bench", abstract: "Mailbox benchmarks.", subcommands: [SLA.self, Intake.self])
}

struct SLA: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Deadline computations per second: O(1) ordinals vs a day-by-day loop (15 working days).")
    @Option(help: "Seconds per measurement.") var seconds: Double = 3
    @Option(help: "Calendar file.") var calendar = "sql/migrations/0003_cn_calendar_2019_2026.calendar"

    func run() throws {
        let text = try String(contentsOfFile: calendar, encoding: .utf8)
        for line in SLABenchmark.run(seconds: seconds, calendarText: text) { print(line) }
    }
}

struct Intake: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Drive POST /v1/intake/app with signed deliveries at a fixed concurrency for a fixed time.")
    @Option var host = "127.0.0.1"
    @Option var port = 8080
    @Option(help: "Concurrent connections.") var concurrency = 32
    @Option(help: "Seconds to run (after a 2 s warm-up).") var seconds = 20.0
    @Option(help: "Webhook secret (default: $MAILBOX_APP_WEBHOOK_SECRET).") var secret: String?

    struct Sample: Sendable { var latencies: [Double] = []; var errors = 0; var firstError: String? }

    func run() async throws {
        guard let secret = secret ?? ProcessInfo.processInfo.environment["MAILBOX_APP_WEBHOOK_SECRET"] else {
            throw ValidationError("--secret or MAILBOX_APP_WEBHOOK_SECRET is required")
        }
        let key = SymmetricKey(data: Data(secret.utf8))
        let warmUp = ContinuousClock.now + .seconds(2)
        let deadline = warmUp + .milliseconds(Int(seconds * 1000))
        let host = self.host, port = self.port
        let samples = try await withThrowingTaskGroup(of: Sample.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    let client = TestClient(host: host, port: port)
                    client.connect()
                    var sample = Sample()
                    var n = 0
                    while ContinuousClock.now < deadline {
                        n += 1
                        let body = Self.letter(id: "bench-\(worker)-\(n)-\(UInt32.random(in: 0...UInt32.max))")
                        let ts = String(Int(Date().timeIntervalSince1970))
                        var message = Data(ts.utf8)
                        message.append(UInt8(ascii: "."))
                        message.append(contentsOf: body)
                        let mac = HMAC<SHA256>.authenticationCode(for: message, using: key)
                        let signature = "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
                        let start = ContinuousClock.now
                        let response = try await client.post(
                            "/v1/intake/app",
                            headers: [.contentType: "application/json", HTTPField.Name("X-Mailbox-Timestamp")!: ts,
                                      HTTPField.Name("X-Mailbox-Signature")!: signature],
                            body: ByteBuffer(bytes: body))
                        let end = ContinuousClock.now
                        guard start >= warmUp else { continue }
                        if response.status == .created {
                            let d = end - start
                            sample.latencies.append(Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15)
                        } else {
                            sample.errors += 1
                            if sample.firstError == nil {
                                sample.firstError = "\(response.status.code) \(String(buffer: response.body ?? ByteBuffer()).prefix(200))"
                            }
                        }
                    }
                    try await client.shutdown()
                    return sample
                }
            }
            var all: [Sample] = []
            for try await s in group { all.append(s) }
            return all
        }
        let latencies = samples.flatMap(\.latencies).sorted()
        let errors = samples.reduce(0) { $0 + $1.errors }
        func percentile(_ p: Double) -> Double {
            latencies.isEmpty ? .nan : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
        }
        print("intake_concurrency=\(concurrency)")
        print("intake_seconds=\(seconds)")
        print("intake_letters=\(latencies.count)")
        print(String(format: "intake_letters_per_second=%.1f", Double(latencies.count) / seconds))
        print(String(format: "intake_p50_ms=%.2f", percentile(0.50)))
        print(String(format: "intake_p99_ms=%.2f", percentile(0.99)))
        print("intake_errors=\(errors)")
        if let e = samples.compactMap(\.firstError).first { print("intake_first_error=\(e)") }
    }

    /// A realistic letter: Chinese title and ~600-character body, like the district's letters.
    static func letter(id: String) -> [UInt8] {
        let body = String(repeating: "小区门口道路破损严重，雨天积水，老人孩子出行不便，请有关部门尽快修复。", count: 18)
        let object: [String: Any] = [
            "app_letter_id": id, "category": "complaint", "title": "小区门口道路破损积水",
            "body": body, "writer_name": "王五", "phone": "13912345678", "town": "鼓楼街道",
            "publish_consent": true,
        ]
        return Array(try! JSONSerialization.data(withJSONObject: object))
    }
}
