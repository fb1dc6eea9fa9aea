/// The 错敏字 checker: finds every occurrence of the entries of several word lists (sensitive words, wrong
/// forms of official names, typos) in one pass over a text, whatever the number of entries (Aho–Corasick).
///
/// Matching works on normalised text (see `TextNormalizer`): it sees through zero-width characters, the soft
/// hyphen and whitespace inserted inside a word, full-width letters and digits and ASCII case, and reports
/// positions in the original text. Rules worth knowing:
/// - Overlapping occurrences are all reported: in "中华人民共和国" both "中华人民共和国" and "人民" are found.
///   An entry listed in two lists is reported once per list; a duplicate within one list once.
/// - At most `maxIgnoredRun` ignorable scalars in a row are looked through; a longer run (e.g. a blank line
///   with indentation) separates words. This also bounds the memory of a streaming scan.
/// - Because whitespace is ignored, an ASCII entry can match across words ("is ex" contains "sex").
/// - Findings come in the order their last character appears; for the same end, longer entries first.
/// - Bytes that are not valid UTF-8 read as U+FFFD, one per maximal invalid subsequence (as Swift's
///   `String(decoding:as:)` does); they never match an ordinary entry.
///
/// Built once, immutable and `Sendable`: one checker can serve all requests and threads.
public struct TextChecker: Sendable {
    /// An entry list that cannot be built into a checker.
    public struct BuildError: Error, Sendable, Hashable, CustomStringConvertible {
        public var list: String
        /// The entry's `line`, or its 1-based position in the list when it has none.
        public var line: Int
        public var reason: String

        public var description: String { "\(list):\(line): \(reason)" }
    }

    /// What a finding reports about the entry that matched.
    struct PatternInfo: Sendable {
        var list: String
        var pattern: String
        var suggestion: String?
        /// Length in normalised scalars.
        var length: Int
    }

    let tables: MatchTables
    let patterns: [PatternInfo]
    /// Number of distinct (list, normalised pattern) entries.
    public var entryCount: Int { patterns.count }
    /// Length of the longest entry in normalised scalars.
    public let maxPatternLength: Int
    /// How many ignorable scalars in a row matching looks through.
    public let maxIgnoredRun: Int

    /// Builds the automaton for `lists`. Throws `BuildError` for an entry that is empty once normalised
    /// (e.g. only spaces or zero-width characters).
    public init(lists: [WordList], maxIgnoredRun: Int = 16) throws {
        precondition(maxIgnoredRun >= 0)
        self.maxIgnoredRun = maxIgnoredRun
        var builder = TrieBuilder()
        var infos: [PatternInfo] = []
        var seen: [String: Set<[UInt32]>] = [:]
        var maxLength = 1
        for list in lists {
            for (index, entry) in list.entries.enumerated() {
                let scalars = TextNormalizer.normalizedScalars(entry.pattern)
                if scalars.isEmpty {
                    throw BuildError(list: list.name, line: entry.line ?? index + 1,
                                     reason: "the pattern \(entry.pattern.debugDescription) is empty once spaces and zero-width characters are removed")
                }
                if seen[list.name, default: []].insert(scalars).inserted == false { continue }
                try builder.insert(scalars, pattern: Int32(infos.count), list: list.name, line: entry.line ?? index + 1)
                infos.append(PatternInfo(list: list.name, pattern: entry.pattern, suggestion: entry.suggestion,
                                         length: scalars.count))
                maxLength = max(maxLength, scalars.count)
            }
        }
        self.patterns = infos
        self.maxPatternLength = maxLength
        self.tables = builder.build()
    }

    /// A streaming scan of one text, fed in chunks of bytes.
    public func makeScanner() -> Scanner { Scanner(checker: self) }

    /// All findings in `text`; the same as feeding its UTF-8 to a scanner in one chunk.
    public func check(_ text: String) -> [TextFinding] {
        var scanner = makeScanner()
        var copy = text
        var findings = copy.withUTF8 { scanner.feed($0) }
        findings += scanner.finish()
        return findings
    }

    /// All findings in `bytes` of UTF-8 (invalid bytes read as U+FFFD).
    public func check<Bytes: Sequence>(utf8 bytes: Bytes) -> [TextFinding] where Bytes.Element == UInt8 {
        var scanner = makeScanner()
        var findings = scanner.feed(bytes)
        findings += scanner.finish()
        return findings
    }
}

