import Foundation
import MailboxCore
import PropertyBased
import Testing

@Suite("Letter rules and JSON helpers")
struct LetterCoreTests {
    @Test("Phone numbers: mobile and landline forms normalise; others are refused")
    func phones() {
        #expect(Identity.normalizedPhone("13800138000") == "13800138000")
        #expect(Identity.normalizedPhone("+86 138-0013-8000") == "13800138000")
        #expect(Identity.normalizedPhone("8613800138000") == "13800138000")
        #expect(Identity.normalizedPhone("010-69041234") == "010-69041234")
        #expect(Identity.normalizedPhone("01069041234") == "01069041234")
        for bad in ["12800138000", "1380013800", "138001380001", "abc", "", "010-123", "0-1234567-8"] {
            #expect(Identity.normalizedPhone(bad) == nil, "\(bad)")
        }
    }

    @Test("ID numbers: check character and birth date are verified")
    func idCards() {
        #expect(Identity.normalizedIDCard("11010519491231002x") == "11010519491231002X")
        #expect(Identity.normalizedIDCard("11010519491231002X") == "11010519491231002X")
        #expect(Identity.normalizedIDCard("110105194912310021") == nil)  // wrong check character
        #expect(Identity.normalizedIDCard("110101199002307574") == nil)  // 30 February, check character right
        #expect(Identity.normalizedIDCard("1101051949123100") == nil)
    }

    @Test("Masking keeps only what identifies nothing")
    func masking() {
        #expect(Masking.phone("13800138000") == "138****8000")
        #expect(Masking.idCard("11010519491231002X") == "110105********002X")
        #expect(Masking.name("张三丰") == "张**")
    }

    @Test("Control characters are refused except line breaks and tabs in multi-line text")
    func controlCharacters() {
        for (text, multiline, bad) in [("a\u{7}b", true, true), ("a\nb", true, false), ("a\nb", false, true),
                                       ("a\u{85}b", true, true), ("a\u{7F}b", true, true), ("中文\t", true, false),
                                       ("é ü 中", false, false)] {
            var v = FieldValidator()
            _ = v.optionalText(text, "f", limit: 100, multiline: multiline)
            #expect(v.errors.isEmpty == !bad, "\(text.debugDescription) multiline=\(multiline)")
        }
    }

    @Test("Length limits count code points of the value as sent (JSON Schema's maxLength), not bytes")
    func limits() {
        var v = FieldValidator()
        // 100 characters of 3-byte UTF-8 pass; a flag is two code points, as JSON Schema counts it.
        #expect(v.optionalText(String(repeating: "长", count: 100), "t", limit: 100) != nil)
        #expect(v.optionalText(String(repeating: "🇨🇳", count: 50), "t", limit: 100) != nil)
        #expect(v.errors.isEmpty)
        #expect(v.optionalText(String(repeating: "🇨🇳", count: 51), "t", limit: 100) == nil)
        #expect(v.optionalText(String(repeating: "长", count: 101), "t", limit: 100) == nil)
        // Surrounding whitespace counts: the schema cannot trim before it measures.
        #expect(v.optionalText(" " + String(repeating: "长", count: 100), "t", limit: 100) == nil)
        #expect(v.errors.count == 3)
    }

    @Test("Timestamps format as RFC 3339 UTC with milliseconds and parse back", .timeLimit(.minutes(1)))
    func timestamps() async {
        await propertyCheck(count: 500, input: Gen.int(in: 0...4_102_444_800_000)) { ms in
            let date = Date(timeIntervalSince1970: Double(ms) / 1000)
            let text = MailboxJSON.formatTimestamp(date)
            #expect(text.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil)
            #expect(MailboxJSON.parseTimestamp(text) != nil)
            #expect(MailboxJSON.parseTimestamp(text).map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) } == Int64(ms))
        }
    }

    @Test("JSONWriter writes integers and timestamps byte for byte as String and formatTimestamp do")
    func writerNumbers() async {
        await propertyCheck(count: 500, input: Gen.int(in: -2_000_000_000...4_102_444_800_000)) { n in
            var w = JSONWriter()
            w.int(n)
            w.raw(" ")
            w.timestamp(Date(timeIntervalSince1970: Double(n) / 1000))
            let expected = String(n) + " \"" + MailboxJSON.formatTimestamp(Date(timeIntervalSince1970: Double(n) / 1000)) + "\""
            #expect(String(decoding: w.bytes, as: UTF8.self) == expected)
        }
        for n in [0, 9, 10, 99, 100, Int.max, Int.min, -1] {
            var w = JSONWriter()
            w.int(n)
            #expect(String(decoding: w.bytes, as: UTF8.self) == String(n))
        }
    }

