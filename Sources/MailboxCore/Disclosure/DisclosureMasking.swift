/// 公开脱敏: masking of personal data in the free text of a letter (title, body) and its reply
/// before they are published with the writer's consent.
///
/// Structured fields have their own masks in `Masking`; this one finds personal data wherever it
/// appears in running text. A masker is not a rewriter: everything it does not recognise as
/// personal data is returned scalar for scalar. The rules, applied in this order (a span claimed
/// by an earlier rule is not looked at again):
///
/// 1. E-mail addresses: the local part keeps its first character, then `***`; the domain stays
///    (`zhangsan@qq.com` → `z***@qq.com`).
/// 2. Known addresses (the writer's own, from the letter): every occurrence keeps its text up to
///    and including the town-level unit, the rest becomes `****`; the part after the town is also
///    masked where it appears on its own.
/// 3. Numbers. Digits are ASCII or full-width; a number may be written in groups joined by a
///    space or a dash (`138 0013 8000`, `010-6904 1234`), with `+86`/`86`/`0086` before a mobile
///    or with the area code in parentheses. Groups are read left to right and the shortest
///    sequence of groups that forms one of these is taken (every group has 3 digits or more, a
///    leading `86` aside, so dates and `3-2-501` never join a number):
///    - resident ID numbers (18 characters, the last may be X; old 15-digit ones) and other long
///      numbers of 15–19 contiguous digits (bank cards): first 4 + `*` + last 4, whether or not
///      the check character is right, since a mistyped ID is still personal data. Split into
///      groups they count only with a real province code at the front;
///    - mobiles `1[3-9]` + 9 digits: `138****8000`, separators and country prefix dropped;
///    - landlines `0` + area code (3 characters for 01x/02x, else 4) + 7–8 digits:
///      `010-******34`, as `Masking.phone` shows them;
///    - 7–8 digit local numbers right after 电话/座机/固话/手机/号码/tel: `******34`.
///    A longer contiguous run is never searched for a phone inside it, and ordinary numbers
///    (`3个月`, `2020年5月`, `12345热线`, tracking numbers `2026-0000123`) match none of these.
/// 4. House numbers: a chain of numbers with address units (号楼, 号院, 单元, 号, 栋, 幢, 楼, 层,
///    室, 排, a bare room number after 单元, or `3-2-501`). It is masked when it looks like an
///    address: two or more parts, a room (`1202室`), a place word before it (小区, 村, 路, 街, 胡同,
///    家园 …), an address cue (住在, 家住, 地址, 位于), or a single 号/号楼/栋/单元 part right after a
///    town. A lone `3楼`, `5月12号` or `〔2021〕5号` is not an address. Masking keeps
///    the text up to and including the town-level unit (镇, 乡, 街道, 地区 or a name in `towns`)
///    and turns the rest up to the end of the chain into `****`; without a town, the place name
///    and the chain become `****`. Text before the town (北京市密云区) is kept.
/// 5. Names found by context, a common surname and one or two given-name characters:
///    after 我叫/名叫/姓名/联系人/来信人/反映人/投诉人/申请人 (and after 本人 when the name is followed
///    by punctuation or by 住/家/男/女 …), and before 先生/女士/同志/老师/师傅. Masked as the first
///    character + one `*` per further character (欧阳修 → 欧**, as `Masking.name`); a surname alone
///    before a title (`张先生`, `谢谢李老师`) is not a name and stays. These come
///    before known names so that a known 王伟 cannot cut 我叫王伟丹 short.
/// 6. Known names: every occurrence becomes the first character and one `*` per further
///    character (`张三丰` → `张**`).
public struct DisclosureMasker: Sendable {
    public let knownNames: [String]
    public let knownAddresses: [String]
    public let towns: [String]

    private let nameNeedles: [KnownText]
    private let addressNeedles: [KnownText]
    private let townNames: [[Unicode.Scalar]]

