import MailboxCore
import PropertyBased
import Testing

@Suite("Disclosure masking of free text (公开脱敏)")
struct DisclosureMaskingTests {
    let masker = DisclosureMasker()

    // MARK: Examples, one rule at a time

    @Test("Mobiles in any written form become 138****8000")
    func mobiles() {
        let forms = [
            "13800138000", "138 0013 8000", "138-0013-8000", "+86 138 0013 8000", "+8613800138000", "8613800138000",
            "86-138-0013-8000", "0086 13800138000", "１３８００１３８０００", "１３８　００１３　８０００", "138－0013－8000",
        ]
        for form in forms {
            #expect(masker.mask("请拨打\(form)。") == "请拨打138****8000。", "\(form)")
        }
        #expect(masker.mask("tel13800138000abc") == "tel138****8000abc")
        #expect(masker.mask("13800138000") == "138****8000")
        #expect(masker.mask("（13900139000）") == "（139****9000）")
        #expect(masker.mask("13800138000 13900139000") == "138****8000 139****9000")
    }

    @Test("Landlines keep the area code and the last two digits")
    func landlines() {
        for form in ["010-69041234", "(010)69041234", "（010）6904 1234", "0106904 1234", "01069041234", "010 6904 1234",
                     "０１０－６９０４１２３４"] {
            #expect(masker.mask("座机\(form)，") == "座机010-******34，", "\(form)")
        }
        #expect(masker.mask("0311-8765432") == "0311-*****32")
        #expect(masker.mask("联系电话：69041234") == "联系电话：******34")
        #expect(masker.mask("电话是 6904 1234。") == "电话是 ******34。")
        #expect(masker.mask("Tel: 6904123") == "Tel: *****23")
        // Without a phone word a bare 8-digit number is not taken for a phone.
        #expect(masker.mask("编号69041234") == "编号69041234")
    }

    @Test("ID numbers keep the first and last four, check character right or wrong")
    func idNumbers() {
        #expect(masker.mask("身份证号11010519491231002X，") == "身份证号1101**********002X，")
        #expect(masker.mask("身份证号11010519491231002x") == "身份证号1101**********002X")
        #expect(masker.mask("110105194912310021") == "1101**********0021")  // wrong check character
        #expect(masker.mask("１１０１０５１９４９１２３１００２Ｘ") == "1101**********002X")
        #expect(masker.mask("110105 19491231 002X") == "1101**********002X")
        #expect(masker.mask("老身份证110105491231002") == "老身份证1101*******1002")
        // A bank card is a long number too.
        #expect(masker.mask("卡号6222021234567890123") == "卡号6222***********0123")
        // An ID next to a mobile: each is taken whole, the ID is not read as containing a phone.
        #expect(masker.mask("11013819491231002X 13800138000") == "1101**********002X 138****8000")
        // A run longer than any of these is left alone, not searched for a phone inside it.
        #expect(masker.mask("流水号202405031380013800012") == "流水号202405031380013800012")
    }

    @Test("E-mail addresses keep the first character of the local part and the domain")
    func emails() {
        #expect(masker.mask("邮箱zhangsan@qq.com。") == "邮箱z***@qq.com。")
        #expect(masker.mask("Email: Li.Si-88@mail.example.com.cn, thanks") == "Email: L***@mail.example.com.cn, thanks")
        #expect(masker.mask("13800138000@163.com") == "1***@163.com")
        #expect(masker.mask("wang_wu＠126.com") == "w***＠126.com")
        for unchanged in ["@所有人", "a@b", "价格@100元", "x@y.1"] {
            #expect(masker.mask(unchanged) == unchanged)
        }
    }

