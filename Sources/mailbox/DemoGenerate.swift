import ArgumentParser
import Foundation
import Logging
import MailboxCore
import MailboxStore
import NIOCore
import PostgresNIO

// `mailbox demo generate`: realistic letters with their histories, loaded by COPY in batches
// (docs/demo-data.md). Everything a letter holds is a function of (seed, index, --letters,
// --until, the departments), so a run is reproducible and batches can be written in any order.

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Demo data beyond the departments.", subcommands: [DemoGenerate.self])
}

struct DemoGenerate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Fill the database with realistic letters and their histories (docs/demo-data.md).")

    @OptionGroup var db: DatabaseOptions

    @Option(help: "How many letters to generate.") var letters: Int
    @Option(help: "Random seed: the same seed, --letters and --until give the same letters.") var seed: UInt64 = 1
    @Option(help: "Letters per COPY batch (each batch is one transaction).") var batch: Int = 10000
    @Option(help: "Batches written at once, on as many connections.") var jobs: Int = 2
    @Option(help: "The end of the period, RFC 3339 (default: now). Letters are received in the 3 years before it.")
    var until: String?
    @Option(help: "Length of the period in years.") var years: Double = 3
    @Flag(name: .customLong("hash-in-database"),
          help: "Let the letter_events trigger compute the hash chain (slower; the default computes it here and loads with the trigger off, which needs superuser).")
    var hashInDatabase = false
    @Flag(name: .customLong("verify-all"), help: "After loading, recompute every generated event's hash in SQL (the first batch is always checked).")
    var verifyAll = false

    func validate() throws {
        guard letters > 0 else { throw ValidationError("--letters must be positive") }
        guard batch > 0, jobs > 0 else { throw ValidationError("--batch and --jobs must be positive") }
        guard years > 0, years <= 6 else { throw ValidationError("--years must be in (0, 6]") }
        if let until, MailboxJSON.parseTimestamp(until) == nil { throw ValidationError("--until is not an RFC 3339 time") }
    }

    func run() async throws {
        let logger = db.makeLogger()
        let (url, embedded) = try db.database(logger: logger)
        defer { embedded?.stop() }
        let untilDate = until.flatMap(MailboxJSON.parseTimestamp) ?? Date()
        let options = DemoOptions(letters: letters, seed: seed, batch: batch, jobs: jobs, until: untilDate, years: years,
                                  hashInDatabase: hashInDatabase, verifyAll: verifyAll)
        let client = PostgresClient(
            configuration: url.clientConfiguration(statementTimeout: .seconds(3600), maxConnections: jobs + 1),
            backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await checkReachable(client, url: url, logger: logger)
            try await DemoRun(client: client, logger: logger, options: options).run()
        }
    }
}

struct DemoOptions: Sendable {
    var letters: Int
    var seed: UInt64
    var batch: Int
    var jobs: Int
    var until: Date
    var years: Double
    var hashInDatabase: Bool
    var verifyAll: Bool
}

// MARK: - Randomness

/// SplitMix64: small, fast, and good enough for demo data; one stream per (seed, purpose, index).
struct DemoRNG {
    var generator: SplitMix64

    init(seed: UInt64, stream: UInt64, index: Int) {
        generator = SplitMix64(seed: SplitMix64.mix(seed &+ SplitMix64.mix(stream &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(bitPattern: Int64(index)))))
    }

    mutating func next() -> UInt64 { generator.next() }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(1, n))) }
    mutating func between(_ a: Int64, _ b: Int64) -> Int64 { a + Int64(next() % UInt64(max(1, b - a + 1))) }
    mutating func chance(_ p: Double) -> Bool { unit() < p }
    mutating func pick<T>(_ a: [T]) -> T { a[below(a.count)] }

    /// An index into `cumulative` (running sums of weights).
    mutating func weighted(_ cumulative: [Double]) -> Int {
        let x = unit() * cumulative[cumulative.count - 1]
        var lo = 0, hi = cumulative.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cumulative[mid] > x { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    mutating func bytes(_ n: Int) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(n)
        while out.count < n {
            var v = next()
            for _ in 0..<8 where out.count < n {
                out.append(UInt8(truncatingIfNeeded: v))
                v >>= 8
            }
        }
        return out
    }
}

/// Microseconds since 1970 (whole milliseconds) and back.
func demoDate(_ micros: Int64) -> Date { Date(timeIntervalSince1970: Double(micros / 1000) / 1000) }
func demoMicros(_ d: Date) -> Int64 { Int64((d.timeIntervalSince1970 * 1000).rounded()) * 1000 }

/// Zero-padded decimal (String(format:) is slow on Linux).
func pad(_ v: Int, _ width: Int) -> String {
    let s = String(v)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}

func cumulativeSums(_ weights: [Double]) -> [Double] {
    var total = 0.0
    return weights.map { total += $0; return total }
}

// MARK: - The model

/// What the generator needs from the database, read once at start.
struct DemoWorld: Sendable {
    struct Department: Sendable {
        var id: String
        var name: String
        var kind: String
    }

    var departments: [Department]
    var byID: [String: Int]
    /// Indexes into `departments` of the 镇街.
    var towns: [Int]
    var townWeights: [Double]
    var calendar: WorkCalendar?
    var policies: [SLAPolicy]
    /// The tracking-number and id blocks reserved for this run.
    var trackingBase: Int64
    var idBase: Int64
    var nowMicros: Int64
    var startMicros: Int64
    /// Cumulative weights of the hours from `startMicros`, for the receipt times.
    var hourCDF: [Double]
    var options: DemoOptions

    static let categoryCDF = cumulativeSums([35, 25, 20, 15, 5])
    static let categories: [LetterCategory] = [.consultation, .complaint, .help, .suggestion, .report]
    static let channelCDF = cumulativeSums([45, 50, 5])
    static let channels: [LetterChannel] = [.portal, .app, .staff]
    static let topicCDFSummer = cumulativeSums(DemoContent.topics.map { $0.winter ? $0.weight * 0.25 : $0.weight })
    static let topicCDFWinter = cumulativeSums(DemoContent.topics.map { $0.winter ? $0.weight * 3 : $0.weight })
    static let dispatchers = (1...6).map { "user:disp0\($0)" }
    static let microsPerHour: Int64 = 3_600_000_000
    static let beijingOffset: Int64 = 8 * 3_600_000_000

    var citizenPool: Int { max(1, options.letters * 6 / 10) }

    func department(_ id: String) -> Department? { byID[id].map { departments[$0] } }

    /// Receipt weight of the hour starting at `micros` (UTC): office hours on working days weigh most.
    static func hourWeight(micros: Int64, calendar: WorkCalendar?, progress: Double) -> Double {
        let local = micros + beijingOffset
        let day = Int(local >= 0 ? local / 86_400_000_000 : (local - 86_399_999_999) / 86_400_000_000)
        let hour = Int((local - Int64(day) * 86_400_000_000) / microsPerHour)
        let date = LocalDate(dayNumber: day)
        let working = calendar?.isWorkingDay(date) ?? !date.isWeekend
        let w: Double
        switch hour {
        case 9..<17: w = working ? 10 : 2.5
        case 7..<9, 17..<22: w = working ? 3.5 : 2
        case 22..<24, 6..<7: w = 0.8
        default: w = 0.25
        }
        // More letters as the app spread (宜居密云), and a winter peak.
        let month = date.month
        let season = (month >= 11 || month <= 2) ? 1.15 : 1.0
        return w * season * (0.75 + 0.5 * progress)
    }