    @Test("Timestamps: every RFC 3339 date-time is read (any offset to ±23:59, t/z, fractions), nothing else")
    func rfc3339() {
        let utc = MailboxJSON.parseTimestamp("2026-03-02T01:30:00Z")
        #expect(utc != nil)
        #expect(MailboxJSON.parseTimestamp("2026-03-02T09:30:00+08:00") == utc)
        #expect(MailboxJSON.parseTimestamp("2026-03-01t20:30:00-05:00") == utc)
        #expect(MailboxJSON.parseTimestamp("2026-03-02t01:30:00z") == utc)
        #expect(MailboxJSON.parseTimestamp("2026-03-02T01:30:00.5Z")?.timeIntervalSince(utc!) == 0.5)
        #expect(MailboxJSON.parseTimestamp("0985-11-02T05:42:48+21:18") != nil)
        #expect(MailboxJSON.parseTimestamp("2024-02-29T00:00:00Z") != nil)
        for bad in ["2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-03-02 01:30:00Z", "2026-03-02T24:00:00Z",
                    "2026-03-02T01:30:00", "2026-03-02T01:30:00+24:00", "2026-03-02T01:30:00.Z", "2026-03-02T01:30Z", ""] {
            #expect(MailboxJSON.parseTimestamp(bad) == nil, "\(bad)")
        }
        // Agrees with Foundation wherever Foundation reads the text (to the millisecond: Foundation truncates
        // the fraction it formats; our own formatter's round trip is exact, see above).
        for ms in stride(from: Int64(-2_000_000_000_000), through: 4_000_000_000_000, by: 7_777_777_777) {
            let date = Date(timeIntervalSince1970: Double(ms) / 1000)
            let style = Date.ISO8601FormatStyle(timeZoneSeparator: .colon, includingFractionalSeconds: true,
                                                timeZone: TimeZone(secondsFromGMT: 8 * 3600)!)
            let text = date.formatted(style)
            let ours = MailboxJSON.parseTimestamp(text).map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) }
            let foundation = (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)).map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) }
            #expect(ours != nil && foundation != nil && abs(ours! - foundation!) <= 1, "\(text): \(String(describing: ours)) vs \(String(describing: foundation))")
        }
    }

    @Test("The hand-written clock JSON reads back as the same clock the Codable form gives")
    func clockJSON() throws {
        let t = Date(timeIntervalSince1970: 1_764_400_000.25)
        let clock = SLAClock(receivedAt: t, rule: .elapsed, limitWorkingDays: 3, warningRatio: 0.75,
                             pauses: [SLAPause(start: t.addingTimeInterval(60), end: t.addingTimeInterval(3600)),
                                      SLAPause(start: t.addingTimeInterval(7200), end: nil)],
                             extensions: [SLAExtension(workingDays: 2, approvedAt: t.addingTimeInterval(90), reason: "会商 \"quoted\"\n")],
                             closedAt: t.addingTimeInterval(86400))
        let viaHand = try MailboxJSON.decoder().decode(SLAClock.self, from: Data(clock.jsonText.utf8))
        let viaCodable = try MailboxJSON.decoder().decode(SLAClock.self, from: MailboxJSON.encoder(snakeCase: false).encode(clock))
        #expect(viaHand == viaCodable)
        #expect(viaHand == clock)
        #expect(try JSONSerialization.jsonObject(with: Data(MailboxJSON.object(["a": "x\u{1}\"y", "b": "中"]).utf8)) as? [String: String]
                == ["a": "x\u{1}\"y", "b": "中"])
    }
}

@Suite("Tracking numbers (查询编号)")
struct TrackingNumberTests {
    @Test("Every generated number reads back as its serial: 7 digits padded, longer ones in full")
    func roundTrip() {
        #expect(TrackingNumber.format(year: 2026, serial: 171) == "2026-0000171")
        #expect(TrackingNumber.format(year: 2026, serial: 9_999_999) == "2026-9999999")
        #expect(TrackingNumber.format(year: 2026, serial: 10_000_000) == "2026-10000000")
        var rng = SystemRandomNumberGenerator()
        let serials: [Int64] = [1, 9, 999_999, 1_000_000, 9_999_999, 10_000_000, TrackingNumber.reserveLimit]
            + (0..<500).map { _ in Int64.random(in: 1...TrackingNumber.reserveLimit, using: &rng) }
        for s in serials {
            let year = Int.random(in: 1990...2100, using: &rng)
            #expect(TrackingNumber.generatedSerial(of: TrackingNumber.format(year: year, serial: s)) == s, "\(year) \(s)")
        }
    }

    @Test("Shapes the generator never writes, and serials past the limit, reserve nothing")
    func otherShapes() {
        for n in ["2026-123", "2026-000123", "2026-00000171", "2026-0123456789", "26-0000171", "2026_0000171",
                  "ABCD-0000171", "2026-000017a", "2026-0000000", "2026-1000000000000", "2026-99999999999999999999",
                  "２０２６-0000171", "2026-０000171", ""] {
            #expect(TrackingNumber.generatedSerial(of: n) == nil, "\(n)")
        }
    }
}