    @Test("Addresses are kept to the town; community and house numbers become ****")
    func addresses() {
        #expect(masker.mask("北京市密云区鼓楼街道滨河小区3号楼2单元501室") == "北京市密云区鼓楼街道****")
        #expect(masker.mask("家住密云镇李各庄村12号，") == "家住密云镇****，")
        #expect(masker.mask("果园西路5号院") == "****")
        #expect(masker.mask("我住在3号楼2单元501，") == "我住在****，")
        #expect(masker.mask("滨河小区12栋漏水") == "****漏水")
        #expect(masker.mask("地址：溪翁庄镇12号") == "地址：溪翁庄镇****")
        #expect(masker.mask("北京市密云区阳光家园3-2-501") == "北京市密云区****")
        #expect(masker.mask("不老屯镇燕落村12号反映") == "不老屯镇****反映")
        #expect(masker.mask("檀营地区二号楼三单元") == "檀营地区****")
        #expect(masker.mask("我是檀营地区二村的居民，住5排12号，") == "我是檀营地区二村的居民，住****，")
        #expect(masker.mask("楼上1202室漏水") == "楼上****漏水")
        #expect(masker.mask("在新城子镇政府3楼会议室，第3会议室") == "在新城子镇政府3楼会议室，第3会议室")
    }

    @Test("Known addresses are masked wherever they occur, whole or after the town")
    func knownAddresses() {
        let m = DisclosureMasker(knownAddresses: ["北京市密云区鼓楼街道滨河小区3号楼2单元501室"])
        #expect(m.mask("我家北京市密云区鼓楼街道滨河小区3号楼2单元501室漏水") == "我家北京市密云区鼓楼街道****漏水")
        #expect(m.mask("滨河小区3号楼2单元501室漏水") == "****漏水")
        let village = DisclosureMasker(knownAddresses: ["北庄镇朱家湾"])
        #expect(village.mask("北庄镇朱家湾的路") == "北庄镇****的路")
    }

    @Test("Known names are masked wherever they occur")
    func knownNames() {
        let m = DisclosureMasker(knownNames: ["张三丰", "李四", "欧阳娜娜", "王"])
        #expect(m.mask("张三丰反映，李四家门口") == "张**反映，李*家门口")
        #expect(m.mask("签名：欧阳娜娜") == "签名：欧***")
        // A one-character name is not masked everywhere (it would blank every 王 in the text).
        #expect(m.mask("王府井") == "王府井")
    }

    @Test("Names are found after cues and before titles; a surname with a title stays")
    func namesByContext() {
        let cases: [(String, String)] = [
            ("我叫王小明，住在城里", "我叫王**，住在城里"),
            ("我叫李伟在这里", "我叫李*在这里"),
            ("姓名：刘德华", "姓名：刘**"),
            ("联系人：陈静 13800138000", "联系人：陈* 138****8000"),
            ("感谢王明先生", "感谢王*先生"),
            ("社区王小明老师", "社区王**老师"),
            ("赵雅芝女士来电", "赵**女士来电"),
            ("本人李伟，男", "本人李*，男"),
            ("本人李建国住在", "本人李**住在"),
            ("王林先生", "王*先生"),
            ("欧阳修先生", "欧**先生"),
            ("欧阳娜娜女士", "欧***女士"),
        ]
        for (input, expected) in cases {
            #expect(masker.mask(input) == expected, "\(input)")
        }
        for unchanged in ["张先生您好", "谢谢李老师", "请王女士", "联系人张先生", "本人认为", "本人高度重视此事", "高中老师", "维修师傅",
                          "老王师傅", "我叫了救护车", "张某反映"] {
            #expect(masker.mask(unchanged) == unchanged, "\(unchanged)")
        }
    }

    @Test("Ordinary numbers in prose stay readable")
    func ordinaryNumbers() {
        for text in DisclosureMaskingTests.ordinaryPhrases {
            #expect(masker.mask(text) == text, "\(text)")
        }
    }

    @Test("The structured-field masks are unchanged by the free-text masker")
    func structuredMasksUnchanged() {
        #expect(Masking.phone("010-69041234") == "010-******34")
        #expect(Masking.idCard("11010519491231002X") == "110105********002X")
        #expect(Masking.address("北京市密云区鼓楼街道某小区3号楼") == "北京市密云区****")
    }

