import Foundation
public import Logging
public import PostgresNIO

/// Splits a SQL file into statements, so that it can run through PostgresNIO's extended
/// protocol (which takes one statement per query). Understands '…' strings (with ''),
/// "…" identifiers, $tag$…$tag$ bodies, -- and /* */ comments.
public enum SQLScript {
    public static func statements(_ text: String) -> [String] {
        let s = Array(text.unicodeScalars)
        var result: [String] = []
        var current = String.UnicodeScalarView()
        var i = 0
        func flush() {
            let statement = String(current).trimmingCharacters(in: .whitespacesAndNewlines)
            if !statement.isEmpty, !isOnlyComments(statement) { result.append(statement) }
            current = String.UnicodeScalarView()
        }
        while i < s.count {
            let c = s[i]
            let next: Unicode.Scalar? = i + 1 < s.count ? s[i + 1] : nil
            if c == "-" && next == "-" {
                while i < s.count && s[i] != "\n" { current.append(s[i]); i += 1 }
                continue
            }
            if c == "/" && next == "*" {
                while i < s.count && !(s[i] == "*" && i + 1 < s.count && s[i + 1] == "/") { current.append(s[i]); i += 1 }
                if i < s.count { current.append(contentsOf: [s[i], s[i + 1]]); i += 2 }
                continue
            }
            if c == "'" || c == "\"" {
                current.append(c)
                i += 1
                while i < s.count {
                    current.append(s[i])
                    if s[i] == c {
                        if i + 1 < s.count && s[i + 1] == c { current.append(s[i + 1]); i += 2; continue }
                        i += 1
                        break
                    }
                    i += 1
                }
                continue
            }
            if c == "$", let tagEnd = dollarTagEnd(s, from: i) {
                let tag = Array(s[i...tagEnd])
                current.append(contentsOf: tag)
                i = tagEnd + 1
                while i < s.count {
                    if s[i] == "$" && i + tag.count <= s.count && Array(s[i..<(i + tag.count)]) == tag {
                        current.append(contentsOf: tag)
                        i += tag.count
                        break
                    }
                    current.append(s[i])
                    i += 1
                }
                continue
            }
            if c == ";" {
                flush()
                i += 1
                continue
            }
            current.append(c)
            i += 1
        }
        flush()
        return result
    }

    /// `$tag$` or `$$` starting at `i`: the index of the closing `$` of the tag.
    static func dollarTagEnd(_ s: [Unicode.Scalar], from i: Int) -> Int? {
        var j = i + 1
        while j < s.count {
            if s[j] == "$" { return j }
            guard s[j].properties.isAlphabetic || s[j] == "_" || (j > i + 1 && ("0"..."9").contains(s[j])) else { return nil }
            j += 1
        }
        return nil
    }

    static func isOnlyComments(_ statement: String) -> Bool {
        statement.split(separator: "\n").allSatisfy { line in
            let t = line.trimmingCharacters(in: .whitespaces)
            return t.isEmpty || t.hasPrefix("--")
        }
    }

    /// Runs every statement of a script on one connection (inside the caller's transaction).
    public static func run(_ text: String, on connection: PostgresConnection, logger: Logger) async throws {
        for statement in statements(text) {
            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
        }
    }
}
