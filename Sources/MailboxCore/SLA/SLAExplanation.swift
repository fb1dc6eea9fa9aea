import Foundation

/// Everything needed to show how a deadline was derived (期限计算说明), in Chinese and English.
/// Produced by ``SLAClock/explain(on:now:)``, which never throws: if the calendar lacks a needed date,
/// `calendarIncomplete` is true, `missingDates` names it, and nothing is guessed.
public struct SLAExplanation: Sendable, Codable, Hashable {
    /// A date in the counting window that does not count.
    public struct SkippedDay: Sendable, Codable, Hashable {
        public var date: LocalDate
        public var kind: DayKind
        public var name: String?
        public var reasonZH: String
        public var reasonEN: String
    }

    /// A working day inside the counting window.
    public struct CountedDay: Sendable, Codable, Hashable {
        public var date: LocalDate
        public var kind: DayKind
        public var name: String?
        /// True for a 调休上班 Saturday/Sunday that counts as a working day.
        public var isMakeupWorkday: Bool
        /// Business seconds of this day inside the window [counting start, due] (D for a full day).
        public var businessSeconds: Int
    }

    public struct PauseLine: Sendable, Codable, Hashable {
        public var start: Date
        public var end: Date?
        public var isOpen: Bool
        /// Business seconds of the pause after receipt (excluded from handling time); nil if unknown.
        public var businessSeconds: Int64?
        /// Business seconds by which this pause moves the deadline (pause time after counting starts).
        public var deadlineShiftSeconds: Int64?
    }

    public struct ExtensionLine: Sendable, Codable, Hashable {
        public var workingDays: Int
        public var approvedAt: Date
        public var reason: String
        public var businessSeconds: Int64
    }

    public var rule: CountingRule
    public var limitWorkingDays: Int
    public var warningRatio: Double
    public var businessHours: BusinessHours
    public var secondsPerWorkingDay: Int
    public var receivedAt: Date
    public var receivedOn: LocalDate
    /// nil when the receipt date is outside the calendar.
    public var receivedOnKind: DayKind?
    public var receivedOnName: String?
    /// The first day that counts (following_days: the first working day after the receipt date).
    public var countingStartsOn: LocalDate?
    public var skippedDays: [SkippedDay]
    public var countedDays: [CountedDay]
    public var pauses: [PauseLine]
    public var extensions: [ExtensionLine]
    public var dueAt: Date?
    public var dueOn: LocalDate?
    public var warnAt: Date?
    public var closedAt: Date?
    public var deadlineMet: Bool?
    public var isOverdue: Bool?
    public var isPaused: Bool
    public var elapsedBusinessSeconds: Int64?
    public var elapsedWorkingDays: Double?
    public var pausedBusinessSeconds: Int64?
    /// A date needed for the computation is not in the calendar.
    public var calendarIncomplete: Bool
    public var missingDates: [LocalDate]
    public var noteZH: String?
    public var noteEN: String?
    /// Citations of the State Council notices for the years involved.
    public var sources: [String]
    public var linesZH: [String]
    public var linesEN: [String]
    /// Computed on the plain weekday rule for years whose notice is not loaded (``provisionalYears``): the
    /// deadline is provisional and will be recomputed when the notice is imported.
    public var provisional: Bool = false
    public var provisionalYears: [Int] = []
}

extension SLAClock {
    /// Upper bound on the number of days listed in an explanation.
    static let explanationDayLimit = 400

    /// Explains the deadline on the announced calendar `cal`, or, when that lacks a year the computation needs, on
    /// `provisional` (`cal` extended by the plain weekday rule), marked provisional with the years it assumed.
    public func explain(on cal: WorkCalendar, provisional: WorkCalendar?, now: Date) -> SLAExplanation {
        let announced = explain(on: cal, now: now)
        guard announced.calendarIncomplete, let provisional else { return announced }
        var e = explain(on: provisional, now: now)
        guard !e.calendarIncomplete else { return announced }
        let last = max(e.dueOn ?? e.receivedOn, closedAt.map { provisional.localDate(of: $0) } ?? provisional.localDate(of: now))
        let years = provisional.provisionalYears.filter { $0 >= e.receivedOn.year && $0 <= last.year }
        e.provisional = true
        e.provisionalYears = years.isEmpty ? provisional.provisionalYears : years
        let list = e.provisionalYears.map(String.init)
        e.noteZH = "办理期限为临时计算：\(list.joined(separator: "、"))年的节假日安排尚未导入，暂按周一至周五为工作日、"
            + "不计节假日计算；导入国务院办公厅该年度节假日安排通知后将自动重新计算。"
        e.noteEN = "Provisional: the holiday notice for \(list.joined(separator: ", ")) is not loaded, so these days are counted "
            + "with Monday–Friday as working days and no holidays; the deadline is recomputed when the notice is imported."
        e.linesZH.insert(e.noteZH!, at: 0)
        e.linesEN.insert(e.noteEN!, at: 0)
        return e
    }