    @Test("Masking 10,000 characters is fast", .timeLimit(.minutes(1)))
    func speed() {
        var text = ""
        while text.count < 10_000 {
            text += "我叫王小明，电话138 0013 8000，住在鼓楼街道滨河小区3号楼2单元501室，邮箱wxm@qq.com，已经3个月了。"
            text += String(repeating: "1-", count: 40) + String(repeating: "1号", count: 20) + "。"
        }
        let m = DisclosureMasker(knownNames: ["王小明"], knownAddresses: ["鼓楼街道滨河小区3号楼2单元501室"])
        let clock = ContinuousClock()
        var out = ""
        let elapsed = clock.measure { out = m.mask(text) }
        #expect(!out.contains("0013"))
        #expect(elapsed < .seconds(2), "\(elapsed)")  // debug build, shared 2-core machine
        // Inputs built to make a scanner go quadratic: long chains, many cues, many @.
        for adversarial in [String(repeating: "138 ", count: 2500), String(repeating: "1号", count: 5000),
                            String(repeating: "村1号", count: 3300), String(repeating: "我叫王", count: 3300),
                            String(repeating: "王先生", count: 3300), String(repeating: "a", count: 9000) + String(repeating: "@", count: 1000),
                            String(repeating: "1", count: 10_000), String(repeating: "镇滨河小区", count: 2000) + "3号楼"] {
            let elapsed = clock.measure { _ = m.mask(adversarial) }
            #expect(elapsed < .seconds(2), "\(adversarial.prefix(8)): \(elapsed)")
        }
    }

    // MARK: Properties

    @Test("Generated personal data in many surroundings never comes out unmasked")
    func personalDataNeverLeaks() async {
        await propertyCheck(count: 1000, input: DisclosureMaskingTests.textWithSecrets) { sample in
            let masker = DisclosureMasker(knownNames: sample.knownNames)
            let output = masker.mask(sample.text)
            DisclosureMaskingTests.expectNoLeak(sample, output)
        }
    }

    @Test("Each kind of personal data alone, at the start, the end or inside text")
    func eachKindAlone() async {
        for kind in SecretKind.allCases {
            await propertyCheck(count: 200, input: DisclosureMaskingTests.singleSecret(kind)) { sample in
                let output = DisclosureMasker(knownNames: sample.knownNames).mask(sample.text)
                DisclosureMaskingTests.expectNoLeak(sample, output)
            }
        }
    }

    @Test("Text without personal data comes back unchanged")
    func ordinaryTextUnchanged() async {
        let text = Gen.int(in: 0..<DisclosureMaskingTests.ordinaryPhrases.count).array(of: 1...12)
            .map { picks in
                picks.enumerated().map { i, p in
                    DisclosureMaskingTests.ordinaryPhrases[p] + ["，", "。", "\n", "；", " ", "！"][(p + i) % 6]
                }.joined()
            }
        await propertyCheck(count: 500, input: text) { text in
            #expect(DisclosureMasker(knownNames: ["赵丽颖"], knownAddresses: ["密云镇阳光小区1号楼"]).mask(text) == text)
        }
    }

    @Test("The generators' pools do not overlap, so a leak check cannot be fooled by surroundings")
    func poolsAreDisjoint() {
        let given = Set(Pools.givenNameCharacters)
        let surroundings = Set((Pools.prefixes + Pools.suffixes + Pools.joiners + DisclosureMaskingTests.ordinaryPhrases
            + MiyunTowns.all + Pools.communitySuffixes + ["北京市密云区", "我叫", "姓名：", "联系人：", "本人", "先生", "女士", "老师"]).joined())
        let community = Set(Pools.communityCharacters)
        #expect(given.isDisjoint(with: surroundings))
        #expect(community.isDisjoint(with: surroundings))
        #expect(given.isDisjoint(with: community))
    }
}

// MARK: - Generators

enum SecretKind: CaseIterable, Sendable {
    case mobile, landline, localNumber, idNumber, email, knownName, contextName, address
}

/// One piece of personal data as written into a text, and what must not survive masking.
struct Secret: Sendable, CustomStringConvertible {
    var kind: SecretKind
    var written: String
    /// Digit strings (ASCII) that must not appear in the output once full-width digits are folded
    /// and spaces, dashes and parentheses are dropped.
    var forbiddenDigits: [String] = []
    /// Text that must not appear in the output as it stands.
    var forbiddenText: [String] = []
    /// Text that must still be there (the town of an address).
    var required: [String] = []
    var knownName: String?

    var description: String { "\(kind) \(written.debugDescription)" }
}

