/// A named list of words the checker looks for (sensitive words, wrong forms of official names, typos),
/// each with an optional correction to suggest.
public struct WordList: Sendable, Hashable {
    /// One word of a list; `line` is where it came from (1-based line of the list file, or the position in
    /// the list when it was built in code) so build errors can point at it.
    public struct Entry: Sendable, Hashable {
        public var pattern: String
        public var suggestion: String?
        public var line: Int?

        public init(pattern: String, suggestion: String? = nil, line: Int? = nil) {
            self.pattern = pattern
            self.suggestion = suggestion
            self.line = line
        }
    }

    /// A line of a list file that cannot be read as an entry.
    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        public var list: String
        public var line: Int
        public var reason: String

        public init(list: String, line: Int, reason: String) {
            self.list = list
            self.line = line
            self.reason = reason
        }

        public var description: String { "\(list):\(line): \(reason)" }
    }

    public var name: String
    public var entries: [Entry]

    public init(name: String, entries: [Entry]) {
        self.name = name
        self.entries = entries
    }

    /// Reads the plain-text list format: one entry per line, `pattern`, `pattern<TAB>suggestion` or
    /// `pattern => suggestion`; blank lines and lines starting with `#` are skipped. The tab wins when a line
    /// has both separators; there are no end-of-line comments (a pattern may contain `#`). Pattern and
    /// suggestion are trimmed of surrounding whitespace; an empty suggestion means none.
    public static func parse(name: String, text: String) throws -> WordList {
        var entries: [Entry] = []
        var lineNumber = 0
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            let line = trimmed(rawLine)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let pattern: Substring
            var suggestion: Substring?
            if let tab = rawLine.firstIndex(of: "\t") {
                pattern = trimmed(rawLine[..<tab])
                suggestion = trimmed(rawLine[rawLine.index(after: tab)...])
            } else if let arrow = rawLine.firstRange(of: "=>") {
                pattern = trimmed(rawLine[..<arrow.lowerBound])
                suggestion = trimmed(rawLine[arrow.upperBound...])
            } else {
                pattern = line
            }
            if pattern.isEmpty {
                throw ParseError(list: name, line: lineNumber, reason: "no pattern before the separator")
            }
            if suggestion?.isEmpty == true { suggestion = nil }
            entries.append(Entry(pattern: String(pattern), suggestion: suggestion.map(String.init), line: lineNumber))
        }
        return WordList(name: name, entries: entries)
    }

    private static func trimmed(_ text: Substring) -> Substring {
        var s = text
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return s
    }
}