/// The automaton's tables in raw memory, so the scan loop runs without bounds checks or reference counting.
///
/// Symbols are dense ids of the normalised scalars that occur in some pattern (1…symbolCount); scalar → symbol
/// is a flat table for the BMP (0 = in no pattern, `ignorable` = skipped) and a dictionary for the rare
/// astral ones. States are slots of a double-array trie: the child of `s` on symbol `c` is `t = base(s) + c`
/// when `check(t) == s`; otherwise the scan follows `fail(s)`. The root's transitions are a dense table.
/// Immutable after `init`, hence `@unchecked Sendable`.
final class MatchTables: @unchecked Sendable {
    static let ignorable: UInt16 = 0xFFFF
    static let root: Int32 = 0

    /// One slot of the double array: `check` is the parent slot (-1 free), `report` the start of the slot's
    /// run in `outputs`, or -1 when no pattern ends there.
    struct Slot {
        var base: Int32
        var check: Int32
        var fail: Int32
        var report: Int32
    }

    let symbolOfBMP: UnsafeMutablePointer<UInt16>
    let astralSymbols: [UInt32: UInt16]
    let symbolCount: Int
    let rootNext: UnsafeMutablePointer<Int32>
    let slotCount: Int
    /// Per slot, in one 16-byte record so that entering a state costs one cache line.
    let slots: UnsafeMutablePointer<Slot>
    /// Depth (length of the state's string), for how much text a streaming scan must keep.
    let depth: [Int32]
    /// Runs of pattern ids ending with -1: all patterns that end at a slot (`Slot.report` points at its run).
    let outputs: [Int32]
    /// Length in normalised scalars, by pattern id.
    let patternLength: [Int32]

    init(symbolOfBMP: UnsafeMutablePointer<UInt16>, astralSymbols: [UInt32: UInt16], symbolCount: Int,
         rootNext: UnsafeMutablePointer<Int32>, slotCount: Int, slots: UnsafeMutablePointer<Slot>,
         depth: [Int32], outputs: [Int32], patternLength: [Int32]) {
        self.symbolOfBMP = symbolOfBMP
        self.astralSymbols = astralSymbols
        self.symbolCount = symbolCount
        self.rootNext = rootNext
        self.slotCount = slotCount
        self.slots = slots
        self.depth = depth
        self.outputs = outputs
        self.patternLength = patternLength
    }

    deinit {
        symbolOfBMP.deallocate()
        rootNext.deallocate()
        slots.deallocate()
    }

    /// The next state after `state` reads `symbol` (1…symbolCount).
    @inline(__always)
    func next(_ state: Int32, _ symbol: Int) -> Int32 {
        var s = state
        while s != MatchTables.root {
            let t = Int(slots[Int(s)].base) &+ symbol
            if slots[t].check == s { return Int32(truncatingIfNeeded: t) }
            s = slots[Int(s)].fail
        }
        return rootNext[symbol]
    }
}

/// Collects the normalised patterns into a pointer trie, then lays it out as `MatchTables`.
struct TrieBuilder {
    var symbolOf: [UInt32: UInt16] = [:]
    var scalarOfSymbol: [UInt32] = [0]
    /// children[node]: symbol → node.
    var children: [[UInt16: Int32]] = [[:]]
    var own: [[Int32]] = [[]]
    var patternLength: [Int32] = []

    mutating func insert(_ scalars: [UInt32], pattern: Int32, list: String, line: Int) throws {
        var node = 0
        for v in scalars {
            let symbol: UInt16
            if let known = symbolOf[v] {
                symbol = known
            } else {
                guard scalarOfSymbol.count < Int(MatchTables.ignorable) else {
                    throw TextChecker.BuildError(list: list, line: line, reason: "more than 65534 distinct characters in all lists")
                }
                symbol = UInt16(scalarOfSymbol.count)
                symbolOf[v] = symbol
                scalarOfSymbol.append(v)
            }
            if let child = children[node][symbol] {
                node = Int(child)
            } else {
                let child = Int32(children.count)
                children[node][symbol] = child
                children.append([:])
                own.append([])
                node = Int(child)
            }
        }
        own[node].append(pattern)
        patternLength.append(Int32(scalars.count))
    }

