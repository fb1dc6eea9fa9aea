import Foundation

extension SLAClock {
    /// The clock as stored in `letters.sla_clock`: the same JSON the synthesized Codable reads,
    /// written by hand because JSONEncoder was a visible share of the intake's CPU.
    public var jsonText: String {
        var out = "{"
        if let closedAt { out += "\"closedAt\":" + MailboxJSON.quoted(MailboxJSON.formatTimestamp(closedAt)) + "," }
        out += "\"extensions\":["
        out += extensions.map { e in
            "{\"approvedAt\":\(MailboxJSON.quoted(MailboxJSON.formatTimestamp(e.approvedAt))),\"reason\":\(MailboxJSON.quoted(e.reason)),\"workingDays\":\(e.workingDays)}"
        }.joined(separator: ",")
        out += "],\"limitWorkingDays\":\(limitWorkingDays),\"pauses\":["
        out += pauses.map { p in
            var s = "{"
            if let end = p.end { s += "\"end\":" + MailboxJSON.quoted(MailboxJSON.formatTimestamp(end)) + "," }
            return s + "\"start\":" + MailboxJSON.quoted(MailboxJSON.formatTimestamp(p.start)) + "}"
        }.joined(separator: ",")
        out += "],\"receivedAt\":" + MailboxJSON.quoted(MailboxJSON.formatTimestamp(receivedAt))
        out += ",\"rule\":" + MailboxJSON.quoted(rule.rawValue)
        out += ",\"warningRatio\":\(warningRatio.isFinite ? warningRatio : 0.8)}"
        return out
    }
}

extension SLAClock {
    /// Reads a stored clock (`letters.sla_clock`, as PostgreSQL prints the jsonb or as ``jsonText`` wrote it). Reports
    /// decode one per open letter and the evaluation per request; Foundation's JSONDecoder cost more than evaluating
    /// the clock, so the known shape is read by ``StoredClockReader`` and anything it does not recognise goes to
    /// JSONDecoder, which stays the definition (a test compares both on random clocks).
    public static func decodeStored(_ text: String) -> SLAClock? {
        if let clock = StoredClockReader.read(text) { return clock }
        return try? MailboxJSON.decoder().decode(SLAClock.self, from: Data(text.utf8))
    }
}

/// A strict reader of the stored clock's JSON: objects, arrays, strings (all escapes), integers, decimals, `null`.
/// It answers nil rather than guess (duplicate keys, exponents, a missing field, anything else).
enum StoredClockReader {
    static func read(_ text: String) -> SLAClock? {
        var text = text
        return text.withUTF8 { buffer in
            var r = Cursor(u: buffer)
            guard let clock = r.clock() else { return nil }
            r.space()
            return r.i == buffer.count ? clock : nil
        }
    }

    struct Cursor {
        let u: UnsafeBufferPointer<UInt8>
        var i = 0

        mutating func space() {
            while i < u.count, u[i] == 0x20 || u[i] == 0x0A || u[i] == 0x0D || u[i] == 0x09 { i += 1 }
        }

        mutating func take(_ b: UInt8) -> Bool {
            space()
            guard i < u.count, u[i] == b else { return false }
            i += 1
            return true
        }

        mutating func null() -> Bool {
            space()
            guard i + 4 <= u.count, u[i] == UInt8(ascii: "n"), u[i + 1] == UInt8(ascii: "u"), u[i + 2] == UInt8(ascii: "l"),
                  u[i + 3] == UInt8(ascii: "l") else { return false }
            i += 4
            return true
        }