    /// Explains the deadline. Never throws; see ``SLAExplanation``.
    public func explain(on cal: WorkCalendar, now: Date) -> SLAExplanation {
        let d = cal.secondsPerWorkingDay
        let receivedOn = cal.localDate(of: receivedAt)
        let receivedDay = cal.day(receivedOn)
        var missing: [LocalDate] = []

        // Full computation, or — when it fails — the deadline alone if it does not depend on `now`.
        var comp: SLAClock.Computation?
        var elapsedKnown = true
        do {
            comp = try compute(on: cal, now: now)
        } catch {
            if case .outsideCoverage(let m) = error { missing.append(m) }
            elapsedKnown = false
            // The deadline may still be known when only the elapsed time needs the missing date.
            do {
                comp = try compute(on: cal, now: now, withElapsed: false)
            } catch {
                if case .outsideCoverage(let m2) = error, !missing.contains(m2) { missing.append(m2) }
            }
        }

        // Day lists over the counting window.
        var skipped: [SLAExplanation.SkippedDay] = []
        var counted: [SLAExplanation.CountedDay] = []
        let dueAt = comp?.dueAt
        let dueOn = dueAt.map { cal.localDate(of: $0) }
        if receivedDay != nil {
            let startPos: Int64
            if let c = comp {
                startPos = c.startPos
            } else if let w = try? cal.countingWindow(receivedAt: receivedAt, workingDays: limitWorkingDays, rule: rule) {
                startPos = w.start
            } else {
                startPos = 0
            }
            let duePos = comp?.duePos ?? Int64.max
            let lastDate = dueOn ?? cal.coverage!.upperBound
            let endNumber = min(lastDate.dayNumber, receivedOn.dayNumber + SLAClock.explanationDayLimit)
            for day in cal.days(from: receivedOn, to: LocalDate(dayNumber: endNumber)) {
                let i = day.date.dayNumber - cal.firstDay
                if day.date == receivedOn && rule == .followingDays {
                    skipped.append(.init(
                        date: day.date, kind: day.kind, name: day.name,
                        reasonZH: "收件当日，次日起算",
                        reasonEN: "day of receipt; counting starts the next working day"))
                    continue
                }
                if !day.isWorkingDay {
                    let (zh, en) = SLAClock.reason(for: day)
                    skipped.append(.init(date: day.date, kind: day.kind, name: day.name, reasonZH: zh, reasonEN: en))
                    continue
                }
                let dayStart = Int64(cal.workBefore[i]) * Int64(d)
                let overlap = max(0, min(dayStart + Int64(d), duePos) - max(dayStart, startPos))
                if overlap == 0 {
                    skipped.append(.init(
                        date: day.date, kind: day.kind, name: day.name,
                        reasonZH: "收件时已过当日办公时间", reasonEN: "received after business hours"))
                    continue
                }
                counted.append(.init(
                    date: day.date, kind: day.kind, name: day.name, isMakeupWorkday: day.kind == .makeupWorkday,
                    businessSeconds: Int(overlap)))
            }
        }
        var countingStartsOn = counted.first?.date
        if countingStartsOn == nil, rule == .followingDays {
            countingStartsOn = try? cal.workingDay(1, after: receivedOn)
        }

        let pauseLines = pauses.enumerated().map { (k, p) in
            SLAExplanation.PauseLine(
                start: p.start, end: p.end, isOpen: p.end == nil && closedAt == nil,
                businessSeconds: elapsedKnown ? comp?.pauseSeconds[k].elapsed : nil,
                deadlineShiftSeconds: comp?.pauseSeconds[k].shift)
        }
        let extensionLines = extensions.map {
            SLAExplanation.ExtensionLine(
                workingDays: $0.workingDays, approvedAt: $0.approvedAt, reason: $0.reason,
                businessSeconds: Int64($0.workingDays) * Int64(d))
        }
        let elapsed = elapsedKnown ? comp?.elapsed : nil
        let end = closedAt ?? now
        let incomplete = !missing.isEmpty
        let yearsInvolved = Set([receivedOn.year, (dueOn ?? receivedOn).year])
        let sources = cal.sources.filter { yearsInvolved.contains($0.year) }.map { "\($0.year): \($0.citation)" }

        var e = SLAExplanation(
            rule: rule, limitWorkingDays: limitWorkingDays, warningRatio: warningRatio,
            businessHours: cal.businessHours, secondsPerWorkingDay: d,
            receivedAt: receivedAt, receivedOn: receivedOn, receivedOnKind: receivedDay?.kind,
            receivedOnName: receivedDay?.name, countingStartsOn: countingStartsOn,
            skippedDays: skipped, countedDays: counted, pauses: pauseLines, extensions: extensionLines,
            dueAt: dueAt, dueOn: dueOn, warnAt: comp?.warnAt, closedAt: closedAt,
            deadlineMet: closedAt.flatMap { c in dueAt.map { c <= $0 } },
            isOverdue: dueAt.map { end > $0 }, isPaused: isPaused(at: now),
            elapsedBusinessSeconds: elapsed, elapsedWorkingDays: elapsed.map { Double($0) / Double(d) },
            pausedBusinessSeconds: elapsedKnown ? comp?.pausedTotal : nil,
            calendarIncomplete: incomplete, missingDates: missing,
            noteZH: incomplete
                ? "工作日历不完整：缺少 \(missing.map(\.description).joined(separator: "、")) 的节假日数据，"
                    + "无法可靠计算" + (dueAt == nil ? "办理期限" : "已用时间") + "。请导入国务院办公厅相应年度的节假日安排通知。"
                : nil,
            noteEN: incomplete
                ? "The working calendar is incomplete: no holiday data for \(missing.map(\.description).joined(separator: ", ")), "
                    + "so the " + (dueAt == nil ? "deadline" : "elapsed time") + " cannot be computed reliably. "
                    + "Import the State Council holiday notice for that year."
                : nil,
            sources: sources, linesZH: [], linesEN: [])
        (e.linesZH, e.linesEN) = SLAClock.lines(for: e, calendar: cal)
        return e
    }

