import Foundation

/// JSON coding shared by the API, the store's JSON columns and the import files: snake_case
/// keys on output, RFC 3339 times with fractional seconds (Foundation's `.iso8601` drops them).
public enum MailboxJSON {
    /// Shared coders: building a JSONEncoder per response showed in the intake profile.
    nonisolated(unsafe) static let snakeEncoder = makeEncoder(snakeCase: true)
    nonisolated(unsafe) static let plainEncoder = makeEncoder(snakeCase: false)
    nonisolated(unsafe) static let sharedDecoder = makeDecoder()

    /// JSONEncoder/JSONDecoder are safe to use from several threads once configured.
    public static func encoder(snakeCase: Bool = true) -> JSONEncoder { snakeCase ? snakeEncoder : plainEncoder }
    public static func decoder() -> JSONDecoder { sharedDecoder }

    static func makeEncoder(snakeCase: Bool) -> JSONEncoder {
        let e = JSONEncoder()
        if snakeCase { e.keyEncodingStrategy = .convertToSnakeCase }
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(formatTimestamp(date))
        }
        return e
    }

    /// Keys are taken as written (request types declare their snake_case keys explicitly).
    static func makeDecoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .custom { decoder in
            let c = try decoder.singleValueContainer()
            let text = try c.decode(String.self)
            guard let date = parseTimestamp(text) else {
                throw DecodingError.dataCorruptedError(
                    in: c, debugDescription: "expected an RFC 3339 time such as 2026-03-02T09:30:00+08:00")
            }
            return date
        }
        return d
    }

    /// `2026-03-02T01:30:00.123Z` (UTC, milliseconds), by arithmetic: the format style was a
    /// visible cost on the intake path.
    public static func formatTimestamp(_ date: Date) -> String {
        var out = [UInt8]()
        out.reserveCapacity(24)
        appendTimestamp(date, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `formatTimestamp` written onto the end of `out` with no allocation of its own (a work list
    /// writes three per letter; the per-digit arrays this replaced were 10 % of the list's CPU).
    public static func appendTimestamp(_ date: Date, to out: inout [UInt8]) {
        let t = date.timeIntervalSince1970
        // Nearest microsecond first, so that 0.002 (stored as 0.0019999…) stays 2 ms.
        var ms = t.isFinite && abs(t) < 1e11 ? Int64(((t * 1_000_000).rounded() / 1000).rounded(.down)) : 0
        let msPart = Int(((ms % 1000) + 1000) % 1000)
        ms -= Int64(msPart)
        let secs = ms / 1000
        let days = Int((secs - ((secs % 86400) + 86400) % 86400) / 86400)
        let sod = Int(((secs % 86400) + 86400) % 86400)
        let (y, m, d) = LocalDate.civilFromDays(days)
        guard t.isFinite, abs(t) < 1e11, (0...9999).contains(y) else {
            out.append(contentsOf: date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)).utf8)
            return
        }
        func two(_ v: Int) {
            out.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v / 10))
            out.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v % 10))
        }
        two(y / 100); two(y % 100); out.append(UInt8(ascii: "-")); two(m); out.append(UInt8(ascii: "-")); two(d)
        out.append(UInt8(ascii: "T")); two(sod / 3600); out.append(UInt8(ascii: ":")); two(sod / 60 % 60)
        out.append(UInt8(ascii: ":")); two(sod % 60); out.append(UInt8(ascii: "."))
        out.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: msPart / 100)); two(msPart % 100)
        out.append(UInt8(ascii: "Z"))
    }

    /// A flat JSON object of strings (event details), escaped per RFC 8259, keys sorted.
    public static func object(_ fields: [String: String]) -> String {
        var out = "{"
        for (i, key) in fields.keys.sorted().enumerated() {
            if i > 0 { out += "," }
            out += quoted(key) + ":" + quoted(fields[key]!)
        }
        return out + "}"
    }

    public static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// RFC 3339 `date-time` (§5.6), exactly: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, `T`/`Z` in either case,
    /// any offset from −23:59 to +23:59, a leap second (`:60`) read as the next second. The format JSON Schema's
    /// `date-time` names, so that what the contract allows is what is read (Foundation's ISO 8601 parser refuses
    /// some of it, e.g. offsets beyond ±14:00).
    public static func parseTimestamp(_ text: String) -> Date? {
        let u = Array(text.utf8)
        guard u.count >= 20 else { return nil }
        func digits(_ at: Int, _ count: Int) -> Int? {
            guard at + count <= u.count else { return nil }
            var n = 0
            for b in u[at..<at + count] {
                guard b >= 0x30, b <= 0x39 else { return nil }
                n = n * 10 + Int(b - 0x30)
            }
            return n
        }
        guard let year = digits(0, 4), u[4] == UInt8(ascii: "-"), let month = digits(5, 2), u[7] == UInt8(ascii: "-"),
              let day = digits(8, 2), u[10] == UInt8(ascii: "T") || u[10] == UInt8(ascii: "t"),
              let hour = digits(11, 2), u[13] == UInt8(ascii: ":"), let minute = digits(14, 2), u[16] == UInt8(ascii: ":"),
              let second = digits(17, 2),
              (1...12).contains(month), hour <= 23, minute <= 59, second <= 60
        else { return nil }
        guard (1...LocalDate.daysInMonth(year: year, month: month)).contains(day) else { return nil }
        var i = 19
        var fraction = 0.0
        if i < u.count, u[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            var numerator = 0, denominator = 1
            while i < u.count, u[i] >= 0x30, u[i] <= 0x39 {
                if i - start < 15 { numerator = numerator * 10 + Int(u[i] - 0x30); denominator *= 10 }
                i += 1
            }
            guard i > start else { return nil }
            fraction = Double(numerator) / Double(denominator)
        }
        guard i < u.count else { return nil }
        var offset = 0
        if u[i] == UInt8(ascii: "Z") || u[i] == UInt8(ascii: "z") {
            i += 1
        } else if u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-") {
            guard let oh = digits(i + 1, 2), i + 3 < u.count, u[i + 3] == UInt8(ascii: ":"), let om = digits(i + 4, 2),
                  oh <= 23, om <= 59 else { return nil }
            offset = (oh * 3600 + om * 60) * (u[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == u.count else { return nil }
        let days = LocalDate.daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }
}