    /// The receipt time of letter `i` (monotone in `i`), in microseconds, whole milliseconds.
    func receivedMicros(_ i: Int) -> Int64 {
        var rng = DemoRNG(seed: options.seed, stream: 0, index: i)
        let u = (Double(i) + rng.unit()) / Double(options.letters) * hourCDF[hourCDF.count - 1]
        var lo = 0, hi = hourCDF.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if hourCDF[mid] > u { hi = mid } else { lo = mid + 1 }
        }
        let before = lo == 0 ? 0 : hourCDF[lo - 1]
        let frac = min(0.999_999, max(0, (u - before) / max(1e-12, hourCDF[lo] - before)))
        let micros = startMicros + Int64(lo) * DemoWorld.microsPerHour + Int64(frac * Double(DemoWorld.microsPerHour))
        return min(nowMicros, micros / 1000 * 1000)
    }

    /// What a letter is about, drawn from its own stream so that a merged letter can repeat another's.
    struct Head {
        var citizen: Int
        var category: LetterCategory
        var topic: Int
        var item: Int
        var titleForm: Int
        var townChoice: UInt64
    }

    func head(_ i: Int, receivedMicros: Int64) -> Head {
        var rng = DemoRNG(seed: options.seed, stream: 1, index: i)
        let citizen = rng.below(citizenPool)
        let category = DemoWorld.categories[rng.weighted(DemoWorld.categoryCDF)]
        let month = LocalDate(dayNumber: Int((receivedMicros + DemoWorld.beijingOffset) / 86_400_000_000)).month
        let winter = month >= 11 || month <= 3
        let topic = rng.weighted(winter ? DemoWorld.topicCDFWinter : DemoWorld.topicCDFSummer)
        return Head(citizen: citizen, category: category, topic: topic, item: Int(rng.next() >> 1),
                    titleForm: Int(rng.next() >> 1), townChoice: rng.next())
    }

    struct Citizen {
        var name: String
        var phone: String
        var idCard: String?
        var town: Int?
        var place: String
        var address: String?
    }

    func citizen(_ c: Int) -> Citizen {
        var rng = DemoRNG(seed: options.seed, stream: 9, index: c)
        var name = rng.pick(DemoContent.surnames) + rng.pick(DemoContent.givenChars)
        if rng.chance(0.7) { name += rng.pick(DemoContent.givenChars) }
        var phone = rng.pick(DemoContent.mobilePrefixes)
        phone += pad(rng.below(100_000_000), 8)
        var idCard: String?
        if rng.chance(0.35) {
            let region = rng.chance(0.5) ? "110228" : "110118"
            let birth = LocalDate(dayNumber: rng.below(20_000) - 7300)  // 1950 … 2004
            let (y, m, d) = birth.components
            let body = region + pad(y, 4) + pad(m, 2) + pad(d, 2) + pad(rng.below(1000), 3)
            let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
            let sum = zip(body.utf8, weights).reduce(0) { $0 + Int($1.0 - 48) * $1.1 }
            idCard = body + String(Array("10X98765432")[sum % 11])
        }
        var town: Int?
        var place = ""
        if !towns.isEmpty {
            let t = towns[rng.weighted(townWeights)]
            town = t
            let urban = departments[t].name.hasSuffix("街道")
            place = urban || rng.chance(0.2) ? rng.pick(DemoContent.compounds) : rng.pick(DemoContent.villages)
        } else {
            place = rng.pick(DemoContent.compounds)
        }
        var address: String?
        if rng.chance(0.7) {
            let townName = town.map { departments[$0].name } ?? ""
            address = place.hasSuffix("村")
                ? "北京市密云区\(townName)\(place)\(rng.below(300) + 1)号"
                : "北京市密云区\(townName)\(place)\(rng.below(40) + 1)号楼\(rng.below(6) + 1)单元\(rng.below(18) + 1)0\(rng.below(4) + 1)"
        }
        return Citizen(name: name, phone: phone, idCard: idCard, town: town, place: place, address: address)
    }

    func trackingNo(_ i: Int, receivedMicros: Int64) -> String {
        let year = LocalDate(dayNumber: Int((receivedMicros + DemoWorld.beijingOffset) / 86_400_000_000)).year
        return TrackingNumber.format(year: year, serial: trackingBase + Int64(i))
    }

    func policy(_ category: LetterCategory, _ channel: LetterChannel) -> SLAPolicy {
        SLAPolicy.select(from: policies, category: category, departmentID: nil, channel: channel)
            ?? SLAPolicy.select(from: SLAPolicy.defaults, category: category, departmentID: nil, channel: channel)!
    }
}

// MARK: - One letter

/// A jsonb value as PostgreSQL prints it (`data::text`): keys by length, then bytes; ", " and ": ".
struct JSONB {
    var fields: [(String, String)] = []
    var arrays: [(String, [String])] = []

    init(_ fields: [(String, String)]) { self.fields = fields }

    var text: String {
        var all: [(key: String, value: String)] = fields.map { ($0.0, MailboxJSON.quoted($0.1)) }
        all += arrays.map { ($0.0, "[" + $0.1.map(MailboxJSON.quoted).joined(separator: ", ") + "]") }
        all.sort { a, b in
            let x = Array(a.key.utf8), y = Array(b.key.utf8)
            return x.count != y.count ? x.count < y.count : x.lexicographicallyPrecedes(y)
        }
        return "{" + all.map { MailboxJSON.quoted($0.key) + ": " + $0.value }.joined(separator: ", ") + "}"
    }
}

struct DemoEvent {
    var kind: String
    var at: Int64
    var actor: String
    var role: String?
    var isPublic: Bool
    var data: String
}

/// The counts the summary prints.
struct DemoTally: Sendable {
    var letters = 0
    var events = 0
    var byStatus: [String: Int] = [:]
    var overdue = 0
    var paused = 0
    var extended = 0
    var returned = 0
    var supervised = 0
    var merged = 0

    mutating func add(_ o: DemoTally) {
        letters += o.letters
        events += o.events
        for (k, v) in o.byStatus { byStatus[k, default: 0] += v }
        overdue += o.overdue
        paused += o.paused
        extended += o.extended
        returned += o.returned
        supervised += o.supervised
        merged += o.merged
    }
}

/// Writes the COPY text of one batch: letters and their events.
struct DemoBatchWriter {
    let world: DemoWorld
    let range: Range<Int>
    var letters = ByteBuffer()
    var events = ByteBuffer()
    var tally = DemoTally()
    /// The settled letters' report contributions (docs/metrics.md, §13), written in the batch's transaction when
    /// it runs without triggers.
    var rollup = ReportRollups.Batch()
    let computeHashes: Bool

    init(world: DemoWorld, range: Range<Int>, computeHashes: Bool) {
        self.world = world
        self.range = range
        self.computeHashes = computeHashes
        letters.reserveCapacity(range.count * 1400)
        events.reserveCapacity(range.count * 7 * 330)
    }

    static let letterColumns = [
        "id", "tracking_no", "channel", "channel_ref", "intake_digest", "category", "title", "body", "writer_name",
        "phone", "id_card", "address", "town", "publish_consent", "citizen_key", "query_code_hash", "status",
        "department_id", "received_at", "sla_clock", "sla_state", "due_at", "warn_at", "closed_at", "reply",
        "elapsed_business_seconds", "deadline_met", "version", "created_at", "updated_at", "cohandlers", "departments",
        "supervised", "merged_into", "pending_extension", "release_round",
    ]
    static let eventColumns = [
        "letter_id", "version", "kind", "occurred_at", "actor", "actor_role", "public", "data", "recorded_at", "prev_hash", "hash",
    ]

    mutating func writeAll() {
        for i in range { writeLetter(i) }
    }

    // MARK: time

    /// `t` plus `seconds` of business time (office hours of working days), plus up to a minute.
    func afterBusiness(_ t: Int64, _ seconds: Int64, _ rng: inout DemoRNG) -> Int64 {
        var next: Int64
        if let cal = world.calendar, let pos = try? cal.businessPosition(of: demoDate(t)),
            let d = try? cal.instant(atBusinessPosition: pos + seconds)
        {
            next = Int64((d.timeIntervalSince1970 * 1000).rounded()) * 1000
        } else {
            next = t + seconds * 3_430_000  // 24 h / 7 h per working day
        }
        next += rng.between(1, 59_999) * 1000
        return max(next, t + 1_000_000)
    }

    // MARK: the letter

