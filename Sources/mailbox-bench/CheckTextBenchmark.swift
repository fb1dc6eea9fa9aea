import ArgumentParser
import Foundation
import MailboxCore

/// Throughput of the 错敏字 text checker on one core: generated Chinese text (default 1 MB) against a generated
/// 10,000-entry list, compared with a naive per-entry scan; writes text and list to files so
/// deploy/bench/checker_pyaho.py can time pyahocorasick on the same inputs (deploy/bench-checker.sh runs both).
struct CheckTextBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-text",
        abstract: "Text checker MB/s on generated Chinese text vs a naive per-entry scan.")

    @Option(help: "Size of the generated text in MB (10^6 bytes of UTF-8).") var megabytes: Double = 1
    @Option(help: "Entries in the generated list.") var entries: Int = 10_000
    @Option(help: "Seconds per measurement (best run counts).") var seconds: Double = 3
    @Option(help: "Seconds at most for the two naive scans together; when one cannot cover the whole list in its half it is measured on the first entries and extrapolated.")
    var naiveSeconds: Double = 30
    @Option(help: "Seed of the generator.") var seed: UInt64 = 20_241_130
    @Option(help: "Write the generated text here.") var writeText: String?
    @Option(help: "Write the generated list here (the list file format: pattern<TAB>suggestion).") var writeList: String?

    func run() throws {
        var generator = BenchText(seed: seed)
        let listText = generator.listFile(entries: entries)
        let list = try WordList.parse(name: "bench", text: listText)
        let (text, planted, obfuscated) = generator.text(bytes: Int(megabytes * 1_000_000), list: list)
        if let path = writeText { try text.write(toFile: path, atomically: true, encoding: .utf8) }
        if let path = writeList { try listText.write(toFile: path, atomically: true, encoding: .utf8) }
        let bytes = text.utf8.count
        let mb = Double(bytes) / 1_000_000
        print("text: \(bytes) bytes UTF-8, \(text.unicodeScalars.count) scalars; list: \(list.entries.count) entries, "
              + "\(list.entries.filter { $0.suggestion != nil }.count) with a suggestion; planted \(planted) entries, "
              + "\(obfuscated) of them with a zero-width character or space inside (only the checker sees those)")

        let buildStart = ContinuousClock.now
        let checker = try TextChecker(lists: [list])
        let buildTime = ContinuousClock.now - buildStart
        print("checker: built in \(format(buildTime.seconds * 1000)) ms")

        // Our checker on the whole string, then streaming in 64 KiB chunks.
        var findings = 0
        let whole = best(seconds: seconds) { findings = checker.check(text).count }
        let data = Array(text.utf8)
        var streamed = 0
        let stream = best(seconds: seconds) {
            var scanner = checker.makeScanner()
            var n = 0
            var at = 0
            while at < data.count {
                let end = min(at + 65_536, data.count)
                n += scanner.feed(data[at..<end]).count
                at = end
            }
            streamed = n + scanner.finish().count
        }
        print("checker check(String):      \(format(mb / whole.time)) MB/s (best of \(whole.runs) runs), \(findings) findings")
        print("checker scanner 64 KiB:     \(format(mb / stream.time)) MB/s (best of \(stream.runs) runs), \(streamed) findings")

        // Naive: for each entry, find all non-overlapping occurrences, (1) with Foundation's String.range(of:),
        // (2) with a hand-written byte loop over the UTF-8 (first byte, then memcmp — what strstr does). The
        // faster one is the baseline of the ratio.
        let patterns = list.entries.map(\.pattern)
        let viaRangeOf = naive(patterns, budget: naiveSeconds / 2) { pattern in
            var count = 0
            var from = text.startIndex
            while let found = text.range(of: pattern, range: from..<text.endIndex) {
                count += 1
                from = found.upperBound
            }
            return count
        }
        let viaBytes = naive(patterns, budget: naiveSeconds / 2) { pattern in
            let needle = Array(pattern.utf8)
            return data.withUnsafeBufferPointer { hay in
                var count = 0
                var i = 0
                let last = hay.count - needle.count
                while i <= last {
                    if hay[i] == needle[0] && memcmp(hay.baseAddress! + i, needle, needle.count) == 0 {
                        count += 1
                        i += needle.count
                    } else {
                        i += 1
                    }
                }
                return count
            }
        }
        let all = checker.check(text)
        for (name, result) in [("naive String.range(of:)", viaRangeOf), ("naive byte loop + memcmp", viaBytes)] {
            let sample = Set(patterns.prefix(result.covered))
            let ours = result.covered == patterns.count ? all.count : all.filter { sample.contains($0.pattern) }.count
            let scope = result.covered == patterns.count
                ? "all \(result.covered) entries"
                : "first \(result.covered) of \(patterns.count) entries, time extrapolated linearly"
            print("\(name): \(format(mb / result.time, digits: 3)) MB/s (\(scope)), \(result.findings) findings (checker on the same entries: \(ours))")
        }
        let naiveMBps = mb / min(viaRangeOf.time, viaBytes.time)
        print("ratio checker ÷ faster naive: \(format((mb / whole.time) / naiveMBps))×")
        print("figures: checker_mbps=\(format(mb / whole.time)) scanner_mbps=\(format(mb / stream.time)) naive_mbps=\(format(naiveMBps, digits: 3)) checker_findings=\(findings) bytes=\(bytes)")
    }

    /// Time of a per-entry scan over all `patterns`, extrapolated from the first ones when `budget` runs out.
    private func naive(_ patterns: [String], budget: Double, _ occurrences: (String) -> Int)
        -> (time: Double, covered: Int, findings: Int) {
        var findings = 0
        var covered = 0
        let start = ContinuousClock.now
        for pattern in patterns {
            findings += occurrences(pattern)
            covered += 1
            if (ContinuousClock.now - start).seconds > budget { break }
        }
        return ((ContinuousClock.now - start).seconds * Double(patterns.count) / Double(covered), covered, findings)
    }

    /// Best wall time of `body` over repeated runs for about `seconds` (at least three runs).
    private func best(seconds: Double, _ body: () -> Void) -> (time: Double, runs: Int) {
        var bestTime = Double.infinity
        var runs = 0
        let start = ContinuousClock.now
        while runs < 3 || (ContinuousClock.now - start).seconds < seconds {
            let t0 = ContinuousClock.now
            body()
            bestTime = min(bestTime, (ContinuousClock.now - t0).seconds)
            runs += 1
        }
        return (bestTime, runs)
    }

    private func format(_ value: Double, digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }
}