    public init(knownNames: [String] = [], knownAddresses: [String] = [], towns: [String] = MiyunTowns.all) {
        self.knownNames = knownNames
        self.knownAddresses = knownAddresses
        self.towns = towns
        let townNames = towns.map { Array($0.trimmingASCIIWhitespace().unicodeScalars) }.filter { $0.count >= 2 }
        self.townNames = townNames

        var names: [KnownText] = []
        for raw in knownNames {
            let name = raw.trimmingASCIIWhitespace()
            // A one-character "name" would mask that character everywhere in the text.
            guard name.unicodeScalars.count >= 2 else { continue }
            names.append(KnownText(scalars: Array(name.unicodeScalars), masked: Masking.name(name)))
        }
        self.nameNeedles = names.sorted { $0.scalars.count > $1.scalars.count }

        var addresses: [KnownText] = []
        for raw in knownAddresses {
            let address = Array(raw.trimmingASCIIWhitespace().unicodeScalars)
            guard address.count >= 4 else { continue }
            let kept = AddressUnits.keptPrefixLength(address, towns: townNames)
            let tail = Array(address[kept...])
            guard !tail.isEmpty else { continue }
            addresses.append(KnownText(scalars: address, masked: String(String.UnicodeScalarView(address[..<kept])) + "****"))
            if kept > 0, tail.count >= 4 {
                addresses.append(KnownText(scalars: tail, masked: "****"))
            }
        }
        self.addressNeedles = addresses.sorted { $0.scalars.count > $1.scalars.count }
    }

    /// The text with every piece of personal data found masked; everything else unchanged.
    public func mask(_ text: String) -> String {
        var scan = MaskingScan(text)
        scan.maskEmails()
        scan.maskOccurrences(of: addressNeedles)
        scan.maskNumbers()
        scan.maskHouseNumbers(towns: townNames)
        scan.maskNamesByContext()
        scan.maskOccurrences(of: nameNeedles)
        return scan.result()
    }
}

/// The towns (镇), subdistricts (街道) and the 檀营地区 of 密云区: the level an address is kept to.
public enum MiyunTowns {
    public static let all: [String] = [
        "鼓楼街道", "果园街道", "檀营地区", "密云镇", "溪翁庄镇", "西田各庄镇", "十里堡镇", "河南寨镇", "巨各庄镇",
        "穆家峪镇", "太师屯镇", "高岭镇", "不老屯镇", "冯家峪镇", "古北口镇", "大城子镇", "东邵渠镇", "北庄镇",
        "新城子镇", "石城镇",
    ]
}

/// A name or address the letter's record knows, with what each occurrence becomes.
private struct KnownText: Sendable {
    let scalars: [Unicode.Scalar]
    let masked: String
}

// MARK: - The scan

/// One pass over one text: the scalars, which of them a rule has claimed, and the replacements.
private struct MaskingScan {
    let s: [Unicode.Scalar]
    var claimed: [Bool]
    var replacements: [(start: Int, end: Int, text: String)] = []

    init(_ text: String) {
        s = Array(text.unicodeScalars)
        claimed = Array(repeating: false, count: s.count)
    }

    var count: Int { s.count }

    func isFree(_ range: Range<Int>) -> Bool {
        range.lowerBound >= 0 && range.upperBound <= count && !claimed[range].contains(true)
    }

    mutating func replace(_ range: Range<Int>, with text: String) {
        for i in range { claimed[i] = true }
        replacements.append((range.lowerBound, range.upperBound, text))
    }

    func result() -> String {
        guard !replacements.isEmpty else { return String(String.UnicodeScalarView(s)) }
        var out = String.UnicodeScalarView()
        out.reserveCapacity(s.count)
        var at = 0
        for r in replacements.sorted(by: { $0.start < $1.start }) {
            out.append(contentsOf: s[at..<r.start])
            out.append(contentsOf: r.text.unicodeScalars)
            at = r.end
        }
        out.append(contentsOf: s[at...])
        return String(out)
    }

    /// Does the text ending at index `end` (inclusive) spell `word`?
    func endsWith(_ word: [Unicode.Scalar], at end: Int) -> Bool {
        let start = end - word.count + 1
        guard start >= 0, end < count else { return false }
        for k in 0..<word.count where s[start + k] != word[k] { return false }
        return true
    }

    /// Does the text starting at index `start` spell `word`?
    func startsWith(_ word: [Unicode.Scalar], at start: Int) -> Bool {
        guard start >= 0, start + word.count <= count else { return false }
        for k in 0..<word.count where s[start + k] != word[k] { return false }
        return true
    }

