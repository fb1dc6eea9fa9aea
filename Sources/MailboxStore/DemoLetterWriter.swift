public import Foundation
import Crypto

/// Hashing for `mailbox demo generate` (docs/demo-data.md): the citizen key and the
/// hash chain of `letter_events`, computed in Swift so that generated events can be loaded by
/// COPY with the chain trigger switched off for that session. The formulas are those of the
/// SQL function `letter_event_hash` (migration 0005); the generator checks them with SQL.
public enum DemoLetterWriter {
    /// The `prev_hash` of a letter's first event.
    public static let zeroHash = [UInt8](repeating: 0, count: 32)

    public static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(data: bytes))
    }

    /// Lower-case hex of SHA-256 over the UTF-8 of `text` (as MailboxAPI's `citizenKey(phone:)`).
    public static func sha256Hex(_ text: String) -> String {
        hex(Array(SHA256.hash(data: Array(text.utf8))))
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `letter_event_hash(prev, letter_id, version, kind, occurred_at, actor, actor_role, public, data)`:
    /// sha256(prev || utf8(concat_ws('|', letter_id, version, kind, occurred_at as
    /// YYYY-MM-DDTHH:MM:SS.ffffffZ in UTC, actor, coalesce(actor_role, ''), public::text, data::text))).
    ///
    /// `occurredAtMicros` is microseconds since 1970 (UTC); `dataText` must be the jsonb's
    /// canonical text (`data::text`), which is what the SQL side hashes.
    public static func eventHash(prev: [UInt8], letterID: Int64, version: Int, kind: String, occurredAtMicros: Int64,
                                 actor: String, actorRole: String?, isPublic: Bool, dataText: String) -> [UInt8] {
        var bytes = prev
        bytes.reserveCapacity(prev.count + 96 + dataText.utf8.count)
        bytes.append(contentsOf: "\(letterID)|\(version)|\(kind)|".utf8)
        bytes.append(contentsOf: hashTimestamp(occurredAtMicros).utf8)
        bytes.append(UInt8(ascii: "|"))
        bytes.append(contentsOf: actor.utf8)
        bytes.append(UInt8(ascii: "|"))
        bytes.append(contentsOf: (actorRole ?? "").utf8)
        bytes.append(contentsOf: (isPublic ? "|true|" : "|false|").utf8)
        bytes.append(contentsOf: dataText.utf8)
        return sha256(bytes)
    }

    /// `to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.
    public static func hashTimestamp(_ micros: Int64) -> String {
        let (date, time) = utcParts(micros)
        return date + "T" + time + "Z"
    }

    /// `2026-03-02 01:30:00.123456+00`: a timestamptz in COPY text input form.
    public static func copyTimestamp(_ micros: Int64) -> String {
        let (date, time) = utcParts(micros)
        return date + " " + time + "+00"
    }

    static func utcParts(_ micros: Int64) -> (String, String) {
        let us = ((micros % 1_000_000) + 1_000_000) % 1_000_000
        let secs = (micros - us) / 1_000_000
        let sod = ((secs % 86400) + 86400) % 86400
        let days = (secs - sod) / 86400
        let (y, m, d) = civil(Int(days))
        func pad(_ v: Int64, _ w: Int) -> String {
            let s = String(v)
            return s.count >= w ? s : String(repeating: "0", count: w - s.count) + s
        }
        return (pad(Int64(y), 4) + "-" + pad(Int64(m), 2) + "-" + pad(Int64(d), 2),
                pad(sod / 3600, 2) + ":" + pad(sod / 60 % 60, 2) + ":" + pad(sod % 60, 2) + "." + pad(us, 6))
    }

    /// Howard Hinnant's civil_from_days.
    static func civil(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}