    mutating func writeLetter(_ i: Int) {
        let w = world
        let id = w.idBase + Int64(i)
        let received = w.receivedMicros(i)
        var rng = DemoRNG(seed: w.options.seed, stream: 2, index: i)
        let channel = DemoWorld.channels[rng.weighted(DemoWorld.channelCDF)]

        // The path through the life cycle.
        let roll = rng.unit()
        var mergeTarget: Int?
        if roll < 0.025, i > range.lowerBound {
            mergeTarget = i - 1 - rng.below(min(300, i - range.lowerBound))
        }
        let rejected = mergeTarget == nil && roll >= 0.025 && roll < 0.055

        var head = w.head(i, receivedMicros: received)
        if let j = mergeTarget {
            // 重复来信: the same citizen about the same thing.
            let other = w.head(j, receivedMicros: w.receivedMicros(j))
            head.citizen = other.citizen
            head.category = other.category
            head.topic = other.topic
            head.item = other.item
            head.titleForm = other.titleForm
        }
        let citizen = w.citizen(head.citizen)
        let topic = DemoContent.topics[head.topic]
        let townIndex: Int? = (head.townChoice % 100 < 85 || w.towns.isEmpty)
            ? citizen.town : w.towns[Int(head.townChoice % UInt64(w.towns.count))]
        let townName = townIndex.map { w.departments[$0].name } ?? "密云"
        let place = citizen.place
        let greet = rng.pick(DemoContent.greetings)

        var title: String
        var body: String
        switch head.category {
        case .consultation:
            let q = topic.questions[head.item % topic.questions.count]
            title = ["关于\(q.title)的咨询", "咨询\(q.title)", "请问\(q.title)相关问题", q.title][head.titleForm % 4]
            body = "\(greet)我是\(townName)\(place)的居民，\(q.detail)\(rng.pick(DemoContent.asks))"
        case .complaint:
            let p = topic.issues[head.item % topic.issues.count]
            title = ["投诉\(p.title)", "关于\(townName)\(place)\(p.title)的投诉", "\(townName)\(place)\(p.title)问题",
                     "\(p.title)问题长期得不到解决"][head.titleForm % 4]
            body = "\(greet)我住在\(townName)\(place)，\(p.detail)。\(rng.pick(DemoContent.durations))\(rng.pick(DemoContent.tried))\(rng.pick(DemoContent.demands))"
        case .help:
            let p = topic.issues[head.item % topic.issues.count]
            title = ["求助：\(p.title)", "恳请帮助解决\(p.title)问题", "\(place)\(p.title)求助"][head.titleForm % 3]
            body = "\(greet)我是\(townName)\(place)的\(rng.pick(DemoContent.who))，\(p.detail)。\(rng.pick(DemoContent.hardship))\(rng.pick(DemoContent.pleads))"
        case .suggestion:
            let s = topic.suggestions[head.item % topic.suggestions.count]
            title = ["建议\(s.title)", "关于\(s.title)的建议"][head.titleForm % 2]
            body = "\(greet)\(s.detail)。\(rng.pick(DemoContent.suggestionCloses))"
        case .report:
            let r = topic.reports[head.item % topic.reports.count]
            title = ["举报\(r.title)", "实名举报\(r.title)", "关于\(r.title)的举报"][head.titleForm % 3]
            body = "\(r.detail)，地点在\(townName)\(place)附近。\(rng.pick(DemoContent.reportCloses))"
        }
        if mergeTarget != nil {
            body = "再次反映：" + body
        }

        // Owner: the topic's bureau, or the 镇街 for local matters, now and then anyone.
        func ownerFor(_ rng: inout DemoRNG) -> String {
            let x = rng.unit()
            if x < 0.04 || w.departments.count < 2 { return w.departments[rng.below(w.departments.count)].id }
            if x < 0.38, let t = townIndex { return w.departments[t].id }
            let candidates = topic.departments.filter { w.byID[$0] != nil }
            return candidates.isEmpty ? w.departments[rng.below(w.departments.count)].id : rng.pick(candidates)
        }
        func otherThan(_ ids: [String], _ rng: inout DemoRNG) -> String {
            for _ in 0..<8 {
                let d = w.departments[rng.below(w.departments.count)].id
                if !ids.contains(d) { return d }
            }
            return w.departments.first { !ids.contains($0.id) }?.id ?? ids[0]
        }

        // The history, cut at `now`.
        var evs: [DemoEvent] = []
        var status = "received"
        var owner: String?
        var departments: [String] = []
        var cohandlers: [String] = []
        var supervised = false
        var pauses: [SLAPause] = []
        var extensions: [SLAExtension] = []
        var closedAt: Int64?
        var stoppedAt: Int64?
        var reply: String?
        var didReturn = false
        /// 延期申请 in flight: letters.pending_extension (PendingExtension's JSON).
        var pendingExtension: String?
        let now = w.nowMicros

        func emit(_ kind: String, _ at: Int64, _ actor: String, _ role: String?, public isPublicFallback: Bool,
                  to: String, _ extra: [(String, String)] = [], arrays: [(String, [String])] = []) -> Bool {
            guard at <= now else { return false }
            // As intake writes it: {"category", "channel"}; transitions: {"from", "to", …} (LetterWorkflow).
            var data = JSONB(kind == "received" ? extra : [("from", status), ("to", to)] + extra)
            data.arrays = arrays
            let isPublic = LetterEventKind(rawValue: kind)?.isPublic ?? isPublicFallback
            evs.append(DemoEvent(kind: kind, at: at, actor: actor, role: role, isPublic: isPublic, data: data.text))
            status = to
            return true
        }
        func handler(_ d: String) -> String { "user:handler-\(d)" }

        let receivedActor: (String, String?) = switch channel {
        case .portal: ("citizen:portal", nil)
        case .app: ("app", nil)
        case .staff: (rng.pick(DemoWorld.dispatchers), "dispatcher")
        }
        _ = emit("received", received, receivedActor.0, receivedActor.1, public: true, to: "received",
                 [("channel", channel.rawValue), ("category", head.category.rawValue)])
        let dispatcher = rng.pick(DemoWorld.dispatchers)
        let policy = w.policy(head.category, channel)
        let d = Int64(w.calendar?.secondsPerWorkingDay ?? 25200)
        // Staff steps take a share of the time limit (a 1-day 咨询 moves faster than a 15-day 举报).
        let limitSeconds = Double(Int64(policy.limitWorkingDays) * d)
        func step(_ lo: Int64, _ share: Double, _ rng: inout DemoRNG) -> Int64 {
            rng.between(lo, max(lo * 2, Int64(share * limitSeconds)))
        }
        var t = received

        lifecycle: do {
            if let j = mergeTarget {
                t = afterBusiness(t, step(600, 0.3, &rng), &rng)
                let into = w.trackingNo(j, receivedMicros: w.receivedMicros(j))
                if emit("merged", t, dispatcher, "dispatcher", public: true, to: "merged", [("into", into)]) {
                    stoppedAt = t
                }
                break lifecycle
            }
            if rejected {
                t = afterBusiness(t, step(600, 0.3, &rng), &rng)
                if emit("rejected", t, dispatcher, "dispatcher", public: true, to: "rejected",
                        [("reason", rng.pick(DemoContent.rejectReasons))]) {
                    stoppedAt = t
                }
                break lifecycle
            }
            t = afterBusiness(t, step(300, 0.1, &rng), &rng)
            guard emit("accepted", t, dispatcher, "dispatcher", public: true, to: "accepted") else { break lifecycle }

            let finalOwner = ownerFor(&rng)
            if rng.chance(0.05) {
                // 退回: routed to the wrong unit, which sends it back.
                let wrong = otherThan([finalOwner], &rng)
                t = afterBusiness(t, step(300, 0.06, &rng), &rng)
                guard emit("routed", t, dispatcher, "dispatcher", public: true, to: "assigned", [("department_id", wrong)])
                else { break lifecycle }
                owner = wrong
                departments.append(wrong)
                t = afterBusiness(t, step(900, 0.12, &rng), &rng)
                guard emit("returned", t, handler(wrong), "handler", public: false, to: "accepted",
                           [("from_department_id", wrong), ("reason", rng.pick(DemoContent.returnReasons))])
                else { break lifecycle }
                owner = nil
                didReturn = true
            }
            var co: [String] = []
            if rng.chance(0.06) {
                co.append(otherThan([finalOwner], &rng))
                if rng.chance(0.3) { co.append(otherThan([finalOwner] + co, &rng)) }
            }
            t = afterBusiness(t, step(300, 0.06, &rng), &rng)
            guard emit("routed", t, dispatcher, "dispatcher", public: true, to: "assigned",
                       [("department_id", finalOwner)] + (co.isEmpty ? [] : [("cohandlers", co.joined(separator: ","))]))
            else { break lifecycle }
            owner = finalOwner
            for x in [finalOwner] + co where !departments.contains(x) { departments.append(x) }
            cohandlers = co

            t = afterBusiness(t, step(600, 0.1, &rng), &rng)
            guard emit("signed", t, handler(finalOwner), "handler", public: true, to: "signed") else { break lifecycle }
            t = afterBusiness(t, step(60, 0.05, &rng), &rng)
            guard emit("started", t, handler(finalOwner), "handler", public: false, to: "processing") else { break lifecycle }
            var current = finalOwner

            if rng.chance(0.03) {
                // 转办: the centre moves the letter to another unit.
                let next = otherThan([current] + co, &rng)
                t = afterBusiness(t, step(900, 0.15, &rng), &rng)
                guard emit("transferred", t, dispatcher, "dispatcher", public: true, to: "assigned",
                           [("from_department_id", current), ("department_id", next),
                            ("reason", rng.pick(DemoContent.transferReasons))])
                else { break lifecycle }
                owner = next
                if !departments.contains(next) { departments.append(next) }
                current = next
                t = afterBusiness(t, step(600, 0.08, &rng), &rng)
                guard emit("signed", t, handler(current), "handler", public: true, to: "signed") else { break lifecycle }
                t = afterBusiness(t, step(60, 0.05, &rng), &rng)
                guard emit("started", t, handler(current), "handler", public: false, to: "processing") else { break lifecycle }
            }
            if rng.chance(0.04) {
                t = afterBusiness(t, step(900, 0.2, &rng), &rng)
                guard emit("supervised", t, rng.pick(DemoWorld.dispatchers), "dispatcher", public: false, to: status,
                           [("note", rng.pick(DemoContent.supervisionNotes))])
                else { break lifecycle }
                supervised = true
            }
            var pausedSeconds: Int64 = 0
            if rng.chance(0.08) {
                t = afterBusiness(t, step(900, 0.15, &rng), &rng)
                guard emit("sla_paused", t, handler(current), "handler", public: true, to: "awaiting_citizen",
                           [("reason", rng.pick(DemoContent.pauseReasons))])
                else { break lifecycle }
                pauses.append(SLAPause(start: demoDate(t)))
                let wait = rng.chance(0.1) ? rng.between(d * 10, d * 40) : rng.between(d / 2, d * 6)
                pausedSeconds = wait
                t = afterBusiness(t, wait, &rng)
                guard emit("sla_resumed", t, handler(current), "handler", public: true, to: "processing") else { break lifecycle }
                pauses[pauses.count - 1].end = demoDate(t)
            }
            var extensionDays = 0
            if rng.chance(0.05) {
                extensionDays = [3, 5, 5, 10, 15][rng.below(5)]
                let reason = rng.pick(DemoContent.extensionReasons)
                t = afterBusiness(t, step(900, 0.3, &rng), &rng)
                guard emit("extension_requested", t, handler(current), "handler", public: false, to: status,
                           [("working_days", "\(extensionDays)"), ("reason", reason)])
                else { break lifecycle }
                func pending(_ stage: String) -> String {
                    "{\"reason\":\(MailboxJSON.quoted(reason)),\"requested_at\":\"\(MailboxJSON.formatTimestamp(demoDate(t)))\","
                        + "\"requested_by\":\"handler-\(current)\",\"stage\":\"\(stage)\",\"working_days\":\(extensionDays)}"
                }
                pendingExtension = pending("lead")
                t = afterBusiness(t, step(600, 0.05, &rng), &rng)
                guard emit("extension_endorsed", t, "user:lead-\(current)", "lead", public: false, to: status,
                           [("working_days", "\(extensionDays)"), ("stage", "lead")])
                else { break lifecycle }
                pendingExtension = pendingExtension?.replacingOccurrences(of: "\"stage\":\"lead\"", with: "\"stage\":\"dispatcher\"")
                t = afterBusiness(t, step(600, 0.05, &rng), &rng)
                guard emit("sla_extended", t, rng.pick(DemoWorld.dispatchers), "dispatcher", public: true, to: status,
                           [("working_days", "\(extensionDays)"), ("stage", "dispatcher"), ("reason", reason)])
                else { break lifecycle }
                pendingExtension = nil
                extensions.append(SLAExtension(workingDays: extensionDays, approvedAt: demoDate(t), reason: reason))
            }

            // 办结: most within the limit, some late, a few stuck for long.
            let x = rng.unit()
            let f: Double = x < 0.85 ? 0.15 + rng.unit() * 0.8 : x < 0.96 ? 0.95 + rng.unit() * 0.9
                : x < 0.998 ? 2 + rng.unit() * 6 : 1e6
            guard f < 1e5 else { break lifecycle }
            let budget = Int64(f * Double(Int64(policy.limitWorkingDays) * d)) + pausedSeconds + Int64(extensionDays) * d
            let target = afterBusiness(received, budget, &rng)
            t = max(afterBusiness(t, step(600, 0.05, &rng), &rng), target)
            let dept = w.department(current)?.name ?? "承办单位"
            let detail = rng.pick(topic.replies)
            let text = head.category == .consultation
                ? "您好！关于您咨询的问题，\(dept)答复如下：\(detail)。如有其他疑问，可拨打12345热线。"
                : head.category == .suggestion
                ? "您好！感谢您提出的宝贵建议。经\(dept)研究，\(detail)。感谢您对密云区工作的关心和支持！"
                : "您好！您反映的问题已收悉。经\(dept)核实办理，\(detail)。感谢您对密云区工作的关心和支持！"
            guard emit("closed", t, handler(current), "handler", public: true, to: "closed") else { break lifecycle }
            closedAt = t
            reply = text
        }

        // The SLA clock as the service would hold it.
        var clock = SLAClock(receivedAt: demoDate(received), rule: policy.rule, limitWorkingDays: policy.limitWorkingDays,
                             warningRatio: policy.warningRatio, pauses: pauses, extensions: extensions,
                             closedAt: (closedAt ?? stoppedAt).map(demoDate))
        if let last = clock.pauses.last, last.end == nil, clock.closedAt != nil {
            clock.pauses[clock.pauses.count - 1].end = clock.closedAt
        }
        var sla = SLAColumns.evaluate(clock, on: w.calendar, now: demoDate(now))
        if stoppedAt != nil {
            sla.deadlineMet = nil
        }

        // COPY rows.
        let trackingNo = w.trackingNo(i, receivedMicros: received)
        let phoneDigits = citizen.phone
        let citizenKey = DemoLetterWriter.sha256Hex(Identity.citizenIdentity(phone: phoneDigits))
        let queryCodeHash = DemoLetterWriter.hex(rng.bytes(32))
        let lastAt = evs.last?.at ?? received
        var row = CopyRow(buffer: letters)
        letters = ByteBuffer()  // the row now holds the only reference: no copy on write
        row.plain(String(id))
        row.plain(trackingNo)
        row.plain(channel.rawValue)
        if channel == .app {
            row.plain("YJMY-\(id)")
            row.plain("\\\\x" + DemoLetterWriter.hex(rng.bytes(32)))
        } else {
            row.null()
            row.null()
        }
        row.plain(head.category.rawValue)
        row.text(title)
        row.text(body)
        row.text(citizen.name)
        row.plain(citizen.phone)
        row.optional(citizen.idCard)
        row.optionalText(citizen.address)
        row.optionalText(townIndex.map { w.departments[$0].name })
        row.plain(rng.chance(0.4) ? "t" : "f")
        row.plain(citizenKey)
        row.plain("\\\\x" + queryCodeHash)
        row.plain(status)
        row.optional(owner)
        row.plain(DemoLetterWriter.copyTimestamp(received))
        row.optionalText(sla.clockJSON)
        row.plain(sla.state.rawValue)
        row.optional(sla.dueAt.map(demoMicros).map(DemoLetterWriter.copyTimestamp))
        row.optional(sla.warnAt.map(demoMicros).map(DemoLetterWriter.copyTimestamp))
        row.optional(closedAt.map(DemoLetterWriter.copyTimestamp))
        row.optionalText(reply)
        row.optional(sla.elapsedBusinessSeconds.map { String($0) })
        row.optional(sla.deadlineMet.map { $0 ? "t" : "f" })
        row.plain(String(evs.count))
        row.plain(DemoLetterWriter.copyTimestamp(received))
        row.plain(DemoLetterWriter.copyTimestamp(lastAt))
        row.plain(status == "received" || status == "accepted" ? "{}" : "{" + cohandlers.joined(separator: ",") + "}")
        row.plain("{" + departments.joined(separator: ",") + "}")
        row.plain(supervised ? "t" : "f")
        row.optional(mergeTarget.map { String(w.idBase + Int64($0)) })
        row.optionalText(pendingExtension)
        row.plain(reply == nil ? "0" : "1")
        row.end()
        letters = row.buffer

        var ev = CopyRow(buffer: events)
        events = ByteBuffer()
        var prev = DemoLetterWriter.zeroHash
        for (k, e) in evs.enumerated() {
            ev.plain(String(id))
            ev.plain(String(k + 1))
            ev.plain(e.kind)
            ev.plain(DemoLetterWriter.copyTimestamp(e.at))
            ev.plain(e.actor)
            ev.optional(e.role)
            ev.plain(e.isPublic ? "t" : "f")
            ev.text(e.data)
            ev.plain(DemoLetterWriter.copyTimestamp(e.at))
            if computeHashes {
                let hash = DemoLetterWriter.eventHash(
                    prev: prev, letterID: id, version: k + 1, kind: e.kind, occurredAtMicros: e.at, actor: e.actor,
                    actorRole: e.role, isPublic: e.isPublic, dataText: e.data)
                ev.plain("\\\\x" + DemoLetterWriter.hex(prev))
                ev.plain("\\\\x" + DemoLetterWriter.hex(hash))
                prev = hash
            } else {
                ev.null()
                ev.null()
            }
            ev.end()
        }
        events = ev.buffer

        if computeHashes, let cal = w.calendar, let st = LetterStatus(rawValue: status) {
            // The letter exactly as the report columns will read it back.
            rollup.count(id: id, letter: ReportLetter(
                receivedAt: demoDate(received), category: head.category, channel: channel, departmentID: owner,
                town: townIndex.map { w.departments[$0].name }, status: st, closedAt: closedAt.map(demoDate), clock: clock,
                returned: didReturn, extended: !extensions.isEmpty, reopened: false, rating: nil), calendar: cal)
        }

        tally.letters += 1
        tally.events += evs.count
        tally.byStatus[status, default: 0] += 1
        if closedAt == nil, stoppedAt == nil, let due = sla.dueAt, due < demoDate(now) { tally.overdue += 1 }
        if sla.state == .paused { tally.paused += 1 }
        if !extensions.isEmpty { tally.extended += 1 }
        if didReturn { tally.returned += 1 }
        if supervised { tally.supervised += 1 }
        if mergeTarget != nil, status == "merged" { tally.merged += 1 }
    }

}