    // MARK: Known names and addresses

    mutating func maskOccurrences(of needles: [KnownText]) {
        for needle in needles {
            guard let first = needle.scalars.first, needle.scalars.count <= count else { continue }
            var i = 0
            while i + needle.scalars.count <= count {
                if s[i] == first, startsWith(needle.scalars, at: i), isFree(i..<(i + needle.scalars.count)) {
                    replace(i..<(i + needle.scalars.count), with: needle.masked)
                    i += needle.scalars.count
                } else {
                    i += 1
                }
            }
        }
    }

    // MARK: E-mail

    mutating func maskEmails() {
        for at in 0..<count where (s[at] == "@" || s[at] == "＠") && !claimed[at] {
            var start = at
            while start > 0, !claimed[start - 1], Scalars.isEmailLocal(s[start - 1]) { start -= 1 }
            while start < at, s[start] == "." { start += 1 }
            guard start < at else { continue }
            var end = at + 1
            while end < count, !claimed[end], Scalars.isEmailDomain(s[end]) { end += 1 }
            while end > at + 1, s[end - 1] == "." || s[end - 1] == "-" { end -= 1 }
            let domain = Array(s[(at + 1)..<end])
            guard let lastDot = domain.lastIndex(of: "."), lastDot > 0 else { continue }
            let topLevel = domain[(lastDot + 1)...]
            guard topLevel.count >= 2, topLevel.allSatisfy({ $0.properties.isAlphabetic }) else { continue }
            var masked = String.UnicodeScalarView()
            masked.append(s[start])
            masked.append(contentsOf: "***".unicodeScalars)
            masked.append(s[at])
            masked.append(contentsOf: domain)
            replace(start..<end, with: String(masked))
        }
    }

    // MARK: Numbers: IDs, long numbers, mobiles, landlines

    /// A maximal run of digits (ASCII or full-width), and an X right after it (ID check character).
    struct DigitRun {
        var start: Int
        var end: Int
        var digits: [UInt8]
        var checkX: Int?
    }

    func digitRuns() -> [DigitRun] {
        var runs: [DigitRun] = []
        var i = 0
        while i < count {
            guard !claimed[i], let d = Scalars.digit(s[i]) else { i += 1; continue }
            var run = DigitRun(start: i, end: i + 1, digits: [d], checkX: nil)
            var j = i + 1
            while j < count, !claimed[j], let d = Scalars.digit(s[j]) { run.digits.append(d); j += 1 }
            run.end = j
            if j < count, !claimed[j], Scalars.isCheckX(s[j]) { run.checkX = j }
            runs.append(run)
            i = j
        }
        return runs
    }

    /// Whether two runs are groups of one written number: joined by 1–3 spaces/dashes (at most one
    /// dash), or by a closing parenthesis when the first group opened with one (`(010)6904…`).
    func joins(_ a: DigitRun, _ b: DigitRun) -> Bool {
        guard a.checkX == nil else { return false }
        let gap = a.end..<b.start
        guard (1...3).contains(gap.count), isFree(gap) else { return false }
        var dashes = 0
        for k in gap {
            let c = s[k]
            if Scalars.isDash(c) {
                dashes += 1
            } else if c == ")" || c == "）" {
                guard k == a.end, a.start > 0, s[a.start - 1] == "(" || s[a.start - 1] == "（" else { return false }
            } else if !Scalars.isSpace(c) {
                return false
            }
        }
        return dashes <= 1
    }

    enum NumberKind {
        case long([UInt8], x: Bool)
        case mobile([UInt8])
        case landline(area: [UInt8], subscriber: [UInt8])
        case local([UInt8])

        var masked: String {
            switch self {
            case .long(let d, let x):
                let chars = d.map { Character(Unicode.Scalar(48 + $0)) } + (x ? ["X"] : [])
                return String(chars.prefix(4)) + String(repeating: "*", count: chars.count - 8) + String(chars.suffix(4))
            case .mobile(let d):
                return Scalars.text(d[0..<3]) + "****" + Scalars.text(d[7..<11])
            case .landline(let area, let sub):
                return Scalars.text(area[...]) + "-" + String(repeating: "*", count: sub.count - 2) + Scalars.text(sub.suffix(2))
            case .local(let d):
                return String(repeating: "*", count: d.count - 2) + Scalars.text(d.suffix(2))
            }
        }
    }

