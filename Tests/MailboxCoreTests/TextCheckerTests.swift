import Foundation
import MailboxCore
import PropertyBased
import Testing

/// An obviously correct, slow matcher to compare the automaton against: it normalises the text on its own
/// (whitespace from the Unicode White_Space property, a fixed zero-width set, full-width and case folding),
/// then looks every normalised slice of up to the longest pattern length up in a dictionary.
private enum ReferenceMatcher {
    static let zeroWidth: Set<UInt32> = [0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0xAD]

    static func normalized(_ scalar: Unicode.Scalar) -> UInt32? {
        if scalar.properties.isWhitespace || zeroWidth.contains(scalar.value) { return nil }
        var v = scalar.value
        if (0xFF01...0xFF5E).contains(v) { v -= 0xFEE0 }
        if (0x41...0x5A).contains(v) { v += 0x20 }
        return v
    }

    static func findings(_ text: String, _ lists: [WordList], maxIgnoredRun: Int = 16) -> [TextFinding] {
        struct Item { var value: UInt32; var scalarIndex: Int; var breakBefore: Bool }
        let scalars = Array(text.unicodeScalars)
        var utf8Start = [0]
        for s in scalars { utf8Start.append(utf8Start.last! + String(s).utf8.count) }
        var items: [Item] = []
        var run = 0
        for (k, s) in scalars.enumerated() {
            if let v = normalized(s) {
                items.append(Item(value: v, scalarIndex: k, breakBefore: run > maxIgnoredRun))
                run = 0
            } else {
                run += 1
            }
        }
        var table: [[UInt32]: [(list: String, pattern: String, suggestion: String?)]] = [:]
        var seen = Set<[String]>()
        var maxLength = 0
        for list in lists {
            for entry in list.entries {
                let key = entry.pattern.unicodeScalars.compactMap(normalized)
                let id = [list.name] + key.map(String.init)
                if key.isEmpty || !seen.insert(id).inserted { continue }
                table[key, default: []].append((list.name, entry.pattern, entry.suggestion))
                maxLength = max(maxLength, key.count)
            }
        }
        var out: [TextFinding] = []
        for end in items.indices {
            for length in stride(from: min(maxLength, end + 1), through: 1, by: -1) {
                let start = end - length + 1
                if items[(start + 1)..<(end + 1)].contains(where: \.breakBefore) { continue }
                guard let entries = table[items[start...end].map(\.value)] else { continue }
                let from = items[start].scalarIndex
                let to = items[end].scalarIndex + 1
                let matched = String(String.UnicodeScalarView(scalars[from..<to]))
                for e in entries {
                    out.append(TextFinding(list: e.list, pattern: e.pattern, matched: matched, suggestion: e.suggestion,
                                           offset: from, length: to - from, utf8Offset: utf8Start[from],
                                           utf8Length: utf8Start[to] - utf8Start[from]))
                }
            }
        }
        return out
    }
}

/// Random inputs over a small alphabet so that matches, overlaps and see-through cases are frequent.
private enum Alphabet {
    static let text: [String] = ["中", "华", "人", "民", "共", "和", "国", "a", "B", "ａ", "Ｂ", "1", "１", "😀",
                                 " ", "\u{3000}", "\u{200B}", "\u{AD}", "\n", "\u{FEFF}", "，"]
    static let pattern: [String] = ["中", "华", "人", "民", "共", "和", "a", "b", "Ａ", "1", "😀", " ", "\u{200D}"]

    static func string(_ indices: [Int], from alphabet: [String]) -> String { indices.map { alphabet[$0] }.joined() }

    static let texts = Gen.int(in: 0..<text.count).array(of: 0...40)
    static let patternLists = Gen.int(in: 0..<pattern.count).array(of: 1...4).array(of: 1...6)

