import Foundation
import HummingbirdTesting
import Logging
import MailboxCore
import Synchronization
import Testing

/// Keeps every log line (message and metadata) in memory.
final class LogRecorder: Sendable {
    let lines = Mutex<[String]>([])

    func handler(label: String) -> some LogHandler { Handler(label: label, recorder: self) }

    struct Handler: LogHandler {
        let label: String
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            recorder.lines.withLock { $0.append("\(event.message) \(all)") }
        }
    }
}

@Suite("Logs")
struct LoggingTests {
    @Test("Every request logs its request id, and no log line carries personal data or a query code")
    func noPersonalData() async throws {
        let recorder = LogRecorder()
        let logger = Logger(label: "test") { recorder.handler(label: $0) }
        let phone = "13912345670", idCard = "11010519491231002X", name = "欧阳娜娜"
        try await TestApp.run(logger: logger) { app, http in
            let created = try await http.postLetter(letterJSON(["phone": phone, "id_card": idCard, "writer_name": name]))
            let code = try #require(decodeObject(created.body)["query_code"] as? String)
            let tracking = try #require(decodeObject(created.body)["tracking_no"] as? String)
            _ = try await http.execute(uri: "/v1/public/letters/\(tracking)?code=\(code)", method: .get)
            _ = try await http.deliver(jsonBuffer(letterJSON(["app_letter_id": "log-1", "phone": phone, "writer_name": name])))
            _ = try await http.postLetter(letterJSON(["phone": phone + "9", "writer_name": name]))  // 422
            _ = try await http.deliver(jsonBuffer(letterJSON(["phone": phone])), secret: "wrong")  // 401
            let lines = recorder.lines.withLock { $0 }
            #expect(lines.count >= 5)
            #expect(lines.filter { $0.contains("hb.request.id") }.count >= 5)
            for line in lines {
                #expect(!line.contains(phone) && !line.contains(idCard) && !line.contains(name) && !line.contains(code),
                        "personal data in a log line: \(line)")
            }
        }
    }
}