/// One row of COPY text format: fields separated by tabs, `\N` for NULL, backslash escapes.
struct CopyRow {
    var buffer: ByteBuffer
    var first = true

    init(buffer: ByteBuffer) { self.buffer = buffer }

    mutating func sep() {
        if first { first = false } else { buffer.writeInteger(UInt8(ascii: "\t")) }
    }

    /// A value known to need no escaping (ids, numbers, enums, hex, pre-escaped bytea).
    mutating func plain(_ s: String) {
        sep()
        buffer.writeString(s)
    }

    mutating func null() {
        sep()
        buffer.writeStaticString("\\N")
    }

    mutating func optional(_ s: String?) {
        if let s { plain(s) } else { null() }
    }

    mutating func optionalText(_ s: String?) {
        if let s { text(s) } else { null() }
    }

    mutating func text(_ s: String) {
        sep()
        let needs = s.utf8.contains { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }
        guard needs else {
            buffer.writeString(s)
            return
        }
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
            case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
            case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
            default: buffer.writeInteger(b)
            }
        }
    }

    mutating func end() {
        buffer.writeInteger(UInt8(ascii: "\n"))
        first = true
    }
}

// MARK: - The run

actor DemoProgress {
    let total: Int
    let started = ContinuousClock.now
    var done = 0
    var tally = DemoTally()
    var nextBatch = 0
    let batches: Int
    let isTTY = isatty(2) != 0
    var lastLine = ContinuousClock.now

    init(total: Int, batches: Int) {
        self.total = total
        self.batches = batches
    }

    func take() -> Int? {
        guard nextBatch < batches else { return nil }
        defer { nextBatch += 1 }
        return nextBatch
    }

    func skip(to n: Int) { nextBatch = max(nextBatch, n) }

    func add(_ t: DemoTally) {
        done += t.letters
        tally.add(t)
        let now = ContinuousClock.now
        if isTTY || now - lastLine >= .seconds(5) || done == total {
            lastLine = now
            draw(final: done == total)
        }
    }

    var elapsed: Double {
        let d = ContinuousClock.now - started
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    func draw(final: Bool) {
        let secs = max(0.001, elapsed)
        let rate = Double(done) / secs
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let width = 30
        let filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        func hms(_ s: Double) -> String {
            let s = Int(s.rounded())
            return s >= 3600 ? "\(s / 3600):\(pad(s / 60 % 60, 2)):\(pad(s % 60, 2))" : "\(s / 60):\(pad(s % 60, 2))"
        }
        let line = "[\(bar)] \(done)/\(total) letters  \(Int(rate))/s  \(tally.events) events  elapsed \(hms(secs))  ETA \(hms(eta))"
        var stderr = FileHandle.standardError
        if isTTY {
            print("\r" + line + (final ? "\n" : ""), terminator: "", to: &stderr)
        } else {
            print(line, to: &stderr)
        }
    }
}

struct DemoRun {
    let client: PostgresClient
    let logger: Logger
    let options: DemoOptions

    func run() async throws {
        let o = options
        var stderr = FileHandle.standardError
        let world = try await prepare()
        var computeHashes = !o.hashInDatabase
        if computeHashes {
            var superuser = false
            for try await s in try await client.query("SELECT rolsuper FROM pg_roles WHERE rolname = current_user", logger: logger).decode(Bool.self) {
                superuser = s
            }
            if !superuser {
                print("not a superuser: the letter_events trigger computes the hash chain (slower)", to: &stderr)
                computeHashes = false
            }
        }
        print("""
            generating \(o.letters) letters (seed \(o.seed)) received \(DemoLetterWriter.hashTimestamp(world.startMicros)) … \(DemoLetterWriter.hashTimestamp(world.nowMicros)); \
            ids \(world.idBase)…\(world.idBase + Int64(o.letters) - 1), tracking numbers \(world.trackingBase)…\(world.trackingBase + Int64(o.letters) - 1); \
            hash chain computed \(computeHashes ? "here (trigger off for the batch sessions)" : "by the trigger")
            """, to: &stderr)

        let hashing = computeHashes
        let batches = (o.letters + o.batch - 1) / o.batch
        let progress = DemoProgress(total: o.letters, batches: batches)
        // The first batch alone, then checked in SQL before the others are written.
        _ = await progress.take()
        try await writeBatch(0, world: world, computeHashes: computeHashes, progress: progress)
        try await verify(ids: world.idBase..<(world.idBase + Int64(min(o.batch, o.letters))), what: "first batch")

        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<o.jobs {
                group.addTask {
                    while let b = await progress.take() {
                        try await writeBatch(b, world: world, computeHashes: hashing, progress: progress)
                    }
                }
            }
            try await group.waitForAll()
        }
        let loaded = await progress.elapsed
        print("analyzing …", to: &stderr)
        try await client.withConnection { conn in
            try await conn.query("SET statement_timeout = 0", logger: logger)
            try await conn.query("ANALYZE letters", logger: logger)
            try await conn.query("ANALYZE letter_events", logger: logger)
            try await conn.query("ANALYZE report_contributions", logger: logger)
            try await conn.query("ANALYZE report_rollups", logger: logger)
        }
        if o.verifyAll {
            print("verifying every generated event …", to: &stderr)
            try await verify(ids: world.idBase..<(world.idBase + Int64(o.letters)), what: "all letters")
        }
        let total = await progress.elapsed
        let t = await progress.tally
        let statuses = t.byStatus.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print("""
            generated \(t.letters) letters and \(t.events) events in \(String(format: "%.1f", total)) s \
            (loading \(String(format: "%.1f", loaded)) s, \(Int(Double(t.letters) / max(0.001, loaded))) letters/s)
              status: \(statuses)
              open and overdue \(t.overdue), paused \(t.paused), extended \(t.extended), returned \(t.returned), \
            supervised \(t.supervised), merged \(t.merged)
            """)
    }

    /// Departments, calendar and policies; reserves the ids and tracking numbers of the whole run.
    func prepare() async throws -> DemoWorld {
        let o = options
        var departments: [DemoWorld.Department] = []
        for try await (id, name, kind) in try await client.query(
            "SELECT id, name, kind FROM departments WHERE active ORDER BY id", logger: logger
        ).decode((String, String, String).self) {
            departments.append(.init(id: id, name: name, kind: kind))
        }
        guard !departments.isEmpty else {
            throw ValidationError("no departments: run `mailbox demo-data` (or add departments) first")
        }
        let snapshot = try await CalendarStore(client: client, logger: logger).snapshot()
        let (trackingBase, idBase) = try await client.withTransaction(logger: logger) { tx in
            // Intake's INSERT locks letters before it takes nextval; holding this lock makes the
            // reservation atomic with respect to it.
            try await tx.query("LOCK TABLE letters IN SHARE ROW EXCLUSIVE MODE", logger: logger)
            var tracking: Int64 = 0
            var id: Int64 = 0
            let n = Int64(o.letters)
            for try await (a, b) in try await tx.query(
                """
                SELECT (SELECT setval('letter_tracking_seq', nextval('letter_tracking_seq') + \(n) - 1)) - \(n) + 1,
                       (SELECT setval(pg_get_serial_sequence('letters', 'id'),
                            greatest(nextval(pg_get_serial_sequence('letters', 'id')), coalesce((SELECT max(id) FROM letters), 0) + 1) + \(n) - 1)) - \(n) + 1
                """, logger: logger
            ).decode((Int64, Int64).self) {
                tracking = a
                id = b
            }
            return (tracking, id)
        }

        let towns = departments.indices.filter { departments[$0].kind == "town" }
        // The two 街道 of the town centre write most.
        let townWeights = cumulativeSums(towns.map { departments[$0].name.hasSuffix("街道") ? 4.0 : 1.0 })
        let nowMicros = Int64((o.until.timeIntervalSince1970 * 1000).rounded()) * 1000
        let span = Int64(o.years * 365.25 * 24) * DemoWorld.microsPerHour
        let startMicros = (nowMicros - span) / DemoWorld.microsPerHour * DemoWorld.microsPerHour
        let hours = Int((nowMicros - startMicros + DemoWorld.microsPerHour - 1) / DemoWorld.microsPerHour)
        var weights: [Double] = []
        weights.reserveCapacity(hours)
        for h in 0..<hours {
            weights.append(DemoWorld.hourWeight(micros: startMicros + Int64(h) * DemoWorld.microsPerHour,
                                                calendar: snapshot.calendar, progress: Double(h) / Double(max(1, hours))))
        }
        return DemoWorld(
            departments: departments, byID: Dictionary(uniqueKeysWithValues: departments.enumerated().map { ($1.id, $0) }),
            towns: towns, townWeights: townWeights, calendar: snapshot.calendar, policies: snapshot.policies,
            trackingBase: trackingBase, idBase: idBase, nowMicros: nowMicros, startMicros: startMicros,
            hourCDF: cumulativeSums(weights), options: o)
    }

    func writeBatch(_ b: Int, world: DemoWorld, computeHashes: Bool, progress: DemoProgress) async throws {
        let range = (b * options.batch)..<min(options.letters, (b + 1) * options.batch)
        var writer = DemoBatchWriter(world: world, range: range, computeHashes: computeHashes)
        // The batch's letter ids: first ..< end.
        let first = world.idBase + Int64(range.lowerBound)
        let end = world.idBase + Int64(range.upperBound)
        writer.writeAll()
        let letters = writer.letters
        let events = writer.events
        let rollup = writer.rollup
        let log = logger
        try await client.withTransaction(logger: logger) { tx in
            try await tx.query("SET LOCAL statement_timeout = 0", logger: log)
            if computeHashes {
                // Only this transaction: no triggers (the hash chain is in the rows, and the foreign
                // keys point at rows of this batch or at departments read at start).
                try await tx.query("SET LOCAL session_replication_role = replica", logger: log)
            }
            try await tx.copyFrom(table: "letters", columns: DemoBatchWriter.letterColumns, logger: log) { w in
                try await Self.send(letters, to: w)
            }
            try await tx.copyFrom(table: "letter_events", columns: DemoBatchWriter.eventColumns, logger: log) { w in
                try await Self.send(events, to: w)
            }
            if computeHashes {
                // Nor does anything copy the batch's open letters for the reports (migration 0013).
                try await tx.query(
                    "SELECT report_open_rows_sync(\(first), \(end - 1))",
                    logger: log)
            }
            if computeHashes, world.calendar != nil {
                // Without triggers nothing marks the settled letters for the report rollups (docs/metrics.md, §13):
                // count them here, in the transaction that writes them.
                try await rollup.write(tx: tx, logger: log)
            } else if computeHashes {
                // No calendar to count them with yet: leave them to the rollup worker.
                try await tx.query(
                    """
                    UPDATE letters SET rollup_dirty = true
                    WHERE id >= \(first) AND id < \(end) AND status IN ('closed', 'rejected', 'merged')
                    """, logger: log)
            }
        }
        await progress.add(writer.tally)
    }

    static func send(_ buffer: ByteBuffer, to writer: PostgresCopyFromWriter) async throws {
        let chunk = 1 << 20
        var offset = buffer.readerIndex
        while offset < buffer.writerIndex {
            let n = min(chunk, buffer.writerIndex - offset)
            try await writer.write(buffer.getSlice(at: offset, length: n)!)
            offset += n
        }
    }

    /// The hash chain recomputed by `letter_event_hash`, and each letter's version = its event count.
    func verify(ids: Range<Int64>, what: String) async throws {
        let lo = ids.lowerBound, hi = ids.upperBound - 1
        var badEvents: Int64 = 0, badVersions: Int64 = 0, checked: Int64 = 0
        try await client.withConnection { conn in
            try await conn.query("SET statement_timeout = 0", logger: logger)
            for try await (bad, n) in try await conn.query(
                """
                SELECT count(*) FILTER (WHERE e.prev_hash IS DISTINCT FROM
                           CASE WHEN e.version = 1 THEN '\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea ELSE p.hash END
                       OR e.hash IS DISTINCT FROM letter_event_hash(e.prev_hash, e.letter_id, e.version, e.kind, e.occurred_at,
                                                                    e.actor, e.actor_role, e.public, e.data)),
                       count(*)
                FROM letter_events e
                LEFT JOIN letter_events p ON p.letter_id = e.letter_id AND p.version = e.version - 1
                WHERE e.letter_id BETWEEN \(lo) AND \(hi)
                """, logger: logger
            ).decode((Int64, Int64).self) {
                badEvents = bad
                checked = n
            }
            for try await bad in try await conn.query(
                """
                SELECT count(*) FROM letters l
                LEFT JOIN (SELECT letter_id, count(*) AS n, max(version) AS top FROM letter_events
                           WHERE letter_id BETWEEN \(lo) AND \(hi) GROUP BY letter_id) e ON e.letter_id = l.id
                WHERE l.id BETWEEN \(lo) AND \(hi) AND (e.n IS DISTINCT FROM l.version OR e.top IS DISTINCT FROM l.version)
                """, logger: logger
            ).decode(Int64.self) {
                badVersions = bad
            }
        }
        var stderr = FileHandle.standardError
        guard badEvents == 0, badVersions == 0 else {
            throw ValidationError("""
                verification of the \(what) failed: \(badEvents) of \(checked) events do not match letter_event_hash, \
                \(badVersions) letters have a version other than their event count. Rerun with --hash-in-database.
                """)
        }
        print("verified \(what): \(checked) events, hash chain as letter_event_hash computes it, versions = event counts",
              to: &stderr)
    }
}

