import Foundation

/// A pause of the SLA clock while waiting for the citizen (待补充). `end == nil`: still paused (counts up to `now`).
public struct SLAPause: Sendable, Codable, Hashable {
    public var start: Date
    public var end: Date?
    public init(start: Date, end: Date? = nil) {
        self.start = start
        self.end = end
    }
}

/// An approved extension (延期): adds `workingDays` × D business seconds to the due position.
public struct SLAExtension: Sendable, Codable, Hashable {
    public var workingDays: Int
    public var approvedAt: Date
    public var reason: String
    public init(workingDays: Int, approvedAt: Date, reason: String) {
        self.workingDays = workingDays
        self.approvedAt = approvedAt
        self.reason = reason
    }
}

/// The state of an SLA clock at an instant.
public struct SLAStatus: Sendable, Hashable {
    /// 办理期限.
    public var dueAt: Date
    /// 预警时间.
    public var warnAt: Date
    /// Business seconds from receipt to `closedAt` (else `now`), pauses excluded.
    public var elapsedBusinessSeconds: Int64
    /// Business seconds paused (after receipt, up to `closedAt`/`now`).
    public var pausedBusinessSeconds: Int64
    /// Business seconds the pauses moved the deadline (pause time after counting starts).
    public var deadlineShiftBusinessSeconds: Int64
    /// Business seconds added by extensions.
    public var extensionBusinessSeconds: Int64
    /// An open pause covers `now` (and the letter is not closed).
    public var isPaused: Bool
    /// Only for closed letters: closedAt ≤ dueAt.
    public var deadlineMet: Bool?
    /// (closedAt ?? now) > dueAt.
    public var isOverdue: Bool
    /// Open, not overdue, and now ≥ warnAt.
    public var isWarning: Bool
    /// elapsedBusinessSeconds ÷ D (办理用时，工作日).
    public var handlingWorkingDays: Double

    public init(
        dueAt: Date, warnAt: Date, elapsedBusinessSeconds: Int64, pausedBusinessSeconds: Int64,
        deadlineShiftBusinessSeconds: Int64, extensionBusinessSeconds: Int64, isPaused: Bool, deadlineMet: Bool?,
        isOverdue: Bool, isWarning: Bool, handlingWorkingDays: Double
    ) {
        self.dueAt = dueAt
        self.warnAt = warnAt
        self.elapsedBusinessSeconds = elapsedBusinessSeconds
        self.pausedBusinessSeconds = pausedBusinessSeconds
        self.deadlineShiftBusinessSeconds = deadlineShiftBusinessSeconds
        self.extensionBusinessSeconds = extensionBusinessSeconds
        self.isPaused = isPaused
        self.deadlineMet = deadlineMet
        self.isOverdue = isOverdue
        self.isWarning = isWarning
        self.handlingWorkingDays = handlingWorkingDays
    }
}

/// The SLA clock of one letter (办理时限计时). Pure value: evaluate it against a calendar at an instant.
///
/// duePos = basePos + Σ paused business seconds (after counting starts) + Σ extension days × D;
/// warnPos = startPos + ⌊warningRatio × (duePos − startPos)⌋; see docs/sla.md.
public struct SLAClock: Sendable, Codable, Hashable {
    public var receivedAt: Date
    public var rule: CountingRule
    public var limitWorkingDays: Int
    public var warningRatio: Double
    public var pauses: [SLAPause]
    public var extensions: [SLAExtension]
    public var closedAt: Date?

    public init(
        receivedAt: Date, rule: CountingRule = .followingDays, limitWorkingDays: Int, warningRatio: Double = 0.8,
        pauses: [SLAPause] = [], extensions: [SLAExtension] = [], closedAt: Date? = nil
    ) {
        self.receivedAt = receivedAt
        self.rule = rule
        self.limitWorkingDays = limitWorkingDays
        self.warningRatio = warningRatio
        self.pauses = pauses
        self.extensions = extensions
        self.closedAt = closedAt
    }

    /// A clock following a policy.
    public init(receivedAt: Date, policy: SLAPolicy) {
        self.init(
            receivedAt: receivedAt, rule: policy.rule, limitWorkingDays: policy.limitWorkingDays,
            warningRatio: policy.warningRatio)
    }

    /// Business-second bookkeeping shared by `evaluate` and `explain`.
    struct Computation {
        var receiptPos: Int64
        var startPos: Int64
        var basePos: Int64
        var duePos: Int64
        var warnPos: Int64
        /// Per pause (same order as `pauses`): business seconds after receipt, and after counting start.
        var pauseSeconds: [(elapsed: Int64, shift: Int64)]
        var pausedTotal: Int64
        var shiftTotal: Int64
        var extensionTotal: Int64
        var dueAt: Date
        var warnAt: Date
        var elapsed: Int64
    }