struct Sample: Sendable, CustomStringConvertible {
    var text: String
    var secrets: [Secret]
    var knownNames: [String] { secrets.compactMap(\.knownName) }
    var description: String { text.debugDescription + " " + secrets.map(\.description).joined(separator: "; ") }
}

enum Pools {
    static let surnames = Array("王李张刘陈杨黄赵吴周徐孙马朱胡郭林罗郑梁宋唐许韩冯邓曹彭曾")
    /// Given-name characters: none of them occurs in any surrounding text, so finding one in the
    /// output means a name leaked.
    static let givenNameCharacters = Array("伟芳娜敏静强磊艳杰娟涛超秀霞刚萍鹏辉玲燕丹婷琳")
    static let communityCharacters = Array("滨阳碧翠枫锦桃梧榆栗")
    static let communitySuffixes = ["小区", "家园", "花园", "村", "西路", "大街", "苑"]
    static let emailDomains = ["qq.com", "163.com", "126.com", "gmail.com", "bjmy.gov.cn", "sina.com.cn"]
    static let prefixes = ["", "反映", "关于", "，", "（", "“", "abc", "Hello ", "2024-05-03 ", "2024年5月3日", "。\n", "市民",
                           "问题：", "[", "已经3个月了，"]
    static let suffixes = ["", "。", "，谢谢", "）", "”", "xyz", " ok", " 2024年5月", "反映问题", "！", "\n", "、", "]", "的事"]
    static let joiners = ["，", "。", " ", "；", "\n", "、", "，还有"]
    static let areaCodes = ["010", "021", "022", "0311", "0512", "0755", "0898"]
    static let provinces = [11, 12, 13, 14, 21, 31, 32, 33, 37, 41, 44, 51, 61, 65]
}

extension DisclosureMaskingTests {
    static let ordinaryPhrases = [
        "市民反映", "小区路灯不亮", "已经3个月了", "2020年5月", "第2次来信", "收费100元", "拨打12345热线", "1个工作日内", "张先生",
        "请李女士", "谢谢王老师", "本人认为", "受理编号2026-0000123", "京政发〔2021〕5号", "5月12号3点", "地铁15号线", "3-5个工作日",
        "2024-05-03", "在区政府3楼", "涉及100户居民", "约2.5公里", "10:30", "第1期", "投入1200万元", "G101国道", "（一）",
        "Hello world", "OK", "高中老师", "维修师傅", "@所有人", "50%", "¥200", "1-2次", "12层楼高", "2023年共办理4500件",
        "回复如下", "经核实", "第5排座位", "第3会议室", "感谢您的来信", "3年前", "每月15日", "2个小区", "0.5米",
    ]

    /// Ordinary phrases to mix with personal data: those with 号 (`5月12号`) are left out, since
    /// `12号` is also what a leaked house number would look like.
    static let phrasesWithoutHouseUnits = ordinaryPhrases.filter { !$0.contains("号") }

    static func digits(_ rng: inout any SeededRandomNumberGenerator, _ n: Int) -> [Int] {
        (0..<n).map { _ in Int.random(in: 0...9, using: &rng) }
    }

    static func text(_ d: some Sequence<Int>) -> String { d.map(String.init).joined() }