    static func isMobile<C: Collection<UInt8>>(_ d: C) -> Bool {
        guard d.count == 11 else { return false }
        let a = Array(d)
        return a[0] == 1 && a[1] >= 3
    }

    static func landline(_ d: [UInt8]) -> NumberKind? {
        guard (10...12).contains(d.count), d[0] == 0, d[1] != 0 else { return nil }
        let areaLength = d[1] <= 2 ? 3 : 4
        let sub = Array(d[areaLength...])
        guard (7...8).contains(sub.count), sub[0] >= 2 else { return nil }
        return .landline(area: Array(d[..<areaLength]), subscriber: sub)
    }

    /// Province-level codes at the front of a resident ID number (GB/T 2260).
    static let provinceCodes: Set<Int> = [
        11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54,
        61, 62, 63, 64, 65, 71, 81, 82, 83,
    ]

    func classify(_ d: [UInt8], groups: Int, x: Bool, afterPhoneCue: Bool) -> NumberKind? {
        let province = d.count >= 2 && Self.provinceCodes.contains(Int(d[0]) * 10 + Int(d[1]))
        if x, d.count == 17, groups == 1 || province { return .long(d, x: true) }
        if Self.isMobile(d) { return .mobile(d) }
        if d.count == 13, d[0] == 8, d[1] == 6, Self.isMobile(d.dropFirst(2)) { return .mobile(Array(d.dropFirst(2))) }
        if d.count == 15, d.prefix(4) == [0, 0, 8, 6], Self.isMobile(d.dropFirst(4)) { return .mobile(Array(d.dropFirst(4))) }
        if groups == 1, (15...19).contains(d.count) { return .long(d, x: false) }
        if groups > 1, d.count == 18 || d.count == 15, province { return .long(d, x: false) }
        if let landline = Self.landline(d) { return landline }
        if afterPhoneCue, (7...8).contains(d.count), d[0] >= 2 { return .local(d) }
        return nil
    }

    static let phoneCues: [[Unicode.Scalar]] = ["电话", "座机", "固话", "手机", "号码", "tel", "Tel", "TEL", "联系方式"].map {
        Array($0.unicodeScalars)
    }

    func followsPhoneCue(_ start: Int) -> Bool {
        var k = start - 1
        var skipped = 0
        while k >= 0, skipped < 4, Scalars.isCueFiller(s[k]) { k -= 1; skipped += 1 }
        guard k >= 0 else { return false }
        return Self.phoneCues.contains { endsWith($0, at: k) }
    }

    mutating func maskNumbers() {
        let runs = digitRuns()
        var i = 0
        while i < runs.count {
            var digits: [UInt8] = []
            var found: (last: Int, kind: NumberKind, x: Bool)?
            let cue = followsPhoneCue(runs[i].start)
            var j = i
            while j < runs.count, j - i < 6 {
                if j > i, !joins(runs[j - 1], runs[j]) { break }
                // Written in groups, every group has 3 digits or more (`138 0013 8000`,
                // `010-6904 1234`), a leading 86 aside: `16-7-1201 2024` is a house number and a year.
                if j > i, runs[j].digits.count < 3 || (runs[i].digits.count < 3 && runs[i].digits != [8, 6]) { break }
                digits += runs[j].digits
                if digits.count > 19 { break }
                let hasX = runs[j].checkX != nil && digits.count == 17
                if let kind = classify(digits, groups: j - i + 1, x: hasX, afterPhoneCue: cue) {
                    if case .long(_, let x) = kind { found = (j, kind, x) } else { found = (j, kind, false) }
                    break
                }
                j += 1
            }
            guard let found else { i += 1; continue }
            var start = runs[i].start
            var end = runs[found.last].end
            if found.x, let x = runs[found.last].checkX { end = x + 1 }
            if start > 0 {
                let before = s[start - 1]
                if case .mobile = found.kind, before == "+" || before == "＋", digits.count > 11 {
                    start -= 1
                } else if before == "(" || before == "（", s[start..<end].contains(where: { $0 == ")" || $0 == "）" }) {
                    start -= 1
                }
            }
            replace(start..<end, with: found.kind.masked)
            i = found.last + 1
        }
    }