// MARK: - Texts

// Topics of 密云区 with the questions, problems, suggestions and reports citizens write about,
// and the departments' replies.

/// A title fragment and the sentence the body builds on.
struct DemoItem: Sendable {
    let title: String
    let detail: String
    init(_ title: String, _ detail: String) {
        self.title = title
        self.detail = detail
    }
}

struct DemoTopic: Sendable {
    let name: String
    /// The bureaus that own letters on this topic (ids of sql/demo/departments.sql).
    let departments: [String]
    let weight: Double
    /// Written about more from November to March (供暖).
    let winter: Bool
    let questions: [DemoItem]
    let issues: [DemoItem]
    let suggestions: [DemoItem]
    let reports: [DemoItem]
    let replies: [String]
}

enum DemoContent {
    static let topics: [DemoTopic] = [
        DemoTopic(
            name: "供暖", departments: ["housing", "urban-management"], weight: 8, winter: true,
            questions: [
                DemoItem("今年供暖开始时间", "想问一下今年冬季集中供暖什么时候开始，如遇降温能否提前供暖？"),
                DemoItem("供暖费缴纳方式", "新买的房子第一次缴纳供暖费，请问在哪里缴纳、标准是多少？"),
                DemoItem("老旧小区供暖改造计划", "我们小区的供暖管线已经使用二十多年，请问是否列入了今年的改造计划？"),
            ],
            issues: [
                DemoItem("供暖温度不达标", "入冬以来家里室温一直只有十四五度，达不到十八度的标准，老人孩子都冻感冒了"),
                DemoItem("暖气不热", "家里暖气片上热下凉，供热公司来看过一次但没有解决"),
                DemoItem("供暖管道漏水", "楼道里的供暖管道漏水，地面结冰，居民出行很危险"),
                DemoItem("突然停暖无通知", "小区突然停暖两天，事先没有任何通知，也没有人解释原因"),
            ],
            suggestions: [
                DemoItem("根据气温延长供暖期", "每年三月中旬停暖后气温仍然较低，建议根据天气情况适当延长供暖期"),
                DemoItem("加快农村清洁能源取暖", "建议在农村地区加快推进煤改电、煤改气，并加大对取暖电费的补贴"),
            ],
            reports: [DemoItem("供热单位违规加收费用", "供热单位在收取供暖费时以管网维护为名额外收取每户三百元，没有任何文件依据")],
            replies: [
                "已责成供热单位入户检测并对管网进行排气和调试，目前室温已达到十八度以上",
                "今年供暖将于11月15日正式开始，如遇持续低温将视情况提前供暖",
                "供热单位已对漏水点进行抢修，并加强了对老旧管网的巡查",
            ]),
        DemoTopic(
            name: "道路", departments: ["transport", "urban-management"], weight: 8, winter: false,
            questions: [
                DemoItem("道路施工何时完工", "我家附近的道路施工已经好几个月了，请问预计什么时候完工通车？"),
                DemoItem("京承高速密云出口改造", "听说京承高速密云出口要改造，请问具体方案和施工时间是什么？"),
            ],
            issues: [
                DemoItem("路面坑洼严重", "村口的道路坑洼不平，下雨后积水严重，骑电动车经常摔倒"),
                DemoItem("路灯不亮", "门口的一段路路灯已经坏了一个多月，晚上漆黑一片，非常不安全"),
                DemoItem("道路施工扬尘", "附近道路施工不采取任何降尘措施，车辆经过时尘土飞扬"),
                DemoItem("井盖破损", "人行道上的井盖破损松动，已经有行人踩空受伤"),
            ],
            suggestions: [
                DemoItem("学校门口增设信号灯", "学校门口的路段车流量大，学生过马路很危险，建议增设人行横道和红绿灯"),
                DemoItem("修建环水库骑行绿道", "建议在密云水库周边修建骑行绿道，方便市民休闲健身"),
            ],
            reports: [DemoItem("渣土车夜间违规运输", "每天夜里有多辆渣土车不苫盖在路上行驶，沿途撒漏严重")],
            replies: [
                "已安排养护单位对破损路面进行修补，预计一周内完成",
                "经核实，路灯线路老化导致故障，已更换线路并恢复照明",
                "该工程计划年底前完工，施工期间将加强洒水降尘和交通疏导",
            ]),
        DemoTopic(
            name: "噪音", departments: ["ecology", "public-security"], weight: 7, winter: false,
            questions: [DemoItem("夜间施工许可查询", "附近工地说办理了夜间施工许可，请问在哪里可以查询？")],
            issues: [
                DemoItem("夜间施工噪音扰民", "附近工地每天晚上施工到凌晨一两点，噪音很大，严重影响休息"),
                DemoItem("广场舞音响声音过大", "小区广场每天晚上广场舞音响开得很大，一直持续到晚上十点"),
                DemoItem("商铺外放音乐扰民", "楼下商铺每天用大音箱在门口外放促销广告，声音刺耳"),
                DemoItem("空调外机噪音", "楼下饭店的空调外机和排风机昼夜运转，噪音和振动很大"),
            ],
            suggestions: [DemoItem("划定广场舞活动区域", "建议社区为广场舞划定专门区域和时间，并限制音响音量")],
            reports: [DemoItem("工地无证夜间施工", "某工地在没有夜间施工许可的情况下连续多晚施工")],
            replies: [
                "执法人员已到现场检查，责令施工单位停止夜间施工，并将持续加强巡查",
                "社区已与广场舞团队沟通，约定活动时间至晚上八点半并降低音量",
                "经监测，该商户噪声超标，已依法责令整改",
            ]),
        DemoTopic(
            name: "物业", departments: ["housing"], weight: 9, winter: false,
            questions: [
                DemoItem("物业费上涨是否合规", "我们小区物业单方面上涨物业费，请问物业费调整需要经过什么程序？"),
                DemoItem("维修资金使用流程", "小区电梯需要大修，请问申请使用住宅专项维修资金的流程是什么？"),
            ],
            issues: [
                DemoItem("物业不作为", "小区物业管理混乱，楼道垃圾无人清理，门禁长期损坏，业主多次反映无人处理"),
                DemoItem("电梯经常故障", "我们楼的电梯一个月坏了好几次，有老人被困在里面，物业只是简单维修"),
                DemoItem("楼顶漏水物业推诿", "顶楼住户家里漏水严重，物业和开发商互相推诿，一直没人维修"),
                DemoItem("物业强制收费", "物业要求业主必须缴纳停车管理费才能办理门禁卡"),
            ],
            suggestions: [DemoItem("指导成立业主委员会", "建议街道指导我们小区尽快成立业主委员会，规范物业管理")],
            reports: [DemoItem("物业挪用公共收益", "小区电梯广告和停车收入从未公示，怀疑被物业公司挪用")],
            replies: [
                "已约谈物业公司负责人，要求其限期整改并向业主公示整改情况",
                "经协调，物业公司已对电梯进行全面检修并更换了老化部件",
                "已指导街道和社区启动业主委员会筹备工作",
            ]),
        DemoTopic(
            name: "学校", departments: ["education"], weight: 7, winter: false,
            questions: [
                DemoItem("非京籍子女小学入学", "孩子明年上小学，户籍在外区，在密云租房居住，请问需要准备哪些材料？"),
                DemoItem("公办幼儿园报名时间", "请问今年公办幼儿园什么时候开始报名？"),
                DemoItem("课后服务收费标准", "请问学校课后服务是否收费，收费标准是多少？"),
            ],
            issues: [
                DemoItem("校车站点被取消", "学校取消了我们村的校车站点，孩子上学需要步行三公里"),
                DemoItem("学校周边交通拥堵", "每天上下学时间学校门口车辆乱停，交通严重拥堵，存在安全隐患"),
                DemoItem("学校食堂饭菜质量差", "孩子反映学校食堂饭菜质量差，分量也少"),
            ],
            suggestions: [
                DemoItem("新建小学增加学位", "新建小区入住人口多，周边学校学位紧张，建议尽快新建一所小学"),
                DemoItem("延长课后托管时间", "双职工家庭下班晚，建议学校课后托管延长到六点"),
            ],
            reports: [DemoItem("在职教师有偿补课", "某学校在职教师在家中开办有偿补课班，暗示学生参加")],
            replies: [
                "已协调学校恢复该站点的校车接送服务",
                "学校已加强食堂管理，并邀请家长代表参与陪餐监督",
                "今年入学政策已在区教委官网公布，具体材料清单请参见通知",
            ]),
        DemoTopic(
            name: "医保", departments: ["human-resources", "health"], weight: 5, winter: false,
            questions: [
                DemoItem("异地就医备案", "我在外地工作，请问医保异地就医备案怎么办理？"),
                DemoItem("城乡居民医保缴费", "请问明年城乡居民医保的缴费标准和缴费时间？"),
                DemoItem("门诊报销比例", "在社区卫生服务中心看门诊，医保报销比例是多少？"),
            ],
            issues: [
                DemoItem("医保报销迟迟不到账", "去年住院的医保手工报销材料交上去半年了，至今没有到账"),
                DemoItem("慢性病备案手续繁琐", "申请门诊慢性病备案需要来回跑好几趟，手续繁琐"),
            ],
            suggestions: [
                DemoItem("增加医保定点药店", "我们镇只有一家医保定点药店，建议增加定点药店数量"),
                DemoItem("推行异地就医直接结算", "建议推行异地就医线上备案和直接结算"),
            ],
            reports: [DemoItem("药店违规刷医保卡", "某药店允许用医保卡购买日用品和保健品")],
            replies: [
                "您的报销款项已于本周拨付，请注意查收",
                "异地就医备案可通过国家医保服务平台APP在线办理，无需到现场",
                "已将您的建议转交医保部门研究，将结合定点机构布局统筹考虑",
            ]),
        DemoTopic(
            name: "垃圾分类", departments: ["urban-management"], weight: 5, winter: false,
            questions: [DemoItem("大件垃圾清运预约", "家里要扔旧沙发和床垫，请问大件垃圾怎么预约清运？")],
            issues: [
                DemoItem("垃圾清运不及时", "小区垃圾桶满了好几天都没有清运，气味很大，招苍蝇"),
                DemoItem("垃圾桶站点设置不合理", "垃圾桶站点设在我家窗户下面，夏天异味严重"),
                DemoItem("分类垃圾混装混运", "居民分好的垃圾，清运车来了全部倒在一起拉走"),
            ],
            suggestions: [
                DemoItem("增加厨余垃圾桶", "建议在小区增加厨余垃圾桶并增加清运频次"),
                DemoItem("加强农村垃圾分类指导", "建议在农村地区加强垃圾分类宣传和指导"),
            ],
            reports: [DemoItem("河道旁倾倒建筑垃圾", "有人在村边河道旁随意倾倒建筑垃圾")],
            replies: [
                "已督促清运单位增加清运频次，每日早晚各清运一次",
                "经现场勘查，已将垃圾桶站点调整至远离居民楼的位置",
                "已对混装混运问题进行查处并责令清运单位整改",
            ]),
        DemoTopic(
            name: "停车", departments: ["transport", "public-security"], weight: 6, winter: false,
            questions: [
                DemoItem("居住停车证办理", "请问小区周边道路的居住停车证如何办理？"),
                DemoItem("区医院停车收费标准", "请问区医院停车场收费标准是什么？"),
            ],
            issues: [
                DemoItem("小区停车位不足", "小区车位严重不足，车辆乱停乱放，消防通道经常被堵"),
                DemoItem("车辆占用消防通道", "有车辆长期停在消防通道上，多次劝说无效"),
                DemoItem("僵尸车长期占用车位", "小区里有几辆僵尸车停放多年，占用公共车位"),
            ],
            suggestions: [
                DemoItem("建设立体停车场", "建议在老城区建设立体停车场，缓解停车难问题"),
                DemoItem("机关停车场错时共享", "建议机关单位停车场晚间和周末向周边居民开放"),
            ],
            reports: [DemoItem("私设地锁收取停车费", "有人在公共道路上私装地锁并收取停车费")],
            replies: [
                "已会同属地街道对周边停车资源进行梳理，新增施划停车位一百余个",
                "交警部门已对占用消防通道的车辆依法处理",
                "已组织对僵尸车进行清理，共拖移车辆五辆",
            ]),
        DemoTopic(
            name: "水务", departments: ["water"], weight: 5, winter: false,
            questions: [
                DemoItem("居民阶梯水价标准", "请问居民阶梯水价的标准是什么？"),
                DemoItem("农村井水水质检测", "我们村的井水能否申请水质检测？"),
            ],
            issues: [
                DemoItem("自来水浑浊发黄", "最近家里的自来水发黄浑浊，有异味，不敢饮用"),
                DemoItem("频繁停水", "最近一个月小区频繁停水，事先没有通知"),
                DemoItem("雨后道路积水", "每次下雨村里主路就积水严重，排水管道堵塞"),
                DemoItem("河道污染", "村边河道有人排放污水，水面漂浮垃圾"),
            ],
            suggestions: [
                DemoItem("加强水库周边巡查", "建议进一步加强密云水库周边的巡查，制止违规垂钓和游泳"),
                DemoItem("改造山区供水管网", "建议对山区村的老旧供水管网进行改造"),
            ],
            reports: [DemoItem("企业暗管偷排污水", "某企业夜间通过暗管向河道排放污水")],
            replies: [
                "经检测，水质符合国家标准，发黄系管网冲洗所致，已对管网进行冲洗",
                "已对排水管道进行疏通清淤，并将该路段纳入汛期重点巡查",
                "已对河道进行清理，并加强日常巡河",
            ]),
        DemoTopic(
            name: "公交", departments: ["transport"], weight: 5, winter: false,
            questions: [
                DemoItem("密云至东直门公交调整", "请问密云到东直门的公交线路近期是否有调整？"),
                DemoItem("老年人乘车优惠", "请问六十五岁以上老人乘坐公交是否免费？"),
            ],
            issues: [
                DemoItem("公交车班次太少", "我们村到城区的公交车一天只有三班，出行非常不便"),
                DemoItem("公交司机服务态度差", "公交车司机不等乘客坐稳就急加速，态度恶劣"),
                DemoItem("公交车甩站", "早高峰公交车经常不进站，甩站现象严重"),
            ],
            suggestions: [
                DemoItem("开通社区微循环公交", "建议开通连接新建小区和地铁站、医院的微循环公交"),
                DemoItem("延长末班车时间", "建议将城区公交末班车延长至晚上十点"),
            ],
            reports: [DemoItem("黑车非法营运", "长途汽车站门口有大量黑车拉客")],
            replies: [
                "公交公司已在早晚高峰时段增加发车班次",
                "已对涉事司机进行批评教育，并加强驾驶员服务培训",
                "您的建议已转交公交公司，将在线网优化中统筹研究",
            ]),
        DemoTopic(
            name: "农村", departments: ["agriculture"], weight: 7, winter: false,
            questions: [
                DemoItem("宅基地翻建审批", "我家想翻建老房子，请问农村宅基地翻建需要办理哪些审批手续？"),
                DemoItem("耕地地力保护补贴发放", "请问今年的耕地地力保护补贴什么时候发放？"),
                DemoItem("承包地流转办理", "我想把家里的承包地流转出去，应该去哪里办理？"),
            ],
            issues: [
                DemoItem("土地流转费未按时支付", "村里把我家承包地流转给合作社，但流转费两年没有按时支付"),
                DemoItem("村务不公开", "村里的集体收入和支出从来不公开"),
                DemoItem("农机购置补贴未发放", "去年购买的农机至今没有收到补贴"),
                DemoItem("山区道路未硬化", "我们村通往山上的道路还是土路，雨天无法通行"),
            ],
            suggestions: [
                DemoItem("扶持山区民宿发展", "建议加大对山区村发展民宿的扶持力度"),
                DemoItem("开展果树种植技术培训", "建议组织技术人员到村里开展板栗、苹果种植技术培训"),
            ],
            reports: [
                DemoItem("违规占用耕地建房", "村里有人在基本农田上违规建房"),
                DemoItem("村干部优亲厚友", "村干部在低保评定中优亲厚友"),
            ],
            replies: [
                "镇政府已督促合作社与农户签订付款计划，首笔流转费已支付",
                "已督促村委会按规定每季度公开村务和财务",
                "该农户的补贴已完成审核，将于本月发放",
            ]),
        DemoTopic(
            name: "养老", departments: ["civil-affairs"], weight: 4, winter: false,
            questions: [
                DemoItem("高龄津贴申领", "我父亲今年满八十岁，请问高龄津贴怎么申请？"),
                DemoItem("养老驿站服务内容", "请问附近的养老驿站能提供哪些服务？"),
            ],
            issues: [
                DemoItem("养老驿站助餐停供", "社区养老驿站承诺的助餐服务经常停供"),
                DemoItem("低保申请被拒", "家里生活困难，申请低保被拒，没有说明理由"),
            ],
            suggestions: [
                DemoItem("增加社区老年助餐点", "建议在老旧小区增加老年助餐点"),
                DemoItem("老旧小区适老化改造", "建议为老旧小区加装电梯和扶手"),
            ],
            reports: [DemoItem("冒领养老金", "有人在老人去世后仍冒领养老金")],
            replies: [
                "已为老人办理高龄津贴申领，次月起按月发放",
                "已督促养老驿站恢复助餐服务",
                "经复核，您的家庭情况符合低保条件，已重新受理",
            ]),
        DemoTopic(
            name: "就业社保", departments: ["human-resources"], weight: 5, winter: false,
            questions: [
                DemoItem("灵活就业社保缴纳", "请问灵活就业人员如何缴纳养老保险？"),
                DemoItem("失业保险金申领", "我被公司辞退，请问失业保险金如何申领？"),
            ],
            issues: [
                DemoItem("拖欠农民工工资", "我们在某工地干活三个月，工资一直被拖欠，包工头不见人"),
                DemoItem("公司不缴社保", "公司入职一年多一直没有给员工缴纳社保"),
            ],
            suggestions: [DemoItem("加强农村劳动力技能培训", "建议针对农村劳动力开展更多的职业技能培训")],
            reports: [DemoItem("企业长期拖欠工资", "某公司长期拖欠员工工资，还要求员工签订自愿离职协议")],
            replies: [
                "劳动保障监察部门已介入，督促施工单位支付拖欠工资",
                "已责令该公司为员工补缴社会保险",
                "失业保险金可通过北京人社APP线上申领",
            ]),
        DemoTopic(
            name: "食品安全", departments: ["market-regulation"], weight: 4, winter: false,
            questions: [DemoItem("食品经营许可证办理", "想开一家小吃店，请问食品经营许可证如何办理？")],
            issues: [
                DemoItem("餐馆卫生条件差", "某餐馆后厨卫生条件很差，吃完后出现腹泻"),
                DemoItem("超市销售过期食品", "在某超市买到过期的牛奶，超市拒绝赔偿"),
                DemoItem("商家价格欺诈", "商家标示价格与结算价格不一致"),
            ],
            suggestions: [DemoItem("加强农贸市场抽检", "建议加强农贸市场的食品安全抽检")],
            reports: [DemoItem("小作坊无证生产食品", "某小作坊无证生产加工食品，卫生条件极差")],
            replies: [
                "已对该餐馆进行检查，责令停业整改",
                "已约谈超市负责人，超市已按规定进行赔偿",
                "经检查，商家存在价格违法行为，已立案调查",
            ]),
        DemoTopic(
            name: "医疗", departments: ["health"], weight: 4, winter: false,
            questions: [
                DemoItem("儿童疫苗接种预约", "请问孩子打疫苗需要提前预约吗？"),
                DemoItem("家庭医生签约", "请问家庭医生签约服务如何办理？"),
            ],
            issues: [
                DemoItem("区医院挂号难", "区医院专家号很难挂，现场排队几个小时"),
                DemoItem("村卫生室缺药", "村卫生室常用药经常缺货"),
            ],
            suggestions: [DemoItem("增设儿科夜间门诊", "建议区医院增设儿科夜间门诊")],
            reports: [DemoItem("诊所非法行医", "某诊所由无医师资格证人员坐诊")],
            replies: [
                "已协调医院增加专家号源，并开通线上预约",
                "已督促卫生院完善药品配送，保障常用药供应",
                "卫生监督所已对该诊所进行查处",
            ]),
        DemoTopic(
            name: "规划建设", departments: ["planning", "housing"], weight: 4, winter: false,
            questions: [
                DemoItem("征收范围和补偿标准", "我们村是否在征收范围内？补偿标准是什么？"),
                DemoItem("地块规划用途查询", "请问附近地块的规划用途在哪里可以查询？"),
            ],
            issues: [
                DemoItem("邻居违建遮挡采光", "邻居私自加盖二层违建，挡住了我家采光"),
                DemoItem("回迁房延期交付", "回迁房已经延期交付两年，一直没有准确消息"),
            ],
            suggestions: [DemoItem("城区增加口袋公园", "建议在城区利用边角地增加口袋公园")],
            reports: [DemoItem("集体土地违法建设", "某村有人在集体土地上违法建设厂房")],
            replies: [
                "经核查，该建筑属于违法建设，已下达限期拆除通知",
                "回迁房已完成竣工验收，预计下月起分批交付",
                "规划信息可在北京市规划和自然资源委员会官网查询",
            ]),
        DemoTopic(
            name: "治安户籍", departments: ["public-security"], weight: 4, winter: false,
            questions: [
                DemoItem("投靠子女户口迁入", "请问投靠子女的户口迁入密云需要哪些材料？"),
                DemoItem("身份证补办", "身份证丢了，请问如何在密云补办？"),
            ],
            issues: [
                DemoItem("楼道电动车充电隐患", "楼道里私拉电线给电动车充电，存在火灾隐患"),
                DemoItem("深夜飙车扰民", "每天深夜有人在新城区道路上飙车，轰鸣声很大"),
            ],
            suggestions: [DemoItem("路口增设治安监控", "建议在村口和主要路口增设治安监控")],
            reports: [
                DemoItem("棋牌室聚众赌博", "某棋牌室长期聚众赌博"),
                DemoItem("出租屋疑似电信诈骗", "某出租屋内疑似有人从事电信诈骗"),
            ],
            replies: [
                "公安机关已加强夜间巡逻，对飙车行为依法查处",
                "已联合社区开展电动车充电隐患排查整治",
                "户口迁移所需材料已电话告知，可在户籍窗口办理",
            ]),
        DemoTopic(
            name: "生态环境", departments: ["ecology"], weight: 4, winter: false,
            questions: [DemoItem("空气质量排名", "请问密云区今年的空气质量排名情况如何？")],
            issues: [
                DemoItem("工厂异味扰民", "附近工厂经常排放刺鼻气味，尤其是夜间"),
                DemoItem("露天焚烧秸秆垃圾", "村里有人焚烧秸秆和垃圾，烟雾很大"),
                DemoItem("餐饮油烟扰民", "楼下烧烤店油烟直排，家里无法开窗"),
            ],
            suggestions: [DemoItem("加强水源保护区执法", "建议在水源保护区加强巡查执法")],
            reports: [DemoItem("企业夜间偷排废气", "某企业夜间偷排废气，周边居民头晕恶心")],
            replies: [
                "已对企业进行监测，责令其安装废气处理设施",
                "已督促村委会加强巡查，禁止露天焚烧",
                "执法人员已责令餐饮商户安装油烟净化设备",
            ]),
    ]