    static func fullWidth(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.map { c in
            if ("0"..."9").contains(c) { return Unicode.Scalar(c.value - 0x30 + 0xFF10)! }
            if c == "-" { return "－" }
            if c == " " { return "\u{3000}" }
            if c == "X" { return "Ｘ" }
            return c
        }))
    }

    static func pick<T>(_ items: [T], _ rng: inout any SeededRandomNumberGenerator) -> T {
        items[Int.random(in: 0..<items.count, using: &rng)]
    }

    static func secret(_ kind: SecretKind, _ rng: inout any SeededRandomNumberGenerator) -> Secret {
        switch kind {
        case .mobile:
            let d = [1, Int.random(in: 3...9, using: &rng)] + digits(&rng, 9)
            let a = text(d[0..<3]), b = text(d[3..<7]), c = text(d[7..<11])
            var written = pick([a + b + c, "\(a) \(b) \(c)", "\(a)-\(b)-\(c)", "+86 \(a) \(b) \(c)", "+86\(a)\(b)\(c)",
                                "86\(a)\(b)\(c)", "86-\(a)-\(b)-\(c)", "0086 \(a)\(b)\(c)", "+86-\(a)-\(b)-\(c)"], &rng)
            if Bool.random(using: &rng) { written = fullWidth(written) }
            return Secret(kind: kind, written: written, forbiddenDigits: [text(d[1..<8]), text(d[3..<10])])
        case .landline:
            let area = pick(Pools.areaCodes, &rng)
            let length = area.count == 3 ? 8 : Int.random(in: 7...8, using: &rng)
            let sub = [Int.random(in: 2...9, using: &rng)] + digits(&rng, length - 1)
            let s = text(sub), head = text(sub[0..<4]), tail = text(sub[4...])
            var written = pick(["\(area)-\(s)", "(\(area))\(s)", "（\(area)）\(head) \(tail)", "\(area)\(s)", "\(area) \(head) \(tail)",
                                "\(area)-\(head) \(tail)", "(\(area)) \(s)"], &rng)
            if Bool.random(using: &rng) { written = fullWidth(written) }
            var forbidden = [area + text(sub.prefix(length - 2))]
            if length - 2 >= 6 { forbidden.append(text(sub.prefix(length - 2))) }
            return Secret(kind: kind, written: written, forbiddenDigits: forbidden)
        case .localNumber:
            let sub = [Int.random(in: 2...9, using: &rng)] + digits(&rng, 7)
            let cue = pick(["电话：", "联系电话:", "座机 ", "固话", "电话是", "Tel: ", "tel"], &rng)
            let number = Bool.random(using: &rng) ? text(sub) : text(sub[0..<4]) + pick([" ", "-"], &rng) + text(sub[4...])
            return Secret(kind: kind, written: cue + number, forbiddenDigits: [text(sub.prefix(6))])
        case .idNumber:
            let old = Int.random(in: 0..<6, using: &rng) == 0
            var d = String(pick(Pools.provinces, &rng)).compactMap { $0.wholeNumberValue } + digits(&rng, 4)
            let year = Int.random(in: 1930...2010, using: &rng)
            let date = String(format2(old ? year % 100 : year / 100) + (old ? "" : format2(year % 100)))
                + format2(Int.random(in: 1...12, using: &rng)) + format2(Int.random(in: 1...28, using: &rng))
            d += date.compactMap { $0.wholeNumberValue } + digits(&rng, 3)
            var written: String
            var all: [Int] = d
            if old {
                written = text(d)
            } else {
                let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
                let sum = zip(d, weights).reduce(0) { $0 + $1.0 * $1.1 }
                var check = Array("10X98765432")[sum % 11]
                if Int.random(in: 0..<4, using: &rng) == 0 { check = Character(String(Int.random(in: 0...9, using: &rng))) }  // mistyped
                let body = text(d)
                all = d + [check.wholeNumberValue ?? 0]
                let lower = check == "X" && Bool.random(using: &rng) ? "x" : String(check)
                written = pick([body + lower, "\(body.prefix(6)) \(body.dropFirst(6).prefix(8)) \(body.suffix(3))\(lower)"], &rng)
            }
            if Bool.random(using: &rng) { written = fullWidth(written) }
            return Secret(kind: kind, written: written, forbiddenDigits: [text(all[4..<11]), text(all[(all.count - 11)..<(all.count - 4)])])
        case .email:
            let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789")
            var local = String(pick(Array("abcdefghijklmnopqrstuvwxyz"), &rng))
            for _ in 0..<Int.random(in: 5...9, using: &rng) { local.append(pick(letters, &rng)) }
            if Bool.random(using: &rng) { local.insert(pick([".", "_", "-"], &rng), at: local.index(local.startIndex, offsetBy: 3)) }
            return Secret(kind: kind, written: local + "@" + pick(Pools.emailDomains, &rng), forbiddenText: [String(local.dropFirst())])
        case .knownName, .contextName:
            let surname = String(pick(Pools.surnames, &rng))
            let given = (0..<Int.random(in: 1...2, using: &rng)).map { _ in String(pick(Pools.givenNameCharacters, &rng)) }
            let name = surname + given.joined()
            if kind == .knownName {
                return Secret(kind: kind, written: name, forbiddenText: given, knownName: name)
            }
            let written = pick(["我叫\(name)", "姓名：\(name)", "联系人：\(name)", "联系人\(name)", "\(name)先生", "\(name)女士",
                                "\(name)老师", "本人\(name)，", "名叫\(name)"], &rng)
            return Secret(kind: kind, written: written, forbiddenText: given)
        case .address:
            let town = Bool.random(using: &rng) ? pick(MiyunTowns.all, &rng) : nil
            let community = String((0..<2).map { _ in pick(Pools.communityCharacters, &rng) }) + pick(Pools.communitySuffixes, &rng)
            let building = Int.random(in: 1...40, using: &rng), unit = Int.random(in: 1...8, using: &rng)
            let room = Int.random(in: 1...28, using: &rng) * 100 + Int.random(in: 1...4, using: &rng)
            let (numbers, tokens) = pick([
                ("\(building)号楼\(unit)单元\(room)室", ["\(building)号楼", "\(unit)单元", "\(room)室"]),
                ("\(building)号楼\(unit)单元\(room)", ["\(building)号楼", "\(unit)单元", "单元\(room)"]),
                ("\(building)栋\(room)", ["\(building)栋", "栋\(room)"]),
                ("\(building)号", ["\(building)号"]),
                ("\(building)号院", ["\(building)号院"]),
                ("\(building)-\(unit)-\(room)", ["\(building)-\(unit)-\(room)"]),
            ], &rng)
            let prefix = town.map { (Bool.random(using: &rng) ? "北京市密云区" : "") + $0 } ?? pick(["", "住在", "家住", "地址："], &rng)
            let communityChars = community.filter { Pools.communityCharacters.contains($0) }.map(String.init)
            return Secret(kind: kind, written: prefix + community + numbers, forbiddenText: tokens + communityChars,
                          required: town.map { [$0] } ?? [])
        }
    }

    static func format2(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    static func surround(_ secret: Secret, _ rng: inout any SeededRandomNumberGenerator) -> String {
        pick(Pools.prefixes, &rng) + secret.written + pick(Pools.suffixes, &rng)
    }

    static let textWithSecrets = Generator<Sample, Shrink.None<Sample>>(run: { rng in
        let secrets = (0..<Int.random(in: 1...5, using: &rng)).map { _ in secret(pick(SecretKind.allCases, &rng), &rng) }
        var text = ""
        for (i, s) in secrets.enumerated() {
            if i > 0 { text += pick(Pools.joiners, &rng) }
            if Bool.random(using: &rng) { text += pick(phrasesWithoutHouseUnits, &rng) + pick(Pools.joiners, &rng) }
            text += surround(s, &rng)
        }
        return Sample(text: text, secrets: secrets)
    })

    static func singleSecret(_ kind: SecretKind) -> Generator<Sample, Shrink.None<Sample>> {
        Generator(run: { rng in
            let s = secret(kind, &rng)
            let text = switch Int.random(in: 0..<4, using: &rng) {
            case 0: s.written
            case 1: s.written + pick(Pools.suffixes, &rng)
            case 2: pick(Pools.prefixes, &rng) + s.written
            default: surround(s, &rng)
            }
            return Sample(text: text, secrets: [s])
        })
    }

    /// Full-width digits folded to ASCII; spaces, dashes and parentheses dropped.
    static func folded(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.compactMap { c -> Unicode.Scalar? in
            if (0xFF10...0xFF19).contains(c.value) { return Unicode.Scalar(c.value - 0xFF10 + 0x30) }
            if " \u{3000}\u{A0}-－()（）".unicodeScalars.contains(c) { return nil }
            return c
        }))
    }

    static func expectNoLeak(_ sample: Sample, _ output: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let fold = folded(output)
        for secret in sample.secrets {
            for f in secret.forbiddenDigits {
                #expect(!fold.contains(f), "\(f) leaked from \(secret) in \(output.debugDescription)", sourceLocation: sourceLocation)
            }
            for f in secret.forbiddenText {
                #expect(!output.contains(f), "\(f) leaked from \(secret) in \(output.debugDescription)", sourceLocation: sourceLocation)
            }
            for r in secret.required {
                #expect(output.contains(r), "\(r) lost from \(secret) in \(output.debugDescription)", sourceLocation: sourceLocation)
            }
        }
    }
}