    // MARK: House numbers and addresses

    /// A number in a house-number chain: 1–5 digits, up to three parts joined by dashes
    /// (`3-2-501`), or up to three Chinese numerals. Returns its end and how it was written.
    func houseNumber(at i: Int) -> (end: Int, dashed: Bool, chinese: Bool)? {
        guard i < count, !claimed[i] else { return nil }
        if Scalars.digit(s[i]) != nil {
            guard i == 0 || Scalars.digit(s[i - 1]) == nil else { return nil }
            var end = i
            var parts = 0
            var j = i
            while parts < 3 {
                let partStart = j
                while j < count, !claimed[j], Scalars.digit(s[j]) != nil { j += 1 }
                guard (1...5).contains(j - partStart), j >= count || Scalars.digit(s[j]) == nil else { break }
                parts += 1
                end = j
                guard j + 1 < count, Scalars.isDash(s[j]), !claimed[j], !claimed[j + 1], Scalars.digit(s[j + 1]) != nil else { break }
                j += 1
            }
            return parts > 0 ? (end, parts > 1, false) : nil
        }
        var j = i
        while j < count, j - i < 3, !claimed[j], AddressUnits.chineseNumerals.contains(s[j]) { j += 1 }
        return j > i ? (j, false, true) : nil
    }

    /// The chain of house numbers starting at `i`: its end, how many parts it has, its first unit,
    /// and whether a dashed number carried a unit (`3-501室`, `1-3号楼`).
    func houseChain(at i: Int) -> (end: Int, parts: Int, firstUnit: [Unicode.Scalar]?, dashedWithUnit: Bool)? {
        var p = i
        var parts = 0
        var firstUnit: [Unicode.Scalar]?
        var lastUnit: [Unicode.Scalar]?
        var dashedWithUnit = false
        while let number = houseNumber(at: p) {
            let unit = AddressUnits.units.first { startsWith($0, at: number.end) && isFree(number.end..<(number.end + $0.count)) }
            if let unit, !number.chinese || AddressUnits.unitsAfterChineseNumerals.contains(unit) {
                parts += 1
                if firstUnit == nil { firstUnit = unit }
                lastUnit = unit
                dashedWithUnit = dashedWithUnit || number.dashed
                p = number.end + unit.count
                continue
            }
            if number.chinese { break }
            // A room number has 2–4 digits (3–4 after 号: `5月12号3点` is a time) and is not
            // followed by a counter (`3号楼2020年`).
            let digits = number.end - p
            let minimum = lastUnit == ["号"] ? 3 : 2
            let followsUnit = lastUnit.map { AddressUnits.roomFollows.contains($0) } ?? false
            let counted = number.end < count && AddressUnits.counters.contains(s[number.end])
            if (followsUnit && (number.dashed || (minimum...4).contains(digits)) && !counted) || (parts == 0 && number.dashed) {
                // A bare room number after 单元/号楼 (`2单元501`), or a chain written `3-2-501`.
                parts += 1
                dashedWithUnit = dashedWithUnit || (number.dashed && parts > 1)
                p = number.end
            }
            break
        }
        return parts > 0 ? (p, parts, firstUnit, dashedWithUnit) : nil
    }