        mutating func string() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = i
            while i < u.count, u[i] != UInt8(ascii: "\""), u[i] != UInt8(ascii: "\\"), u[i] >= 0x20 { i += 1 }
            guard i < u.count else { return nil }
            if u[i] == UInt8(ascii: "\"") {
                defer { i += 1 }
                return String(decoding: UnsafeBufferPointer(rebasing: u[start..<i]), as: UTF8.self)
            }
            // Escapes: rare (extension reasons), so the slow path.
            var scalars = String.UnicodeScalarView()
            scalars.append(contentsOf: String(decoding: UnsafeBufferPointer(rebasing: u[start..<i]), as: UTF8.self).unicodeScalars)
            var bytes: [UInt8] = []
            func flush() {
                scalars.append(contentsOf: String(decoding: bytes, as: UTF8.self).unicodeScalars)
                bytes.removeAll(keepingCapacity: true)
            }
            while i < u.count {
                let b = u[i]
                if b == UInt8(ascii: "\"") {
                    i += 1
                    flush()
                    return String(scalars)
                }
                guard b >= 0x20 else { return nil }
                guard b == UInt8(ascii: "\\") else { bytes.append(b); i += 1; continue }
                guard i + 1 < u.count else { return nil }
                let e = u[i + 1]
                i += 2
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes.append(e)
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "f"): bytes.append(0x0C)
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "u"):
                    guard let high = hex4() else { return nil }
                    var scalar: UInt32 = high
                    if (0xD800..<0xDC00).contains(high) {
                        guard i + 1 < u.count, u[i] == UInt8(ascii: "\\"), u[i + 1] == UInt8(ascii: "u") else { return nil }
                        i += 2
                        guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                        scalar = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(high) {
                        return nil
                    }
                    guard let s = Unicode.Scalar(scalar) else { return nil }
                    flush()
                    scalars.append(s)
                default: return nil
                }
            }
            return nil
        }

        mutating func hex4() -> UInt32? {
            guard i + 4 <= u.count else { return nil }
            var v: UInt32 = 0
            for b in u[i..<i + 4] {
                let d: UInt8
                switch b {
                case 0x30...0x39: d = b - 0x30
                case 0x41...0x46: d = b - 0x41 + 10
                case 0x61...0x66: d = b - 0x61 + 10
                default: return nil
                }
                v = v << 4 | UInt32(d)
            }
            i += 4
            return v
        }

        /// `-?digits[.digits]`, no exponent.
        mutating func number() -> (text: Substring, integral: Bool)? {
            space()
            let start = i
            if i < u.count, u[i] == UInt8(ascii: "-") { i += 1 }
            let digitsStart = i
            while i < u.count, u[i] >= 0x30, u[i] <= 0x39 { i += 1 }
            guard i > digitsStart, i - digitsStart < 16 else { return nil }
            var integral = true
            if i < u.count, u[i] == UInt8(ascii: ".") {
                integral = false
                i += 1
                let f = i
                while i < u.count, u[i] >= 0x30, u[i] <= 0x39 { i += 1 }
                guard i > f else { return nil }
            }
            if i < u.count, u[i] == UInt8(ascii: "e") || u[i] == UInt8(ascii: "E") { return nil }
            return (Substring(String(decoding: UnsafeBufferPointer(rebasing: u[start..<i]), as: UTF8.self)), integral)
        }

        mutating func int() -> Int? {
            guard let n = number(), n.integral else { return nil }
            return Int(n.text)
        }

        mutating func double() -> Double? {
            guard let n = number() else { return nil }
            return Double(n.text)
        }

        mutating func date() -> Date? { string().flatMap(MailboxJSON.parseTimestamp) }

        /// `{ "key": value, … }`, calling `field` with each key (which reads the value); each key at most once.
        mutating func object(_ field: (inout Cursor, String) -> Bool) -> Bool {
            guard take(UInt8(ascii: "{")) else { return false }
            if take(UInt8(ascii: "}")) { return true }
            var seen: Set<String> = []
            repeat {
                guard let key = string(), seen.insert(key).inserted, take(UInt8(ascii: ":")), field(&self, key) else { return false }
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "}"))
        }

        mutating func array(_ element: (inout Cursor) -> Bool) -> Bool {
            guard take(UInt8(ascii: "[")) else { return false }
            if take(UInt8(ascii: "]")) { return true }
            repeat {
                guard element(&self) else { return false }
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "]"))
        }

        mutating func clock() -> SLAClock? {
            var receivedAt: Date?, rule: CountingRule?, limit: Int?, ratio: Double?, closedAt: Date?
            var pauses: [SLAPause]?, extensions: [SLAExtension]?
            let ok = object { r, key in
                switch key {
                case "receivedAt": receivedAt = r.date(); return receivedAt != nil
                case "rule": rule = r.string().flatMap(CountingRule.init(rawValue:)); return rule != nil
                case "limitWorkingDays": limit = r.int(); return limit != nil
                case "warningRatio": ratio = r.double(); return ratio != nil
                case "closedAt":
                    if r.null() { return true }
                    closedAt = r.date(); return closedAt != nil
                case "pauses":
                    var list: [SLAPause] = []
                    guard r.array({ r in
                        var start: Date?, end: Date?
                        guard r.object({ r, key in
                            switch key {
                            case "start": start = r.date(); return start != nil
                            case "end":
                                if r.null() { return true }
                                end = r.date(); return end != nil
                            default: return false
                            }
                        }), let start else { return false }
                        list.append(SLAPause(start: start, end: end))
                        return true
                    }) else { return false }
                    pauses = list
                    return true
                case "extensions":
                    var list: [SLAExtension] = []
                    guard r.array({ r in
                        var days: Int?, approvedAt: Date?, reason: String?
                        guard r.object({ r, key in
                            switch key {
                            case "workingDays": days = r.int(); return days != nil
                            case "approvedAt": approvedAt = r.date(); return approvedAt != nil
                            case "reason": reason = r.string(); return reason != nil
                            default: return false
                            }
                        }), let days, let approvedAt, let reason else { return false }
                        list.append(SLAExtension(workingDays: days, approvedAt: approvedAt, reason: reason))
                        return true
                    }) else { return false }
                    extensions = list
                    return true
                default: return false  // unknown keys: JSONDecoder decides
                }
            }
            guard ok, let receivedAt, let rule, let limit, let ratio, let pauses, let extensions else { return nil }
            return SLAClock(receivedAt: receivedAt, rule: rule, limitWorkingDays: limit, warningRatio: ratio,
                            pauses: pauses, extensions: extensions, closedAt: closedAt)
        }
    }
}
