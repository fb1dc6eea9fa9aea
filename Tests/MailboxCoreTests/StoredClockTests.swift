import Foundation
@testable import MailboxCore
import Testing

/// The stored clock's fast reader must read exactly what JSONDecoder reads, in each form the clock is stored or
/// printed in, and leave anything else to JSONDecoder.
@Suite struct StoredClockTests {
    static let reasons = ["", "工作量大", "quote \" and backslash \\", "line\nbreak\ttab", "emoji 🏮 and slash /", "\u{1}control"]

    static func randomClock(_ rng: inout SplitMix64) -> SLAClock {
        func instant() -> Date {
            // Whole milliseconds, as stored (formatTimestamp writes milliseconds).
            Date(timeIntervalSince1970: Double(1_546_300_800_000 + Int64(rng.next() % 250_000_000_000)) / 1000)
        }
        let pauses = (0..<Int(rng.next() % 3)).map { _ in SLAPause(start: instant(), end: rng.next() % 2 == 0 ? instant() : nil) }
        let extensions = (0..<Int(rng.next() % 3)).map { _ in
            SLAExtension(workingDays: Int(rng.next() % 30) + 1, approvedAt: instant(),
                         reason: reasons[Int(rng.next() % UInt64(reasons.count))])
        }
        return SLAClock(receivedAt: instant(), rule: rng.next() % 2 == 0 ? .followingDays : .elapsed,
                        limitWorkingDays: Int(rng.next() % 60) + 1, warningRatio: [0.8, 0.5, 0.75, 1, 0.333][Int(rng.next() % 5)],
                        pauses: pauses, extensions: extensions, closedAt: rng.next() % 2 == 0 ? instant() : nil)
    }

    /// As PostgreSQL prints a jsonb: keys by length then bytes, `": "` and `", "`, non-ASCII as is, `null` kept.
    static func jsonbText(_ clock: SLAClock) throws -> String {
        let object = try JSONSerialization.jsonObject(with: Data(clock.jsonText.utf8))
        func render(_ v: Any) -> String {
            switch v {
            case let d as [String: Any]:
                let keys = d.keys.sorted { a, b in
                    a.utf8.count != b.utf8.count ? a.utf8.count < b.utf8.count : Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
                }
                return "{" + keys.map { MailboxJSON.quoted($0) + ": " + render(d[$0]!) }.joined(separator: ", ") + "}"
            case let a as [Any]: return "[" + a.map(render).joined(separator: ", ") + "]"
            case let s as String: return MailboxJSON.quoted(s)
            case let n as NSNumber: return n.stringValue
            default: return "null"
            }
        }
        var text = render(object)
        if clock.closedAt == nil { text = text.replacingOccurrences(of: "{", with: "{\"closedAt\": null, ", options: [], range: text.startIndex..<text.index(after: text.startIndex)) }
        return text
    }

    @Test func fastReaderAgreesWithJSONDecoderOnRandomClocks() throws {
        var rng = SplitMix64(seed: 7)
        var read = 0
        for _ in 0..<2000 {
            let clock = Self.randomClock(&rng)
            let forms = [clock.jsonText, try Self.jsonbText(clock),
                         String(decoding: try MailboxJSON.encoder(snakeCase: false).encode(clock), as: UTF8.self)]
            for text in forms {
                let slow = try MailboxJSON.decoder().decode(SLAClock.self, from: Data(text.utf8))
                #expect(slow == clock, "\(text)")
                let fast = StoredClockReader.read(text)
                #expect(fast == slow, "\(text)")
                if fast != nil { read += 1 }
                #expect(SLAClock.decodeStored(text) == slow)
            }
        }
        #expect(read == 6000)  // the fast path is taken for every stored form
    }

    @Test func escapesAreReadAsJSONDecoderReadsThem() throws {
        let base = #"{"rule":"following_days","pauses":[],"receivedAt":"2026-03-02T01:30:00.123Z","warningRatio":0.8,"limitWorkingDays":5,"extensions":[{"reason":"REASON","approvedAt":"2026-03-03T01:30:00Z","workingDays":2}]}"#
        for reason in [#"a\u0022b"#, #"\ud83c\udfee lantern"#, #"\u5de5\u4f5c"#, #"\/\b\f\n\r\t"#, #"tab\u0009"#] {
            let text = base.replacingOccurrences(of: "REASON", with: reason)
            let slow = try MailboxJSON.decoder().decode(SLAClock.self, from: Data(text.utf8))
            #expect(StoredClockReader.read(text) == slow, "\(reason)")
        }
    }

    @Test func whatTheReaderDoesNotKnowGoesToJSONDecoder() throws {
        let clock = SLAClock(receivedAt: Date(timeIntervalSince1970: 1_700_000_000), limitWorkingDays: 5)
        let text = clock.jsonText
        let variants = [
            text.replacingOccurrences(of: "\"rule\"", with: "\"future\":[1,{\"x\":true}],\"rule\""),  // an unknown key
            text.replacingOccurrences(of: "\"limitWorkingDays\":5", with: "\"limitWorkingDays\":5.0"),
            text.replacingOccurrences(of: "0.8", with: "8e-1"),
        ]
        for v in variants {
            #expect(StoredClockReader.read(v) == nil, "\(v)")
            #expect(SLAClock.decodeStored(v) == (try? MailboxJSON.decoder().decode(SLAClock.self, from: Data(v.utf8))), "\(v)")
        }
        #expect(SLAClock.decodeStored(text.replacingOccurrences(of: "\"limitWorkingDays\":5", with: "\"limitWorkingDays\":5.0")) == clock)
        // Broken text: neither reads it.
        for broken in [String(text.dropLast()), text + "x", text.replacingOccurrences(of: "\"rule\":", with: "\"rule\":\"rule\":"),
                       text.replacingOccurrences(of: "2023", with: "2023x"), "", "null"] {
            #expect(StoredClockReader.read(broken) == nil, "\(broken)")
            #expect(SLAClock.decodeStored(broken) == nil, "\(broken)")
        }
    }
}
