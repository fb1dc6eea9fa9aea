extension TextChecker {
    /// A check of one text fed in chunks of bytes of any size, in constant memory, so a file of any length can
    /// be checked; offsets are absolute over the whole text and correct when a UTF-8 sequence or a match
    /// straddles chunks. Feed all chunks, then call `finish()` once.
    ///
    /// Memory: the last `maxPatternLength` match positions plus the bytes of a possible match in progress
    /// (bounded by the pattern length and `maxIgnoredRun`), whatever the text length.
    public struct Scanner: Sendable {
        let checker: TextChecker
        var state: Int32 = MatchTables.root
        // UTF-8 decoding state between chunks: continuation bytes still needed, value so far, the accepted
        // range of the next byte, and where the sequence started.
        var need = 0
        var value: UInt32 = 0
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        var sequenceStart = 0
        /// Bytes consumed so far, i.e. the absolute offset of the next chunk.
        public private(set) var byteCount = 0
        /// Scalars decoded so far.
        public private(set) var scalarCount = 0
        /// Bytes of earlier chunks held for a match in progress; bounded by the longest pattern and
        /// `maxIgnoredRun` (about 4 × maxPatternLength × (maxIgnoredRun + 1)), not by the text.
        public var bufferedByteCount: Int { carry.count }
        /// Number of scalars that occur in some pattern read so far; indexes `ring`.
        var pushes = 0
        var ignoredRun = 0
        /// For the last `ringMask + 1` pattern scalars: UTF-8 offset and scalar offset, interleaved.
        var ring: [Int]
        let ringMask: Int
        /// Bytes from `carryStart` up to `byteCount` that a finding may still need for its `matched` text.
        var carry: [UInt8] = []
        var carryStart = 0
        var finished = false

        init(checker: TextChecker) {
            self.checker = checker
            var size = 1
            while size < checker.maxPatternLength { size <<= 1 }
            ringMask = size - 1
            ring = [Int](repeating: 0, count: 2 * size)
        }

        /// Checks the next chunk and returns the findings that end in it.
        public mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>) -> [TextFinding] {
            precondition(!finished, "TextChecker.Scanner: feed after finish")
            guard let start = chunk.baseAddress, !chunk.isEmpty else { return [] }
            var findings: [TextFinding] = []
            scan(start, count: chunk.count, atEnd: false, into: &findings)
            return findings
        }

        /// Checks the next chunk of any contiguous or non-contiguous byte sequence (`[UInt8]`, `Data`, …).
        public mutating func feed<Bytes: Sequence>(_ chunk: Bytes) -> [TextFinding] where Bytes.Element == UInt8 {
            if let findings = chunk.withContiguousStorageIfAvailable({ feed($0) }) { return findings }
            return Array(chunk).withUnsafeBufferPointer { feed($0) }
        }

        /// Ends the text: an incomplete UTF-8 sequence at the very end reads as U+FFFD. Returns the last
        /// findings; the scanner cannot be fed afterwards.
        public mutating func finish() -> [TextFinding] {
            guard !finished else { return [] }
            var findings: [TextFinding] = []
            if need > 0 {
                var none: UInt8 = 0
                withUnsafePointer(to: &none) { scan($0, count: 0, atEnd: true, into: &findings) }
            }
            finished = true
            carry = []
            return findings
        }

        private mutating func scan(_ p: UnsafePointer<UInt8>, count n: Int, atEnd: Bool,
                                   into findings: inout [TextFinding]) {
            let tables = checker.tables
            let symbolOfBMP = tables.symbolOfBMP
            let slots = tables.slots
            let maxIgnoredRun = checker.maxIgnoredRun
            let mask = ringMask
            let chunkBase = byteCount
            var state = self.state
            var need = self.need, value = self.value, low = self.low, high = self.high
            var sequenceStart = self.sequenceStart
            var scalarIndex = scalarCount, pushes = self.pushes, ignoredRun = self.ignoredRun
            let ringSize = ring.count
            let r = UnsafeMutablePointer<Int>.allocate(capacity: ringSize)
            defer { r.deallocate() }
            r.initialize(from: ring, count: ringSize)

            var i = 0
            while true {
                let scalar: UInt32
                let start: Int
                if i < n {
                    let b0 = p[i]
                    if need == 0 {
                        if b0 < 0x80 {
                            scalar = UInt32(b0)
                            start = chunkBase &+ i
                            i &+= 1
                        } else if b0 &- 0xE1 < 15, b0 != 0xED, i &+ 2 < n, p[i &+ 1] & 0xC0 == 0x80,
                                  p[i &+ 2] & 0xC0 == 0x80 {
                            // Three bytes without range restrictions: most CJK.
                            scalar = UInt32(b0 & 0x0F) << 12 | UInt32(p[i &+ 1] & 0x3F) << 6 | UInt32(p[i &+ 2] & 0x3F)
                            start = chunkBase &+ i
                            i &+= 3
                        } else if b0 &- 0xC2 < 30, i &+ 1 < n, p[i &+ 1] & 0xC0 == 0x80 {
                            scalar = UInt32(b0 & 0x1F) << 6 | UInt32(p[i &+ 1] & 0x3F)
                            start = chunkBase &+ i
                            i &+= 2
                        } else {
                            // A lead byte whose sequence may straddle the chunk or needs range checks.
                            switch b0 {
                            case 0xC2...0xDF: (need, value, low, high) = (1, UInt32(b0 & 0x1F), 0x80, 0xBF)
                            case 0xE0: (need, value, low, high) = (2, 0, 0xA0, 0xBF)
                            case 0xE1...0xEC, 0xEE...0xEF: (need, value, low, high) = (2, UInt32(b0 & 0x0F), 0x80, 0xBF)
                            case 0xED: (need, value, low, high) = (2, 0x0D, 0x80, 0x9F)
                            case 0xF0: (need, value, low, high) = (3, 0, 0x90, 0xBF)
                            case 0xF1...0xF3: (need, value, low, high) = (3, UInt32(b0 & 0x07), 0x80, 0xBF)
                            case 0xF4: (need, value, low, high) = (3, 4, 0x80, 0x8F)
                            default: need = 0
                            }
                            if need > 0 {
                                sequenceStart = chunkBase &+ i
                                i &+= 1
                                continue
                            }
                            scalar = 0xFFFD  // a byte that cannot start a sequence
                            start = chunkBase &+ i
                            i &+= 1
                        }
                    } else if b0 >= low && b0 <= high {
                        value = value << 6 | UInt32(b0 & 0x3F)
                        need -= 1
                        low = 0x80
                        high = 0xBF
                        i &+= 1
                        if need > 0 { continue }
                        scalar = value
                        start = sequenceStart
                    } else {
                        // Truncated sequence: U+FFFD for it, then read this byte afresh.
                        scalar = 0xFFFD
                        start = sequenceStart
                        need = 0
                    }
                } else if atEnd && need > 0 {
                    scalar = 0xFFFD
                    start = sequenceStart
                    need = 0
                } else {
                    break
                }

                let symbol = scalar < 0x10000 ? Int(symbolOfBMP[Int(scalar)]) : Int(tables.astralSymbols[scalar] ?? 0)
                scalarIndex &+= 1
                if symbol == Int(MatchTables.ignorable) {
                    ignoredRun &+= 1
                    if ignoredRun > maxIgnoredRun { state = MatchTables.root }
                    continue
                }
                ignoredRun = 0
                if symbol == 0 {
                    state = MatchTables.root
                    continue
                }
                let slot = (pushes & mask) << 1
                r[slot] = start
                r[slot &+ 1] = scalarIndex &- 1
                pushes &+= 1
                state = tables.next(state, symbol)
                if slots[Int(state)].report >= 0 {
                    appendFindings(state: state, endByte: chunkBase &+ i, endScalar: scalarIndex, pushes: pushes,
                                   ring: r, chunk: p, chunkBase: chunkBase, into: &findings)
                }
            }

            let chunkEnd = chunkBase + n
            // Keep the bytes a match still in progress may need: from the first scalar of the current state's
            // string (at most maxPatternLength scalars back) or the start of an unfinished UTF-8 sequence.
            var keepFrom = chunkEnd
            let depth = Int(tables.depth[Int(state)])
            if depth > 0 { keepFrom = r[((pushes - depth) & mask) << 1] }
            if need > 0 { keepFrom = min(keepFrom, sequenceStart) }
            var kept: [UInt8] = []
            if keepFrom < chunkBase { kept.append(contentsOf: carry[(keepFrom - carryStart)...]) }
            let fromChunk = max(keepFrom, chunkBase) - chunkBase
            kept.append(contentsOf: UnsafeBufferPointer(start: p + fromChunk, count: n - fromChunk))
            carry = kept
            carryStart = keepFrom

            ring.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: r, count: ringSize) }
            self.state = state
            (self.need, self.value, self.low, self.high, self.sequenceStart) = (need, value, low, high, sequenceStart)
            scalarCount = scalarIndex
            self.pushes = pushes
            self.ignoredRun = ignoredRun
            byteCount = chunkEnd
        }

        /// Reports every pattern ending at `state`: its own, then those of its suffix states (longest first).
        private func appendFindings(state: Int32, endByte: Int, endScalar: Int, pushes: Int,
                                    ring: UnsafeMutablePointer<Int>, chunk: UnsafePointer<UInt8>, chunkBase: Int,
                                    into findings: inout [TextFinding]) {
            let tables = checker.tables
            var k = Int(tables.slots[Int(state)].report)
            while case let id = Int(tables.outputs[k]), id >= 0 {
                k += 1
                let slot = ((pushes - Int(tables.patternLength[id])) & ringMask) << 1
                let startByte = ring[slot]
                let startScalar = ring[slot + 1]
                var bytes: [UInt8] = []
                bytes.reserveCapacity(endByte - startByte)
                for a in startByte..<endByte {
                    bytes.append(a < chunkBase ? carry[a - carryStart] : chunk[a - chunkBase])
                }
                let info = checker.patterns[id]
                findings.append(TextFinding(
                    list: info.list, pattern: info.pattern, matched: String(decoding: bytes, as: UTF8.self),
                    suggestion: info.suggestion, offset: startScalar, length: endScalar - startScalar,
                    utf8Offset: startByte, utf8Length: endByte - startByte))
            }
        }
    }
}
