/// Tracking numbers (查询编号): the Beijing receipt year, a dash and a serial from one sequence,
/// padded to 7 digits below 10,000,000 and written in full from there (2026-0000123, 2026-10000000).
/// PostgreSQL's `tracking_no_for` (migration 0010) writes them; this is the same rule for Swift.
public enum TrackingNumber {
    /// Imported numbers whose serial is above this never move the generator: a number that far ahead
    /// (an old system's own scheme, a typo) would otherwise burn a trillion serials at once.
    public static let reserveLimit: Int64 = 999_999_999_999

    public static func format(year: Int, serial: Int64) -> String {
        let digits = String(serial)
        return "\(year)-" + (digits.count >= 7 ? digits : String(repeating: "0", count: 7 - digits.count) + digits)
    }

    /// The serial the generator would have used to write `number`, or nil when no serial writes it:
    /// other shapes (2026-123, 2026-00000123, ABC-0000001) can never collide with a generated number.
    /// Serials above ``reserveLimit`` are nil too.
    public static func generatedSerial(of number: String) -> Int64? {
        let utf8 = Array(number.utf8)
        guard utf8.count >= 12, utf8[4] == UInt8(ascii: "-") else { return nil }
        let isDigit = { (c: UInt8) in c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
        guard utf8[..<4].allSatisfy(isDigit) else { return nil }
        let serialDigits = utf8[5...]
        guard serialDigits.allSatisfy(isDigit) else { return nil }
        // Seven digits are always padded; longer ones are written without leading zeros.
        if serialDigits.count > 7 && serialDigits.first == UInt8(ascii: "0") { return nil }
        guard serialDigits.count <= 12, let serial = Int64(String(decoding: serialDigits, as: UTF8.self)),
              serial > 0, serial <= reserveLimit else { return nil }
        return serial
    }
}