/// Deterministic Chinese-looking text and word list (SplitMix64): sentences of common characters with a skewed
/// frequency, punctuation, some digits and ASCII words, and list entries planted at random.
struct BenchText {
    var generator: SplitMix64

    init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    static let common = Array(
        "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理府研质省口" +
        "群众来信反映情况办理答复街道社区物业供暖噪声道路交通停车环境卫生医疗教育就业社保住房补贴申请审核窗口部门单位工作人员电话时间地址小区居民村镇乡密云水库旅游生态保护林业农业"
    )
    static let ascii = ["App", "WiFi", "PM2.5", "12345", "2024年", "10月", "3号楼", "No.8", "ID", "QQ", "5G", "GPS"]
    static let officialTypos: [(String, String)] = [
        ("中华人民共合国", "中华人民共和国"), ("密云县", "密云区"), ("国务院办工厅", "国务院办公厅"),
        ("人民政腐", "人民政府"), ("北京市密云县人民政府", "北京市密云区人民政府"), ("区长信相", "区长信箱"),
        ("全国人大长委会", "全国人大常委会"), ("党中共", "中共"), ("政协委员会议", "政协会议"), ("渡假村", "度假村"),
    ]

    mutating func next() -> UInt64 { generator.next() }

    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    /// A character with a skewed (roughly Zipf-like) frequency, as in real text.
    mutating func commonCharacter() -> Character {
        let u = Double(next() >> 11) / Double(1 << 53)
        return BenchText.common[min(BenchText.common.count - 1, Int(u * u * Double(BenchText.common.count)))]
    }

    /// `count` distinct entries: the official-name typos, then random 2–6 character words, a fifth with a
    /// suggestion (the word with one character changed).
    mutating func listFile(entries count: Int) -> String {
        var seen = Set<String>()
        var lines = ["# generated by mailbox-bench check-text"]
        for (wrong, right) in BenchText.officialTypos.prefix(count) where seen.insert(wrong).inserted {
            lines.append("\(wrong)\t\(right)")
        }
        while seen.count < count {
            let length = 2 + below(5)
            let word = String((0..<length).map { _ in BenchText.common[below(BenchText.common.count)] })
            guard seen.insert(word).inserted else { continue }
            if below(5) == 0 {
                var chars = Array(word)
                chars[below(chars.count)] = BenchText.common[below(BenchText.common.count)]
                lines.append("\(word)\t\(String(chars))")
            } else {
                lines.append(word)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// At least `bytes` bytes of paragraphs; about one sentence in three carries a planted entry, 2 % of those
    /// with a zero-width character or a space inserted.
    mutating func text(bytes: Int, list: WordList) -> (text: String, planted: Int, obfuscated: Int) {
        var text = ""
        text.reserveCapacity(bytes + 256)
        var planted = 0
        var obfuscated = 0
        var sentences = 0
        while text.utf8.count < bytes {
            let length = 8 + below(30)
            let plantAt = below(3) == 0 ? below(length) : -1
            for k in 0..<length {
                if k == plantAt {
                    var word = Array(list.entries[below(list.entries.count)].pattern)
                    if below(50) == 0 {
                        word.insert(below(2) == 0 ? "\u{200B}" : " ", at: 1)
                        obfuscated += 1
                    }
                    text.append(String(word))
                    planted += 1
                } else if below(40) == 0 {
                    text.append(" \(BenchText.ascii[below(BenchText.ascii.count)]) ")
                } else if k > 0 && below(12) == 0 {
                    text.append(["，", "、", "，", "；"][below(4)])
                } else {
                    text.append(commonCharacter())
                }
            }
            text.append(["。", "。", "。", "？", "！"][below(5)])
            sentences += 1
            if sentences % 6 == 0 { text.append("\n") }
        }
        return (text, planted, obfuscated)
    }
}