    mutating func maskHouseNumbers(towns: [[Unicode.Scalar]]) {
        var i = 0
        while i < count {
            guard !claimed[i], let chain = houseChain(at: i) else { i += 1; continue }
            // Two or more parts are an address on their own; one part (`12号`, `3楼`, or a dashed
            // `3-2-501` that may as well be a date) needs a place word, a cue or a town before it.
            let strongChain = chain.parts >= 2 || chain.dashedWithUnit || chain.firstUnit == AddressUnits.room
            // Walk back over the place name in front of the chain, up to a town or a break.
            var p = i
            var townEnd: Int?
            while p > 0, i - p < 16, !claimed[p - 1] {
                if AddressUnits.townUnitLength(s, endingAt: p - 1, towns: towns) > 0 { townEnd = p; break }
                if AddressUnits.isDistrictUnit(s, at: p - 1) { break }
                let c = s[p - 1]
                guard Scalars.isIdeograph(c), !AddressUnits.breaks.contains(c) else { break }
                p -= 1
            }
            let suffix = AddressUnits.placeSuffixes.first { endsWith($0, at: i - 1) && i - $0.count >= p }
            let cue = AddressUnits.cues.contains { cue in
                var k = p - 1
                while k >= 0, Scalars.isCueFiller(s[k]) { k -= 1 }
                return endsWith(cue, at: k)
            }
            let singleAfterTown = townEnd != nil && chain.firstUnit.map { AddressUnits.unitsAfterTown.contains($0) } == true
            guard strongChain || suffix != nil || cue || singleAfterTown else { i = chain.end; continue }
            let start: Int
            if let townEnd {
                start = townEnd
            } else if let suffix {
                start = max(p, i - suffix.count - 6)
            } else {
                start = i
            }
            replace(start..<chain.end, with: "****")
            i = chain.end
        }
    }

    // MARK: Names by context

    /// The surname starting at `i` (compound first) and its length.
    func surname(at i: Int) -> Int? {
        guard i < count, !claimed[i] else { return nil }
        if i + 1 < count, !claimed[i + 1], PersonNames.compoundSurnames.contains(where: { startsWith($0, at: i) }) { return 2 }
        return PersonNames.surnames.contains(s[i]) ? 1 : nil
    }

    func isGivenNameCharacter(_ i: Int) -> Bool {
        i >= 0 && i < count && !claimed[i] && Scalars.isIdeograph(s[i])
    }

    func startsWithTitle(at i: Int) -> Bool {
        PersonNames.titles.contains { startsWith($0, at: i) } || (i < count && s[i] == "某")
    }

    mutating func maskName(_ start: Int, surname: Int, given: Int) {
        let range = start..<(start + surname + given)
        guard given > 0, isFree(range) else { return }
        replace(range, with: String(Character(s[start])) + String(repeating: "*", count: surname - 1 + given))
    }

    mutating func maskNamesByContext() {
        // Names after a cue: 我叫张三, 姓名：张三丰, 联系人 王五, 本人李四，…
        var i = 0
        while i < count {
            guard let cue = PersonNames.cues.first(where: { startsWith($0.word, at: i) }) else { i += 1; continue }
            var n = i + cue.word.count
            while n < count, n - (i + cue.word.count) < 2, Scalars.isCueFiller(s[n]) { n += 1 }
            defer { i = max(i + 1, n) }
            guard let surnameLength = surname(at: n) else { continue }
            let g = n + surnameLength
            guard isGivenNameCharacter(g), !startsWithTitle(at: g) else { continue }
            if cue.strong {
                let second = isGivenNameCharacter(g + 1) && !PersonNames.afterName.contains(s[g + 1]) && !startsWithTitle(at: g + 1)
                maskName(n, surname: surnameLength, given: second ? 2 : 1)
                n = g + (second ? 2 : 1)
            } else {
                guard !PersonNames.afterName.contains(s[g]) else { continue }
                func boundary(_ k: Int) -> Bool { k >= count || !Scalars.isIdeograph(s[k]) || PersonNames.afterName.contains(s[k]) }
                if isGivenNameCharacter(g + 1), !PersonNames.afterName.contains(s[g + 1]), boundary(g + 2) {
                    maskName(n, surname: surnameLength, given: 2)
                    n = g + 2
                } else if boundary(g + 1) {
                    maskName(n, surname: surnameLength, given: 1)
                    n = g + 1
                }
            }
        }
        // Names before a title: 张三先生, 王小明老师; 张先生 and 谢谢李老师 stay.
        for t in 1..<max(count, 1) where PersonNames.titles.contains(where: { startsWith($0, at: t) }) {
            guard isGivenNameCharacter(t - 1) else { continue }
            let c1 = s[t - 1]
            let c2: Unicode.Scalar? = isGivenNameCharacter(t - 2) ? s[t - 2] : nil
            let c3: Unicode.Scalar? = isGivenNameCharacter(t - 3) ? s[t - 3] : nil
            let c2IsSurname = c2.map { PersonNames.surnames.contains($0) } ?? false
            if let c2, isGivenNameCharacter(t - 3), isGivenNameCharacter(t - 4),
                PersonNames.compoundSurnames.contains(where: { endsWith($0, at: t - 3) }),
                !PersonNames.afterName.contains(c2), !PersonNames.afterName.contains(c1)
            {
                maskName(t - 4, surname: 2, given: 2)  // 欧阳娜娜女士
                continue
            }
            if PersonNames.surnames.contains(c1), !c2IsSurname || PersonNames.beforeName.contains(c2!) { continue }
            if PersonNames.afterName.contains(c1) || PersonNames.notNamesBeforeTitles.contains(where: { endsWith($0, at: t - 1) }) { continue }
            if let c3, let c2, !PersonNames.afterName.contains(c2),
                (PersonNames.surnames.contains(c3) && !PersonNames.beforeName.contains(c3))
                    || PersonNames.compoundSurnames.contains(where: { endsWith($0, at: t - 2) })
            {
                let compound = PersonNames.compoundSurnames.contains(where: { endsWith($0, at: t - 2) })
                maskName(t - 3, surname: compound ? 2 : 1, given: compound ? 1 : 2)
            } else if c2IsSurname {
                maskName(t - 2, surname: 1, given: 1)
            }
        }
    }
}