    static func lists(_ patterns: [[Int]]) -> [WordList] {
        let entries = patterns.enumerated().compactMap { k, p -> WordList.Entry? in
            let text = string(p, from: pattern)
            if TextNormalizer.normalizedScalars(text).isEmpty { return nil }
            return WordList.Entry(pattern: text, suggestion: k % 2 == 0 ? "改\(k)" : nil)
        }
        // Two lists sharing some entries, so "reported once per list" is exercised too.
        return [WordList(name: "sensitive", entries: entries),
                WordList(name: "typos", entries: entries.enumerated().filter { $0.offset % 3 == 0 }.map(\.element))]
    }
}

private func scalarSlice(_ text: String, _ offset: Int, _ length: Int) -> String {
    let scalars = Array(text.unicodeScalars)
    return String(String.UnicodeScalarView(scalars[offset..<(offset + length)]))
}

private func utf8Slice(_ bytes: [UInt8], _ offset: Int, _ length: Int) -> String {
    String(decoding: bytes[offset..<(offset + length)], as: UTF8.self)
}

private func scanChunks(_ checker: TextChecker, _ chunks: [ArraySlice<UInt8>]) -> [TextFinding] {
    var scanner = checker.makeScanner()
    var out: [TextFinding] = []
    for chunk in chunks { out += scanner.feed(chunk) }
    out += scanner.finish()
    return out
}