    func compute(on cal: WorkCalendar, now: Date, withElapsed: Bool = true) throws(CalendarError) -> Computation {
        let d = Int64(cal.secondsPerWorkingDay)
        let window = try cal.countingWindow(receivedAt: receivedAt, workingDays: limitWorkingDays, rule: rule)
        let receiptPos = rule == .elapsed ? window.start : try cal.businessPosition(of: receivedAt)
        let end = closedAt ?? now

        var pauseSeconds: [(elapsed: Int64, shift: Int64)] = []
        var pausedTotal: Int64 = 0
        var shiftTotal: Int64 = 0
        if !pauses.isEmpty {
            var elapsedIntervals: [(Int64, Int64)] = []
            var shiftIntervals: [(Int64, Int64)] = []
            pauseSeconds.reserveCapacity(pauses.count)
            for p in pauses {
                let s = max(p.start, receivedAt)
                var e = p.end ?? now
                if let c = closedAt { e = min(e, c) }
                guard s < e else {
                    pauseSeconds.append((0, 0))
                    continue
                }
                let ps = try cal.businessPosition(of: s)
                let pe = try cal.businessPosition(of: e)
                let peElapsed = e > end && withElapsed ? try cal.businessPosition(of: end) : pe
                let el = (max(ps, receiptPos), peElapsed)
                let sh = (max(ps, window.start), pe)
                pauseSeconds.append((max(0, el.1 - el.0), max(0, sh.1 - sh.0)))
                if el.1 > el.0 { elapsedIntervals.append(el) }
                if sh.1 > sh.0 { shiftIntervals.append(sh) }
            }
            pausedTotal = SLAClock.unionLength(elapsedIntervals)
            shiftTotal = SLAClock.unionLength(shiftIntervals)
        }
        var extensionDays: Int64 = 0
        for x in extensions { extensionDays += Int64(x.workingDays) }
        let extensionTotal = extensionDays * d

        let duePos = window.due + shiftTotal + extensionTotal
        let ratio = warningRatio.isNaN ? 1 : min(1, max(0, warningRatio))
        let warnPos = window.start + Int64((ratio * Double(duePos - window.start)).rounded(.down))
        let dueAt = try cal.instant(atBusinessPosition: duePos)
        let warnAt = try cal.instant(atBusinessPosition: warnPos)

        var elapsed: Int64 = 0
        if withElapsed, end > receivedAt {
            elapsed = max(0, try cal.businessPosition(of: end) - receiptPos - pausedTotal)
        }
        return Computation(
            receiptPos: receiptPos, startPos: window.start, basePos: window.due, duePos: duePos, warnPos: warnPos,
            pauseSeconds: pauseSeconds, pausedTotal: pausedTotal, shiftTotal: shiftTotal,
            extensionTotal: extensionTotal, dueAt: dueAt, warnAt: warnAt, elapsed: elapsed)
    }

    /// Length of the union of half-open intervals.
    static func unionLength(_ intervals: [(Int64, Int64)]) -> Int64 {
        if intervals.count == 1 { return intervals[0].1 - intervals[0].0 }
        var total: Int64 = 0
        var curStart = Int64.min, curEnd = Int64.min
        for (s, e) in intervals.sorted(by: { $0.0 < $1.0 }) {
            if s > curEnd {
                if curEnd > curStart { total += curEnd - curStart }
                curStart = s
                curEnd = e
            } else if e > curEnd {
                curEnd = e
            }
        }
        if curEnd > curStart { total += curEnd - curStart }
        return total
    }

    /// Whether an open pause covers `now` (never for a closed letter).
    public func isPaused(at now: Date) -> Bool {
        guard closedAt == nil else { return false }
        return pauses.contains { $0.start <= now && ($0.end.map { $0 > now } ?? true) }
    }

    /// Evaluates on the announced calendar `cal`; when that lacks a year the computation needs, on `provisional`
    /// (`cal` extended by ``WorkCalendar/withProvisionalYears(through:)``) and says so: no letter is left without a
    /// deadline because a year's notice is not out yet. nil only when neither calendar covers the dates (a receipt
    /// before the first announced year).
    public func evaluate(on cal: WorkCalendar, provisional: WorkCalendar?, now: Date) -> (status: SLAStatus, provisional: Bool)? {
        if let status = try? evaluate(on: cal, now: now) { return (status, false) }
        guard let provisional, let status = try? evaluate(on: provisional, now: now) else { return nil }
        return (status, true)
    }

    /// Evaluates the clock at `now`. Throws `.outsideCoverage(date)` when any needed date (receipt, pause
    /// bounds, now/closure, or the deadline itself) is outside the calendar. O(1) without pauses.
    public func evaluate(on cal: WorkCalendar, now: Date) throws(CalendarError) -> SLAStatus {
        let c = try compute(on: cal, now: now)
        let end = closedAt ?? now
        return SLAStatus(
            dueAt: c.dueAt, warnAt: c.warnAt, elapsedBusinessSeconds: c.elapsed, pausedBusinessSeconds: c.pausedTotal,
            deadlineShiftBusinessSeconds: c.shiftTotal, extensionBusinessSeconds: c.extensionTotal,
            isPaused: isPaused(at: now), deadlineMet: closedAt.map { $0 <= c.dueAt },
            isOverdue: end > c.dueAt, isWarning: closedAt == nil && now >= c.warnAt && now <= c.dueAt,
            handlingWorkingDays: Double(c.elapsed) / Double(cal.secondsPerWorkingDay))
    }
}
