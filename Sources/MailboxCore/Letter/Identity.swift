/// Rules for the writer's contact data: mainland phone numbers and resident ID numbers (GB 11643).
public enum Identity {
    /// Normalises a phone number: mobile `13800138000` (optional +86/86 prefix, spaces or dashes
    /// allowed) or landline with area code `010-12345678`. Returns nil when it is not one.
    public static func normalizedPhone(_ raw: String) -> String? {
        var s = raw.filter { $0 != " " }
        if s.hasPrefix("+86") { s.removeFirst(3) } else if s.hasPrefix("0086") { s.removeFirst(4) }
        let digitsAndDashes = s.allSatisfy { $0.isASCII && ($0.isNumber || $0 == "-") }
        guard digitsAndDashes, !s.isEmpty else { return nil }
        let digits = s.filter { $0 != "-" }
        if digits.count == 13, digits.hasPrefix("86"), isMobile(String(digits.dropFirst(2))) {
            return String(digits.dropFirst(2))
        }
        if isMobile(digits) { return digits }
        // Landline: 0 + area code (2–3 digits after the 0) + 7–8 digit subscriber number.
        if digits.first == "0", (10...12).contains(digits.count) {
            let parts = s.split(separator: "-", omittingEmptySubsequences: false)
            if parts.count > 2 { return nil }
            if parts.count == 2 {
                guard (3...4).contains(parts[0].count), (7...8).contains(parts[1].count) else { return nil }
                return "\(parts[0])-\(parts[1])"
            }
            return digits
        }
        return nil
    }

    static func isMobile(_ digits: String) -> Bool {
        let u = Array(digits.utf8)
        return u.count == 11 && u[0] == UInt8(ascii: "1") && (UInt8(ascii: "3")...UInt8(ascii: "9")).contains(u[1])
            && u.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// Validates an 18-character resident ID number: 17 digits, a check character (0–9 or X)
    /// that matches the ISO 7064 MOD 11-2 checksum, and a real birth date. Returns it upper-cased.
    public static func normalizedIDCard(_ raw: String) -> String? {
        let s = raw.trimmingASCIIWhitespace().uppercased()
        let u = Array(s.utf8)
        guard u.count == 18 else { return nil }
        let zero = UInt8(ascii: "0")
        var digits: [Int] = []
        for c in u.prefix(17) {
            guard (zero...zero + 9).contains(c) else { return nil }
            digits.append(Int(c - zero))
        }
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(digits, weights).reduce(0) { $0 + $1.0 * $1.1 }
        let check = Array("10X98765432".utf8)[sum % 11]
        guard u[17] == check else { return nil }
        let year = digits[6] * 1000 + digits[7] * 100 + digits[8] * 10 + digits[9]
        let month = digits[10] * 10 + digits[11]
        let day = digits[12] * 10 + digits[13]
        guard (1900...2100).contains(year), (1...12).contains(month), day >= 1,
            day <= daysInMonth(year: year, month: month)
        else { return nil }
        return s
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// The identity a citizen is known by across channels: the normalised phone number
    /// (both the portal and the 宜居密云 app verify it by SMS). Hashed before it is stored.
    public static func citizenIdentity(phone normalizedPhone: String) -> String {
        "phone:" + normalizedPhone.filter { $0 != "-" }
    }
}

/// 脱敏: masking of personal data for anything shown beyond the handling staff.
public enum Masking {
    /// `13800138000` → `138****8000`; landlines keep area code and last 2 digits.
    public static func phone(_ phone: String) -> String {
        let chars = Array(phone)
        if chars.count == 11, !phone.contains("-") {
            return String(chars[0..<3]) + "****" + String(chars[7...])
        }
        guard chars.count > 4 else { return String(repeating: "*", count: chars.count) }
        let keepHead = phone.firstIndex(of: "-").map { phone.distance(from: phone.startIndex, to: $0) + 1 } ?? 3
        return String(chars[0..<keepHead]) + String(repeating: "*", count: max(0, chars.count - keepHead - 2))
            + String(chars[(chars.count - 2)...])
    }

    /// `110101199003077578` → `110101********7578`.
    public static func idCard(_ id: String) -> String {
        let chars = Array(id)
        guard chars.count > 10 else { return String(repeating: "*", count: chars.count) }
        return String(chars[0..<6]) + String(repeating: "*", count: chars.count - 10) + String(chars[(chars.count - 4)...])
    }

    /// `北京市密云区鼓楼街道某小区3号楼` → `北京市密云区****`: the first six characters (district level).
    public static func address(_ address: String) -> String {
        address.count <= 6 ? String(repeating: "*", count: address.count) : String(address.prefix(6)) + "****"
    }

    /// `张三丰` → `张**`; a one-character name becomes `*`.
    public static func name(_ name: String) -> String {
        guard let first = name.first, name.count > 1 else { return "*" }
        return String(first) + String(repeating: "*", count: name.count - 1)
    }
}

extension String {
    func trimmingASCIIWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