// MARK: - Character classes

private enum Scalars {
    /// The value of an ASCII or full-width digit.
    static func digit(_ c: Unicode.Scalar) -> UInt8? {
        switch c.value {
        case 0x30...0x39: UInt8(c.value - 0x30)
        case 0xFF10...0xFF19: UInt8(c.value - 0xFF10)
        default: nil
        }
    }

    static func isCheckX(_ c: Unicode.Scalar) -> Bool { c == "X" || c == "x" || c == "Ｘ" || c == "ｘ" }

    static func isDash(_ c: Unicode.Scalar) -> Bool {
        c == "-" || c == "－" || c == "‐" || c == "‑" || c == "–" || c == "—"
    }

    static func isSpace(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\u{3000}" || c == "\u{A0}" }

    /// What may stand between a cue word and what it introduces: `电话：`, `姓名: `, `电话是`.
    static func isCueFiller(_ c: Unicode.Scalar) -> Bool {
        c == ":" || c == "：" || isSpace(c) || c == "是" || c == "为"
    }

    static func isIdeograph(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0xF900...0xFAFF, 0x20000...0x2FA1F: true
        default: false
        }
    }

    static func isEmailLocal(_ c: Unicode.Scalar) -> Bool {
        c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || "._%+-".unicodeScalars.contains(c))
    }

    static func isEmailDomain(_ c: Unicode.Scalar) -> Bool {
        c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "." || c == "-")
    }

    static func text<C: Collection<UInt8>>(_ digits: C) -> String {
        String(String.UnicodeScalarView(digits.map { Unicode.Scalar(48 + $0) }))
    }
}

private func scalars(_ words: [String]) -> [[Unicode.Scalar]] { words.map { Array($0.unicodeScalars) } }

private enum AddressUnits {
    /// Units after a house number, longest first.
    static let units = scalars(["号楼", "号院", "单元", "号", "栋", "幢", "楼", "层", "室", "排"])
    static let unitsAfterChineseNumerals = scalars(["号楼", "号院", "单元", "栋", "幢"])
    /// A single part right after a town is an address with these units (`密云镇12号`), not with 楼/层.
    static let unitsAfterTown = scalars(["号楼", "号院", "单元", "号", "栋", "幢", "室"])
    /// A bare number after these is a room number (`2单元501`).
    static let roomFollows = scalars(["号楼", "单元", "栋", "幢", "楼", "层", "号"])
    /// A room (`1202室`) is an address on its own.
    static let room = scalars(["室"])[0]
    /// Counters and time units: a number before one of them is a quantity, not a room.
    static let counters = Set("点时日号天年月分秒元角个次人户米平条件位辆岁斤吨周期届版页万千百亿栋层楼室".unicodeScalars)
    static let chineseNumerals = Set("一二三四五六七八九十".unicodeScalars)
    /// Words that end a place name below the town: communities, villages, streets.
    static let placeSuffixes = scalars([
        "小区", "社区", "园区", "家园", "花园", "公寓", "大厦", "新村", "胡同", "村", "庄", "屯", "峪", "营", "寨", "园", "苑",
        "街", "路", "道", "巷", "弄", "楼",
    ])
    /// Words that introduce an address.
    static let cues = scalars(["住在", "家住", "住址", "地址", "位于", "现住", "居住在", "住于", "住"])
    /// Characters that end a place name when walking back from a house number.
    static let breaks = Set("在住于的是到至从往我近和与及对为向了去来即址把被给请经位".unicodeScalars)