    static func reason(for day: CalendarDay) -> (String, String) {
        switch day.kind {
        case .holiday:
            if let n = day.name {
                return ("法定节假日：\(n)", "public holiday: \(HolidayNames.english(n)) (\(n))")
            }
            return ("法定节假日", "public holiday")
        case .weekend: return ("周末休息", "weekend")
        default: return ("非工作日", "not a working day")
        }
    }

    static func lines(for e: SLAExplanation, calendar cal: WorkCalendar) -> ([String], [String]) {
        let f = { (t: Date) in TimeText.local(t, calendar: cal) }
        var zh: [String] = []
        var en: [String] = []
        let n = e.limitWorkingDays
        switch e.rule {
        case .followingDays:
            zh.append("计算规则：次日起算。办理时限 \(n) 个工作日，收件当日不计入，自下一个工作日起算，期满日 \(BusinessHours.clock(cal.businessHours.closingSecond)) 截止。")
            en.append("Rule: following days. Limit \(n) working day\(n == 1 ? "" : "s"); the day of receipt is not counted, counting starts on the next working day, due at \(BusinessHours.clock(cal.businessHours.closingSecond)) on the last day.")
        case .elapsed:
            zh.append("计算规则：按工作时长。办理时限 \(n) 个工作日，即自收件时起累计工作时间 \(TimeText.durationZH(Int64(n * e.secondsPerWorkingDay)))。")
            en.append("Rule: elapsed business time. Limit \(n) working day\(n == 1 ? "" : "s") = \(TimeText.durationEN(Int64(n * e.secondsPerWorkingDay))) of business time from receipt.")
        }
        zh.append("工作时间：\(cal.businessHours.text)（每个工作日 \(TimeText.durationZH(Int64(e.secondsPerWorkingDay)))，北京时间 UTC+8）。")
        en.append("Business hours: \(cal.businessHours.text) (\(TimeText.durationEN(Int64(e.secondsPerWorkingDay))) per working day, Beijing time UTC+8).")

        let kindZH = e.receivedOnKind.map { k in e.receivedOnName.map { "\(k.chineseName)，\($0)" } ?? k.chineseName } ?? "日历未覆盖"
        let kindEN = e.receivedOnKind.map { k in e.receivedOnName.map { "\(k.englishName), \(HolidayNames.english($0))" } ?? k.englishName } ?? "not in the calendar"
        zh.append("收件时间：\(f(e.receivedAt))（\(e.receivedOn.weekdayNameZH)，\(kindZH)）。")
        en.append("Received: \(f(e.receivedAt)) (\(e.receivedOn.weekdayNameEN), \(kindEN)).")

        // Skipped days, grouped into runs with the same reason.
        var runs: [(first: LocalDate, last: LocalDate, zh: String, en: String)] = []
        for s in e.skippedDays {
            if let r = runs.last, r.last.dayNumber + 1 == s.date.dayNumber, r.zh == s.reasonZH {
                runs[runs.count - 1].last = s.date
            } else {
                runs.append((s.date, s.date, s.reasonZH, s.reasonEN))
            }
        }
        for r in runs {
            let span = r.first == r.last ? "\(r.first)" : "\(r.first) 至 \(r.last)"
            let spanEN = r.first == r.last ? "\(r.first)" : "\(r.first) to \(r.last)"
            zh.append("不计入：\(span)（\(r.zh)）。")
            en.append("Not counted: \(spanEN) (\(r.en)).")
        }
        if let s = e.countingStartsOn {
            zh.append("起算日：\(s)（\(s.weekdayNameZH)）。")
            en.append("Counting starts on: \(s) (\(s.weekdayNameEN)).")
        }
        if !e.countedDays.isEmpty {
            let list = e.countedDays.map { c in
                c.businessSeconds == e.secondsPerWorkingDay ? "\(c.date)" : "\(c.date)（\(TimeText.durationZH(Int64(c.businessSeconds)))）"
            }
            let listEN = e.countedDays.map { c in
                c.businessSeconds == e.secondsPerWorkingDay ? "\(c.date)" : "\(c.date) (\(TimeText.durationEN(Int64(c.businessSeconds))))"
            }
            zh.append("计入的工作日（共 \(e.countedDays.count) 天）：\(list.joined(separator: "、"))。")
            en.append("Working days counted (\(e.countedDays.count)): \(listEN.joined(separator: ", ")).")
            for c in e.countedDays where c.isMakeupWorkday {
                let nm = c.name.map { "（\($0)）" } ?? ""
                zh.append("其中 \(c.date)（\(c.date.weekdayNameZH)）为调休上班日\(nm)，按工作日计入。")
                en.append("\(c.date) (\(c.date.weekdayNameEN)) is a make-up workday\(c.name.map { " (\(HolidayNames.english($0)))" } ?? "") and counts as a working day.")
            }
        }
        for p in e.pauses {
            let endZH = p.end.map { f($0) } ?? "至今（暂停中）"
            let endEN = p.end.map { f($0) } ?? "now (still paused)"
            let secs = p.deadlineShiftSeconds.map { "，期限顺延工作时间 \(TimeText.durationZH($0))" } ?? ""
            let secsEN = p.deadlineShiftSeconds.map { "; deadline moved by \(TimeText.durationEN($0)) of business time" } ?? ""
            zh.append("待补充暂停：\(f(p.start)) 至 \(endZH)\(secs)。")
            en.append("Paused awaiting the citizen: \(f(p.start)) to \(endEN)\(secsEN).")
        }
        for x in e.extensions {
            zh.append("延期：\(x.workingDays) 个工作日（\(f(x.approvedAt)) 批准，理由：\(x.reason)）。")
            en.append("Extension: \(x.workingDays) working day\(x.workingDays == 1 ? "" : "s") (approved \(f(x.approvedAt)), reason: \(x.reason)).")
        }
        if let due = e.dueAt {
            zh.append("办理期限：\(f(due))。")
            en.append("Due: \(f(due)).")
        }
        if let w = e.warnAt {
            zh.append("预警时间：\(f(w))（已用允许时间的 \(Int((e.warningRatio * 100).rounded()))%）。")
            en.append("Warning at: \(f(w)) (\(Int((e.warningRatio * 100).rounded()))% of the allowed time).")
        }
        if let el = e.elapsedBusinessSeconds {
            let days = String(format: "%.2f", Double(el) / Double(e.secondsPerWorkingDay))
            let paused = (e.pausedBusinessSeconds ?? 0) > 0 ? "，不含暂停 \(TimeText.durationZH(e.pausedBusinessSeconds!))" : ""
            let pausedEN = (e.pausedBusinessSeconds ?? 0) > 0 ? ", excluding \(TimeText.durationEN(e.pausedBusinessSeconds!)) paused" : ""
            zh.append("已用工作时间：\(TimeText.durationZH(el))（约 \(days) 个工作日\(paused)）。")
            en.append("Business time used: \(TimeText.durationEN(el)) (≈ \(days) working days\(pausedEN)).")
        }
        if let c = e.closedAt {
            switch e.deadlineMet {
            case true?:
                zh.append("办结时间：\(f(c))，按期办结。")
                en.append("Closed: \(f(c)), within the deadline.")
            case false?:
                zh.append("办结时间：\(f(c))，超期办结。")
                en.append("Closed: \(f(c)), after the deadline.")
            case nil:
                zh.append("办结时间：\(f(c))。")
                en.append("Closed: \(f(c)).")
            }
        } else if e.isOverdue == true {
            zh.append("当前状态：已超期。")
            en.append("Status: overdue.")
        } else if e.isPaused {
            zh.append("当前状态：待补充，计时暂停。")
            en.append("Status: paused, awaiting the citizen.")
        }
        if let z = e.noteZH { zh.append(z) }
        if let x = e.noteEN { en.append(x) }
        if !e.sources.isEmpty {
            zh.append("节假日依据：\(e.sources.joined(separator: "；"))。")
            en.append("Holiday source: \(e.sources.joined(separator: "; ")).")
        }
        return (zh, en)
    }
}

