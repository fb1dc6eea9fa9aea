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
        let t = date.timeIntervalSince1970
        guard t.isFinite, abs(t) < 1e11 else { return date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)) }
        // Nearest microsecond first, so that 0.002 (stored as 0.0019999…) stays 2 ms.
        var ms = Int64(((t * 1_000_000).rounded() / 1000).rounded(.down))
        let msPart = Int(((ms % 1000) + 1000) % 1000)
        ms -= Int64(msPart)
        let secs = ms / 1000
        let days = Int((secs - ((secs % 86400) + 86400) % 86400) / 86400)
        let sod = Int(((secs % 86400) + 86400) % 86400)
        let (y, m, d) = LocalDate.civilFromDays(days)
        var out = [UInt8]()
        out.reserveCapacity(24)
        func put(_ v: Int, _ width: Int) {
            var digits = [UInt8](repeating: UInt8(ascii: "0"), count: width)
            var x = v
            for i in stride(from: width - 1, through: 0, by: -1) {
                digits[i] = UInt8(ascii: "0") + UInt8(x % 10)
                x /= 10
            }
            out.append(contentsOf: digits)
        }
        put(y, 4); out.append(UInt8(ascii: "-")); put(m, 2); out.append(UInt8(ascii: "-")); put(d, 2)
        out.append(UInt8(ascii: "T")); put(sod / 3600, 2); out.append(UInt8(ascii: ":")); put(sod / 60 % 60, 2)
        out.append(UInt8(ascii: ":")); put(sod % 60, 2); out.append(UInt8(ascii: ".")); put(msPart, 3)
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
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

    /// RFC 3339 with `Z` or an offset, with or without fractional seconds.
    public static func parseTimestamp(_ text: String) -> Date? {
        if let d = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) { return d }
        if let d = try? Date.ISO8601FormatStyle().parse(text) { return d }
        return nil
    }
}