    /// The length of the town-level unit ending at `end` (a name from `towns`, or 镇/乡/街道/地区), or 0.
    static func townUnitLength(_ s: [Unicode.Scalar], endingAt end: Int, towns: [[Unicode.Scalar]]) -> Int {
        for town in towns where end - town.count + 1 >= 0 && s[(end - town.count + 1)...end].elementsEqual(town) {
            return town.count
        }
        switch s[end] {
        case "镇": return 1
        case "乡": return end > 0 && "家故城老".unicodeScalars.contains(s[end - 1]) ? 0 : 1
        case "道": return end > 0 && s[end - 1] == "街" ? 2 : 0
        case "区": return end > 0 && s[end - 1] == "地" ? 2 : 0
        default: return 0
        }
    }

    /// 区/县/市/省 above the town: a place name does not reach across them (but 小区, 超市 are not).
    static func isDistrictUnit(_ s: [Unicode.Scalar], at k: Int) -> Bool {
        let before: Unicode.Scalar? = k > 0 ? s[k - 1] : nil
        switch s[k] {
        case "县", "省": return true
        case "区": return before.map { !"小社园校营景厂街矿宅片库地".unicodeScalars.contains($0) } ?? true
        case "市": return before.map { !"超菜门夜集股早".unicodeScalars.contains($0) } ?? true
        default: return false
        }
    }

    /// How much of a known address is kept: up to the last town-level unit, else the last district unit.
    static func keptPrefixLength(_ address: [Unicode.Scalar], towns: [[Unicode.Scalar]]) -> Int {
        var town = 0
        var district = 0
        for k in address.indices {
            if townUnitLength(address, endingAt: k, towns: towns) > 0 { town = k + 1 }
            if isDistrictUnit(address, at: k) { district = k + 1 }
        }
        return town > 0 ? town : district
    }
}

private enum PersonNames {
    /// The most common Chinese surnames (about 130, covering most of the population).
    static let surnames = Set(
        ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范"
            + "金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪"
            + "庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁").unicodeScalars)
    static let compoundSurnames = scalars([
        "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "司徒", "夏侯", "长孙", "宇文", "端木", "南宫",
    ])
    static let titles = scalars(["先生", "女士", "同志", "老师", "师傅"])
    /// Words before a title that start with a surname character but are not names (高中老师, 施工师傅).
    static let notNamesBeforeTitles = scalars([
        "高中", "高一", "高二", "高三", "高级", "施工", "安装", "安检", "安保", "文化", "文艺", "武术", "康复", "万能", "全体", "石匠",
        "江湖", "金牌", "常驻", "邮递",
    ])
    /// Cue words before a name; a strong cue is always followed by one, 本人 only sometimes.
    static let cues: [(word: [Unicode.Scalar], strong: Bool)] =
        [("我叫", true), ("名叫", true), ("姓名", true), ("联系人", true), ("来信人", true), ("反映人", true),
         ("投诉人", true), ("申请人", true), ("本人", false)].map { (Array($0.0.unicodeScalars), $0.1) }
    /// Characters that rarely end a given name but often follow one (住, 在, 反映 …): a second
    /// given-name character is not taken when it is one of these.
    static let afterName = Set("在是的了和与及住家今现反向因想要从对于说也都就来去到有为系男女年岁等电手身联给被把已曾一这那请打拨投诉写，".unicodeScalars)
    /// Characters that stand before a name rather than being part of it (谢谢李老师, 请王先生).
    static let beforeName = Set("谢的了给和与跟向请问找叫位是被对让把由经及于同将为在从到等".unicodeScalars)
}
