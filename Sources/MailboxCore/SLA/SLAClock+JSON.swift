import Foundation

extension SLAClock {
    /// The clock as stored in `letters.sla_clock`: the same JSON the synthesized Codable reads,
    /// written by hand because JSONEncoder was a visible share of the intake's CPU.
    public var jsonText: String {
        var out = "{"
        if let closedAt { out += "\"closedAt\":" + MailboxJSON.quoted(MailboxJSON.formatTimestamp(closedAt)) + "," }
        out += "\"extensions\":["
        out += extensions.map { e in
            "{\"approvedAt\":\(MailboxJSON.quoted(MailboxJSON.formatTimestamp(e.approvedAt))),\"reason\":\(MailboxJSON.quoted(e.reason)),\"workingDays\":\(e.workingDays)}"
        }.joined(separator: ",")
        out += "],\"limitWorkingDays\":\(limitWorkingDays),\"pauses\":["
        out += pauses.map { p in
            var s = "{"
            if let end = p.end { s += "\"end\":" + MailboxJSON.quoted(MailboxJSON.formatTimestamp(end)) + "," }
            return s + "\"start\":" + MailboxJSON.quoted(MailboxJSON.formatTimestamp(p.start)) + "}"
        }.joined(separator: ",")
        out += "],\"receivedAt\":" + MailboxJSON.quoted(MailboxJSON.formatTimestamp(receivedAt))
        out += ",\"rule\":" + MailboxJSON.quoted(rule.rawValue)
        out += ",\"warningRatio\":\(warningRatio.isFinite ? warningRatio : 0.8)}"
        return out
    }
}