/// English names for the Chinese holiday names used in the calendar file.
public enum HolidayNames {
    static let table: [(String, String)] = [
        ("元旦", "New Year's Day"), ("春节", "Spring Festival"), ("清明节", "Qingming Festival"),
        ("劳动节", "Labour Day"), ("端午节", "Dragon Boat Festival"), ("中秋节", "Mid-Autumn Festival"),
        ("国庆节", "National Day"),
    ]

    /// "春节" → "Spring Festival"; "国庆节、中秋节调休" → "National Day & Mid-Autumn Festival make-up workday";
    /// unknown names are returned unchanged.
    public static func english(_ zh: String) -> String {
        var base = zh
        var suffix = ""
        if base.hasSuffix("调休") {
            base = String(base.dropLast(2))
            suffix = " make-up workday"
        }
        let parts = base.split(separator: "、").map { p in table.first { $0.0 == p }?.1 ?? String(p) }
        return parts.joined(separator: " & ") + suffix
    }
}

/// Formatting of instants and durations for explanations.
enum TimeText {
    /// "2024-10-08 17:30" in the calendar's local time (seconds shown when not zero).
    static func local(_ t: Date, calendar cal: WorkCalendar) -> String {
        "\(cal.localDate(of: t)) \(BusinessHours.clock(cal.secondOfDay(of: t)))"
    }

    static func durationZH(_ s: Int64) -> String {
        let h = s / 3600, m = (s % 3600) / 60, sec = s % 60
        var t = ""
        if h > 0 { t += "\(h)小时" }
        if m > 0 { t += "\(m)分钟" }
        if sec > 0 || t.isEmpty { t += "\(sec)秒" }
        return t
    }

    static func durationEN(_ s: Int64) -> String {
        let h = s / 3600, m = (s % 3600) / 60, sec = s % 60
        var parts: [String] = []
        if h > 0 { parts.append("\(h) h") }
        if m > 0 { parts.append("\(m) min") }
        if sec > 0 || parts.isEmpty { parts.append("\(sec) s") }
        return parts.joined(separator: " ")
    }
}