    func build() -> MatchTables {
        let symbolCount = scalarOfSymbol.count - 1
        let nodeCount = children.count

        // Scalar → symbol, with the text-side foldings folded in: the full-width and capital forms of a pattern
        // scalar map to its symbol, ignorable scalars to `ignorable`.
        let symbolOfBMP = UnsafeMutablePointer<UInt16>.allocate(capacity: 0x10000)
        symbolOfBMP.initialize(repeating: 0, count: 0x10000)
        for v in UInt32(0)..<0x10000 where TextNormalizer.isIgnorable(v) { symbolOfBMP[Int(v)] = MatchTables.ignorable }
        var astral: [UInt32: UInt16] = [:]
        for (v, symbol) in symbolOf {
            if v >= 0x10000 { astral[v] = symbol; continue }
            symbolOfBMP[Int(v)] = symbol
            var forms: [UInt32] = []
            if v >= 0x61 && v <= 0x7A { forms.append(v - 0x20) }
            for f in [v] + forms where f >= 0x21 && f <= 0x7E { forms.append(f + 0xFEE0) }
            for f in forms { symbolOfBMP[Int(f)] = symbol }
        }

        // Breadth-first order: nodes and their depths.
        var order: [Int] = [0]
        var nodeDepth = [Int32](repeating: 0, count: nodeCount)
        var head = 0
        while head < order.count {
            let n = order[head]
            head += 1
            for child in children[n].values.sorted() {
                nodeDepth[Int(child)] = nodeDepth[n] + 1
                order.append(Int(child))
            }
        }

        // Failure links on the trie (classic BFS).
        var nodeFail = [Int32](repeating: 0, count: nodeCount)
        for n in order {
            for (symbol, child) in children[n] {
                if n == 0 { nodeFail[Int(child)] = 0; continue }
                var f = Int(nodeFail[n])
                while true {
                    if let g = children[f][symbol] { nodeFail[Int(child)] = g; break }
                    if f == 0 { nodeFail[Int(child)] = 0; break }
                    f = Int(nodeFail[f])
                }
            }
        }

        // Double-array layout, first fit: for each node pick the lowest base whose child slots are all free.
        var slotOfNode = [Int32](repeating: -1, count: nodeCount)
        slotOfNode[0] = 0
        var checkOf: [Int32] = [-2]  // slot 0 is the root
        var baseOfSlot: [Int32] = [0]
        var firstFree = 1
        func ensure(_ size: Int) {
            while checkOf.count < size {
                checkOf.append(-1)
                baseOfSlot.append(0)
            }
        }
        for n in order where !children[n].isEmpty {
            let kids = children[n].sorted { $0.key < $1.key }
            let lowest = Int(kids[0].key)
            var pos = max(firstFree, lowest)
            var chosen = 0
            search: while true {
                ensure(pos + 1)
                if checkOf[pos] != -1 { pos += 1; continue }
                let b = pos - lowest
                ensure(b + Int(kids[kids.count - 1].key) + 1)
                for (symbol, _) in kids where checkOf[b + Int(symbol)] != -1 {
                    pos += 1
                    continue search
                }
                chosen = b
                break
            }
            let slot = Int(slotOfNode[n])
            baseOfSlot[slot] = Int32(chosen)
            for (symbol, child) in kids {
                let t = chosen + Int(symbol)
                checkOf[t] = Int32(slot)
                slotOfNode[Int(child)] = Int32(t)
            }
            while firstFree < checkOf.count && checkOf[firstFree] != -1 { firstFree += 1 }
        }
        // Every base + symbol must stay inside the arrays.
        let maxBase = Int(baseOfSlot.max() ?? 0)
        ensure(maxBase + symbolCount + 1)
        let slotCount = checkOf.count

        let slots = UnsafeMutablePointer<MatchTables.Slot>.allocate(capacity: slotCount)
        for k in 0..<slotCount {
            (slots + k).initialize(to: .init(base: baseOfSlot[k], check: checkOf[k], fail: 0, report: -1))
        }
        var depth = [Int32](repeating: 0, count: slotCount)
        // Every slot's output: its own patterns, then those of its failure state (longest first), flattened
        // into runs that end with -1; `report` is where the run starts.
        var outputsOfSlot = [[Int32]](repeating: [], count: slotCount)
        var outputs: [Int32] = []
        for n in order {
            let slot = Int(slotOfNode[n])
            let failSlot = slotOfNode[Int(nodeFail[n])]
            slots[slot].fail = failSlot
            depth[slot] = nodeDepth[n]
            // BFS order: the failure state is shallower, so its outputs are already final.
            outputsOfSlot[slot] = own[n] + (n == 0 ? [] : outputsOfSlot[Int(failSlot)])
            if !outputsOfSlot[slot].isEmpty {
                slots[slot].report = Int32(outputs.count)
                outputs += outputsOfSlot[slot]
                outputs.append(-1)
            }
        }

        let rootNext = UnsafeMutablePointer<Int32>.allocate(capacity: symbolCount + 1)
        rootNext.initialize(repeating: MatchTables.root, count: symbolCount + 1)
        for (symbol, child) in children[0] { rootNext[Int(symbol)] = slotOfNode[Int(child)] }

        return MatchTables(symbolOfBMP: symbolOfBMP, astralSymbols: astral, symbolCount: symbolCount,
                           rootNext: rootNext, slotCount: slotCount, slots: slots, depth: depth,
                           outputs: outputs, patternLength: patternLength)
    }
}