@Suite("TextChecker: 错敏字 lists")
struct TextCheckerTests {
    @Test("Findings equal a naive reference matcher on random texts and patterns", .timeLimit(.minutes(2)))
    func againstReference() async throws {
        await propertyCheck(count: 600, input: Alphabet.texts, Alphabet.patternLists, Gen.int(in: 0...3)) { t, p, gap in
            let text = Alphabet.string(t, from: Alphabet.text)
            let lists = Alphabet.lists(p)
            let checker = try! TextChecker(lists: lists, maxIgnoredRun: gap)
            let found = checker.check(text)
            #expect(found == ReferenceMatcher.findings(text, lists, maxIgnoredRun: gap),
                    "text \(text.debugDescription) patterns \(lists[0].entries.map(\.pattern)) gap \(gap)")
        }
    }

    @Test("Offsets point at the matched text in the original, in scalars and in UTF-8", .timeLimit(.minutes(1)))
    func offsetsMapBack() async throws {
        await propertyCheck(count: 300, input: Alphabet.texts, Alphabet.patternLists) { t, p in
            let text = Alphabet.string(t, from: Alphabet.text)
            let checker = try! TextChecker(lists: Alphabet.lists(p))
            let bytes = Array(text.utf8)
            for f in checker.check(text) {
                #expect(scalarSlice(text, f.offset, f.length) == f.matched)
                #expect(utf8Slice(bytes, f.utf8Offset, f.utf8Length) == f.matched)
                // The span starts and ends on a character of the pattern, never on an ignored one.
                let normalized = TextNormalizer.normalizedScalars(f.matched)
                #expect(normalized == TextNormalizer.normalizedScalars(f.pattern))
                #expect(TextNormalizer.normalizedScalars(String(f.matched.unicodeScalars.first!)).count == 1)
                #expect(TextNormalizer.normalizedScalars(String(f.matched.unicodeScalars.last!)).count == 1)
            }
        }
    }

    @Test("Feeding in two chunks split at every byte gives the whole-text findings", .timeLimit(.minutes(2)))
    func everySplitPoint() async throws {
        await propertyCheck(count: 150, input: Alphabet.texts, Alphabet.patternLists) { t, p in
            let text = Alphabet.string(t, from: Alphabet.text)
            let checker = try! TextChecker(lists: Alphabet.lists(p), maxIgnoredRun: 2)
            let whole = checker.check(text)
            let bytes = Array(text.utf8)
            for k in 0...bytes.count {
                #expect(scanChunks(checker, [bytes[..<k], bytes[k...]]) == whole, "split at \(k) of \(text.debugDescription)")
            }
            // And one byte at a time.
            #expect(scanChunks(checker, bytes.indices.map { bytes[$0...$0] }) == whole)
        }
    }

    @Test("Random chunk sizes over random bytes, valid or not: same findings as one chunk; no crash", .timeLimit(.minutes(2)))
    func invalidUTF8Chunks() async throws {
        let pieces: [[UInt8]] = [Array("中".utf8), Array("华".utf8), Array("人".utf8), [0x20], [0x61], [0xFF], [0x80],
                                 [0xE4], [0xE4, 0xB8], [0xED, 0xA0, 0x80], [0xF0, 0x9F], [0xC0, 0xAF], [0xF4, 0x90],
                                 Array("\u{200B}".utf8), Array("😀".utf8)]
        await propertyCheck(count: 400, input: Gen.int(in: 0..<pieces.count).array(of: 0...30),
                            Gen.int(in: 1...7).array(of: 1...30)) { picks, sizes in
            let bytes = picks.flatMap { pieces[$0] }
            let lists = [WordList(name: "l", entries: [.init(pattern: "中华"), .init(pattern: "华人"), .init(pattern: "a中"),
                                                       .init(pattern: "\u{FFFD}中"), .init(pattern: "😀")])]
            let checker = try! TextChecker(lists: lists)
            let whole = scanChunks(checker, [bytes[...]])
            var chunks: [ArraySlice<UInt8>] = []
            var at = 0
            var k = 0
            while at < bytes.count {
                let n = min(sizes[k % sizes.count], bytes.count - at)
                chunks.append(bytes[at..<(at + n)])
                at += n
                k += 1
            }
            #expect(scanChunks(checker, chunks) == whole)
            // Invalid bytes read as U+FFFD the way Swift's String(decoding:) reads them.
            let decoded = String(decoding: bytes, as: UTF8.self)
            let asText = checker.check(decoded)
            #expect(whole.map { [$0.offset, $0.length] } == asText.map { [$0.offset, $0.length] })
            #expect(whole.map(\.matched) == asText.map(\.matched))
            for f in whole { #expect(utf8Slice(bytes, f.utf8Offset, f.utf8Length) == f.matched) }
        }
    }

    @Test("Sees through spaces, zero-width characters, full-width forms and case")
    func seeThrough() throws {
        let list = WordList(name: "sensitive", entries: [.init(pattern: "法轮功"), .init(pattern: "习近平"),
                                                         .init(pattern: "ABC"), .init(pattern: "ｘ ｙ\u{200B}z")])
        let checker = try TextChecker(lists: [list])
        let cases: [(String, String, String)] = [
            ("练法 轮功的", "法 轮功", "法轮功"),
            ("习近\u{200B}平同志", "习近\u{200B}平", "习近平"),
            ("法\u{3000}轮\u{00AD}功", "法\u{3000}轮\u{00AD}功", "法轮功"),
            ("法\u{FEFF}\u{2060}\u{200C}\u{200D}轮\n功", "法\u{FEFF}\u{2060}\u{200C}\u{200D}轮\n功", "法轮功"),
            ("xａＢｃy", "ａＢｃ", "ABC"),
            ("看 aBc 了", "aBc", "ABC"),
            ("XYZ", "XYZ", "ｘ ｙ\u{200B}z"),
        ]
        for (text, matched, pattern) in cases {
            let found = checker.check(text)
            #expect(found.map(\.matched) == [matched], "\(text.debugDescription)")
            #expect(found.map(\.pattern) == [pattern])
            if let f = found.first {
                #expect(scalarSlice(text, f.offset, f.length) == matched)
                #expect(utf8Slice(Array(text.utf8), f.utf8Offset, f.utf8Length) == matched)
            }
        }
        #expect(checker.check("法轮大功").isEmpty)
        #expect(checker.check("习近乎").isEmpty)
    }

    @Test("A run of more ignorable characters than maxIgnoredRun separates words")
    func longGapsSeparate() throws {
        let checker = try TextChecker(lists: [WordList(name: "s", entries: [.init(pattern: "法轮功")])], maxIgnoredRun: 16)
        #expect(checker.check("法" + String(repeating: " ", count: 16) + "轮功").count == 1)
        #expect(checker.check("法" + String(repeating: " ", count: 17) + "轮功").isEmpty)
        #expect(checker.check("法" + String(repeating: "\u{200B}", count: 17) + "轮功").isEmpty)
    }

    @Test("Overlapping entries are all reported, ordered by end then longest first; suggestions carried")
    func overlapping() throws {
        let names = WordList(name: "official", entries: [
            .init(pattern: "中华人民共合国", suggestion: "中华人民共和国"),
            .init(pattern: "人民共合"),
            .init(pattern: "共合国", suggestion: "共和国"),
            .init(pattern: "人民"),
        ])
        let typos = WordList(name: "typos", entries: [.init(pattern: "共合国", suggestion: "共和国")])
        let checker = try TextChecker(lists: [names, typos])
        let text = "《中华人民共合国宪法》"
        let found = checker.check(text)
        #expect(found.map(\.pattern) == ["人民", "人民共合", "中华人民共合国", "共合国", "共合国"])
        #expect(found.map(\.list) == ["official", "official", "official", "official", "typos"])
        #expect(found[2].suggestion == "中华人民共和国")
        #expect(found[1].suggestion == nil)
        #expect(found[2].offset == 1 && found[2].length == 7)
        #expect(found[2].utf8Offset == 3 && found[2].utf8Length == 21)
        #expect(found == ReferenceMatcher.findings(text, [names, typos]))
    }

    @Test("Many entries with a wide alphabet agree with the reference (double-array layout under load)")
    func manyEntries() throws {
        var rng = SplitMix64(seed: 42)
        let pool = (0..<300).map { Character(Unicode.Scalar(0x4E00 + UInt32($0 * 7))!) }
        var entries: [WordList.Entry] = []
        for k in 0..<3000 {
            let length = 1 + Int(rng.next() % 5)
            entries.append(.init(pattern: String((0..<length).map { _ in pool[Int(rng.next() % 300)] }),
                                 suggestion: k % 4 == 0 ? "s\(k)" : nil))
        }
        let lists = [WordList(name: "big", entries: entries)]
        let checker = try TextChecker(lists: lists)
        var text = ""
        for _ in 0..<20_000 {
            let r = rng.next() % 20
            text.append(r == 0 ? " " : r == 1 ? "。" : pool[Int(rng.next() % 300)])
        }
        let found = checker.check(text)
        #expect(found.count > 1000)
        #expect(found == ReferenceMatcher.findings(text, lists))
    }

    @Test("Invalid UTF-8 reads as U+FFFD and does not hide the matches around it")
    func invalidUTF8() throws {
        let checker = try TextChecker(lists: [WordList(name: "s", entries: [.init(pattern: "法轮功")])])
        let bytes: [UInt8] = [0xFF, 0xE4, 0xB8] + Array("法轮功".utf8) + [0xC0, 0x80] + Array("法".utf8) + [0xF0]
        let found = checker.check(utf8: bytes)
        #expect(found.count == 1)
        #expect(found.first?.utf8Offset == 3)
        #expect(found.first?.offset == 2)  // U+FFFD for 0xFF, one U+FFFD for the truncated E4 B8
        #expect(found.first?.matched == "法轮功")
        #expect(checker.check(utf8: [0xE6, 0xB3, 0x95, 0xE8]).isEmpty)
    }

    @Test("Astral characters in text and patterns")
    func astral() throws {
        let checker = try TextChecker(lists: [WordList(name: "e", entries: [.init(pattern: "😀😀"), .init(pattern: "𠀀中")])])
        let found = checker.check("a😀😀😀𠀀 中")
        #expect(found.map(\.matched) == ["😀😀", "😀😀", "𠀀 中"])
        #expect(found.map(\.offset) == [1, 2, 4])
        #expect(found.map(\.utf8Offset) == [1, 5, 13])
    }

    @Test("List files: tab and arrow separators, comments, blank lines, CRLF; errors name the line")
    func listParsing() throws {
        let text = "# 常见错别字\r\n\r\n中华人民共合国\t中华人民共和国\r\n共合国 => 共和国\n法轮功\n  密云县 =>  密云区  \n空 =>\n"
        let list = try WordList.parse(name: "typos", text: text)
        #expect(list.entries == [
            .init(pattern: "中华人民共合国", suggestion: "中华人民共和国", line: 3),
            .init(pattern: "共合国", suggestion: "共和国", line: 4),
            .init(pattern: "法轮功", suggestion: nil, line: 5),
            .init(pattern: "密云县", suggestion: "密云区", line: 6),
            .init(pattern: "空", suggestion: nil, line: 7),
        ])
        #expect(throws: WordList.ParseError(list: "x", line: 3, reason: "no pattern before the separator")) {
            try WordList.parse(name: "x", text: "a\n\n=> b\n")
        }
        #expect(throws: WordList.ParseError(list: "x", line: 2, reason: "no pattern before the separator")) {
            try WordList.parse(name: "x", text: "a\n\tb\n")
        }
        // A line of only zero-width characters parses, but cannot be built: the error names its line.
        let bad = try WordList.parse(name: "bad", text: "好词\n# note\n\u{200B}\u{FEFF}\n")
        do {
            _ = try TextChecker(lists: [bad])
            Issue.record("an empty pattern was accepted")
        } catch let error as TextChecker.BuildError {
            #expect(error.list == "bad" && error.line == 3)
        }
        // Entries built in code without a line are named by position.
        do {
            _ = try TextChecker(lists: [WordList(name: "db", entries: [.init(pattern: "a"), .init(pattern: " ")])])
            Issue.record("an empty pattern was accepted")
        } catch let error as TextChecker.BuildError {
            #expect(error.list == "db" && error.line == 2)
        }
    }

    @Test("A streaming scan holds a bounded number of bytes however long the text")
    func constantMemory() throws {
        let checker = try TextChecker(lists: [WordList(name: "s", entries: [.init(pattern: "法轮功大法好"), .init(pattern: "轮")])],
                                      maxIgnoredRun: 4)
        // Partial matches that never complete, with ignorable characters inside, fed in odd-sized chunks.
        let unit = Array("法 \u{200B}轮\u{3000}功大法".utf8) + [0xE4]
        var scanner = checker.makeScanner()
        let bound = 4 * checker.maxPatternLength * (checker.maxIgnoredRun + 1) + 4
        var found = 0
        var largest = 0
        for _ in 0..<20_000 {
            found += scanner.feed(unit).count
            largest = max(largest, scanner.bufferedByteCount)
        }
        found += scanner.finish().count
        #expect(largest <= bound)
        #expect(largest > 0)
        #expect(found == 20_000)
        #expect(scanner.byteCount == 20_000 * unit.count)
    }

    @Test("No lists: nothing is found, nothing breaks")
    func emptyLists() throws {
        let checker = try TextChecker(lists: [WordList(name: "empty", entries: [])])
        #expect(checker.check("中华人民共和国 abc \u{200B}").isEmpty)
        #expect(checker.check(utf8: [0xFF, 0xE4]).isEmpty)
        #expect(checker.entryCount == 0)
    }

    @Test("Findings encode with snake_case keys")
    func json() throws {
        let f = TextFinding(list: "l", pattern: "p", matched: "m", suggestion: "s", offset: 1, length: 2,
                            utf8Offset: 3, utf8Length: 6)
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(f)) as! [String: Any]
        #expect(Set(object.keys) == ["list", "pattern", "matched", "suggestion", "offset", "length", "utf8_offset", "utf8_length"])
        #expect(object["utf8_offset"] as? Int == 3)
        #expect(try JSONDecoder().decode(TextFinding.self, from: JSONEncoder().encode(f)) == f)
    }

    @Test("One checker is shared by concurrent checks")
    func concurrent() async throws {
        let checker = try TextChecker(lists: [WordList(name: "s", entries: [.init(pattern: "法轮功"), .init(pattern: "轮")])])
        let counts = await withTaskGroup(of: Int.self) { group in
            for k in 0..<8 { group.addTask { checker.check(String(repeating: "法 轮功。", count: 100 + k)).count } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(counts.sorted() == (0..<8).map { 2 * (100 + $0) })
    }
}