    static let greetings = ["您好！", "区长您好！", "尊敬的区长：", "领导好，", "", ""]
    static let asks = ["麻烦给予答复，谢谢！", "希望相关部门能给个明确答复。", "盼复，谢谢。", "谢谢！"]
    static let durations = ["这种情况已经持续一个多月了，", "这个问题已经存在半年多了，", "从上周开始一直这样，", "已经好几年了，", ""]
    static let tried = [
        "多次向物业和社区反映都没有结果。", "向社区反映过几次，至今没有解决。", "拨打过12345热线，但问题依然存在。",
        "找过相关单位，一直互相推诿。",
    ]
    static let demands = ["希望区领导重视，督促有关部门尽快解决！", "请相关部门尽快核实处理。", "恳请政府出面协调解决，谢谢。"]
    static let who = ["居民", "村民", "一名退休职工", "外来务工人员", "老党员", "残疾人家属"]
    static let hardship = ["家里老人年纪大了，实在没有办法，", "我们自己多方联系都没能解决，", "家里经济困难，", ""]
    static let pleads = ["恳请领导帮忙协调解决！", "希望政府能帮帮我们。", "万分感谢！"]
    static let suggestionCloses = ["以上建议，供领导参考。", "希望能够采纳。", "这是我们很多居民的共同心声。"]
    static let reportCloses = ["请有关部门调查处理，举报人要求保密。", "希望尽快查处。", "有照片和视频可以提供。"]

