/// Escaping for server-rendered HTML and SVG (the dashboard): every text and attribute value
/// that comes from data goes through `escape`.
public enum HTMLText {
    /// `&`, `<`, `>`, `"` and `'` as character references: safe in text and in quoted attributes.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A number for a `data-value` attribute: Swift's shortest round-trip form, which is also what
    /// the JSON reports write, so a test can compare the two exactly; "" for a missing figure.
    public static func machineNumber(_ x: Double?) -> String {
        guard let x, x.isFinite else { return "" }
        return "\(x)"
    }
}

/// `application/x-www-form-urlencoded` bodies (the dashboard's sign-in and sign-out forms).
public enum FormURLEncoded {
    /// The name/value pairs in order; `nil` when a percent escape is broken or not UTF-8.
    public static func parse(_ body: String) -> [(name: String, value: String)]? {
        var pairs: [(name: String, value: String)] = []
        for part in body.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(kv[0]), let value = decode(kv.count > 1 ? kv[1] : "") else { return nil }
            pairs.append((name, value))
        }
        return pairs
    }

    /// The first value of each name.
    public static func fields(_ body: String) -> [String: String]? {
        guard let pairs = parse(body) else { return nil }
        var out: [String: String] = [:]
        for (name, value) in pairs where out[name] == nil { out[name] = value }
        return out
    }

    static func decode(_ s: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count)
        var it = s.utf8.makeIterator()
        func hexValue(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: c - 48
            case 65...70: c - 55
            case 97...102: c - 87
            default: nil
            }
        }
        while let c = it.next() {
            switch c {
            case UInt8(ascii: "+"): bytes.append(0x20)
            case UInt8(ascii: "%"):
                guard let h = it.next().flatMap(hexValue), let l = it.next().flatMap(hexValue) else { return nil }
                bytes.append(h << 4 | l)
            default: bytes.append(c)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