    /// 小区 of the town centre and 村 of the mountain towns.
    static let compounds = [
        "檀州家园", "宾阳北里", "果园新里", "季庄小区", "沿湖小区", "长安小区", "阳光小区", "康馨雅苑", "金域华府",
        "世纪明珠", "檀营小区", "鼓楼南区", "新中街小区", "花园小区", "水岸家园", "云湖小区", "滨河小区", "新北小区",
    ]
    static let villages = [
        "河北庄村", "大城子村", "黄各庄村", "太子务村", "西庄村", "沙厂村", "石城村", "北庄村", "东邵渠村", "高岭村",
        "新城子村", "司马台村", "荆栗园村", "燕落村", "套里村", "小漕村", "南石骆驼村", "大辛庄村", "坟庄村", "前焦家坞村",
    ]

    static let rejectReasons = [
        "不属于区长信箱受理范围，已告知通过诉讼途径解决", "内容不完整，无法核实", "涉及信访事项，请依法通过信访渠道反映",
        "涉及其他行政区域，已告知向属地反映",
    ]
    static let returnReasons = ["该事项不属于本单位职责", "属地不符，建议转至所在镇街", "涉及多个部门，请中心协调"]
    static let pauseReasons = ["请补充具体地址", "请提供相关票据照片", "请补充具体时间和联系方式", "需来信人提供相关证明材料"]
    static let extensionReasons = ["需多部门现场联合勘察", "涉及工程施工，需协调排期", "需等待第三方检测结果"]
    static let supervisionNotes = ["请加快办理进度", "群众多次反映，请重点关注", "区领导批示督办"]
    static let transferReasons = ["经核实属于其他部门职责", "属地调整"]

    static let surnames = Array(
        "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段钱汤尹黎易常武乔贺赖龚文"
    ).map(String.init)
    static let givenChars = Array(
        "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红海燕俊峰玉淑珍凤子涵浩然欣怡宇轩梓萱鑫博文慧琳雪梅立新春生德福宝山金凤桂芝淑兰振江永利"
    ).map(String.init)
    static let mobilePrefixes = [
        "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "147", "150", "151", "152", "153", "155",
        "156", "157", "158", "159", "166", "173", "175", "176", "177", "178", "180", "181", "182", "183", "185", "186",
        "187", "188", "189", "191", "198", "199",
    ]
}
