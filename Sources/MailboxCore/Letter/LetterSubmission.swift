import Foundation

/// Limits on what a citizen may send; documented in docs/api.md and the OpenAPI contract.
public enum LetterLimits {
    public static let title = 100
    public static let body = 5000
    public static let writerName = 50
    public static let address = 200
    public static let town = 50
    public static let channelRef = 64
    public static let reply = 10000
}

/// A letter as it arrives, before validation: every field optional so that all problems
/// are reported together, each with its field name.
public struct LetterSubmission: Sendable, Decodable, Hashable {
    public var category: String?
    public var channel: String?
    public var title: String?
    public var body: String?
    public var writerName: String?
    public var phone: String?
    public var idCard: String?
    public var address: String?
    public var town: String?
    public var publishConsent: Bool?
    /// The app's own id of the letter (宜居密云 webhook only): the idempotency key.
    public var appLetterID: String?
    /// When the citizen pressed "submit" in the app (informational; the clock starts at receipt).
    public var submittedAt: Date?

    public init(
        category: String? = nil, channel: String? = nil, title: String? = nil, body: String? = nil,
        writerName: String? = nil, phone: String? = nil, idCard: String? = nil, address: String? = nil,
        town: String? = nil, publishConsent: Bool? = nil, appLetterID: String? = nil, submittedAt: Date? = nil
    ) {
        self.category = category
        self.channel = channel
        self.title = title
        self.body = body
        self.writerName = writerName
        self.phone = phone
        self.idCard = idCard
        self.address = address
        self.town = town
        self.publishConsent = publishConsent
        self.appLetterID = appLetterID
        self.submittedAt = submittedAt
    }

    enum CodingKeys: String, CodingKey {
        case category, channel, title, body, phone, address, town
        case writerName = "writer_name"
        case idCard = "id_card"
        case publishConsent = "publish_consent"
        case appLetterID = "app_letter_id"
        case submittedAt = "submitted_at"
    }
}

/// The validated content of a letter: normalised, trimmed, within limits.
public struct LetterContent: Sendable, Hashable, Codable {
    public var category: LetterCategory
    public var title: String
    public var body: String
    public var writerName: String
    /// Normalised phone (mobile 11 digits, or landline `010-12345678`).
    public var phone: String
    public var idCard: String?
    public var address: String?
    public var town: String?
    public var publishConsent: Bool

    public init(
        category: LetterCategory, title: String, body: String, writerName: String, phone: String,
        idCard: String? = nil, address: String? = nil, town: String? = nil, publishConsent: Bool
    ) {
        self.category = category
        self.title = title
        self.body = body
        self.writerName = writerName
        self.phone = phone
        self.idCard = idCard
        self.address = address
        self.town = town
        self.publishConsent = publishConsent
    }
}

/// Collects field errors while validating one object; `prefix` names nested paths.
public struct FieldValidator: Sendable {
    public private(set) var errors: [FieldError] = []
    let prefix: String

    public init(prefix: String = "") { self.prefix = prefix }

    public mutating func fail(_ field: String, _ message: String) {
        errors.append(FieldError(field: prefix + field, message: message))
    }

    /// A required single-line or multi-line text: trimmed, non-empty, at most `limit` characters,
    /// no control characters (line breaks and tabs only where `multiline`).
    public mutating func text(_ value: String?, _ field: String, limit: Int, multiline: Bool = false) -> String? {
        guard let value else {
            fail(field, "is required")
            return nil
        }
        return optionalText(value, field, limit: limit, multiline: multiline, required: true)
    }

    public mutating func optionalText(
        _ value: String?, _ field: String, limit: Int, multiline: Bool = false, required: Bool = false
    ) -> String? {
        guard let value else { return nil }
        // The length is that of the value sent, in Unicode code points, as JSON Schema's maxLength counts.
        let length = value.unicodeScalars.count
        if length > limit {
            fail(field, "must be at most \(limit) characters (got \(length))")
            return nil
        }
        let trimmed = value.trimmingASCIIWhitespace()
        if trimmed.isEmpty {
            if required { fail(field, "must not be empty") }
            return nil
        }
        if Self.hasForbiddenControl(trimmed, multiline: multiline) {
            fail(field, multiline ? "must not contain control characters" : "must be a single line without control characters")
            return nil
        }
        return trimmed
    }

    /// Control characters (general category Cc: U+0000–U+001F, U+007F–U+009F), in one pass over
    /// the UTF-8 bytes (U+0080–U+009F are C2 80–C2 9F); line breaks and tabs only where `multiline`.
    static func hasForbiddenControl(_ s: String, multiline: Bool) -> Bool {
        var previous: UInt8 = 0
        for b in s.utf8 {
            if b < 0x20 {
                if !(multiline && (b == 0x0A || b == 0x0D || b == 0x09)) { return true }
            } else if b == 0x7F || (previous == 0xC2 && b <= 0x9F && b >= 0x80) {
                return true
            }
            previous = b
        }
        return false
    }

    public mutating func enumValue<E: RawRepresentable & CaseIterable>(_ value: String?, _ field: String, as: E.Type) -> E?
    where E.RawValue == String {
        guard let value else {
            fail(field, "is required")
            return nil
        }
        guard let result = E(rawValue: value) else {
            fail(field, "must be one of \(E.allCases.map(\.rawValue).joined(separator: ", ")) (got \"\(value.prefix(40))\")")
            return nil
        }
        return result
    }

    public func finish() throws(ValidationFailure) {
        if !errors.isEmpty { throw ValidationFailure(errors) }
    }
}

extension LetterSubmission {
    /// Validates the citizen-written part of a letter. `validator` collects the errors so that
    /// callers can add their own fields' checks before finishing.
    public func content(_ v: inout FieldValidator) -> LetterContent? {
        let category = v.enumValue(category, "category", as: LetterCategory.self)
        let title = v.text(title, "title", limit: LetterLimits.title)
        let body = v.text(body, "body", limit: LetterLimits.body, multiline: true)
        let name = v.text(writerName, "writer_name", limit: LetterLimits.writerName)
        var phoneValue: String?
        if let phone {
            phoneValue = Identity.normalizedPhone(phone)
            if phoneValue == nil {
                v.fail("phone", "must be a mainland mobile number (11 digits starting 13–19) or a landline with area code, e.g. 010-69041234")
            }
        } else {
            v.fail("phone", "is required")
        }
        var idValue: String?
        if let idCard, !idCard.trimmingASCIIWhitespace().isEmpty {
            idValue = Identity.normalizedIDCard(idCard)
            if idValue == nil {
                v.fail("id_card", "must be an 18-character resident ID number with a valid birth date and check digit")
            }
        }
        let address = v.optionalText(address, "address", limit: LetterLimits.address)
        let town = v.optionalText(town, "town", limit: LetterLimits.town)
        if publishConsent == nil { v.fail("publish_consent", "is required (true or false)") }
        guard let category, let title, let body, let name, let phoneValue, let publishConsent,
            v.errors.isEmpty
        else { return nil }
        return LetterContent(
            category: category, title: title, body: body, writerName: name, phone: phoneValue,
            idCard: idValue, address: address, town: town, publishConsent: publishConsent)
    }

    /// Validation for `POST /v1/letters`: the portal (default) or staff typing a caller's letter.
    public func validatedForPortal() throws(ValidationFailure) -> (LetterContent, LetterChannel) {
        var v = FieldValidator()
        var channel = LetterChannel.portal
        if let raw = self.channel {
            switch LetterChannel(rawValue: raw) {
            case .portal?, .staff?: channel = LetterChannel(rawValue: raw)!
            case .app?: v.fail("channel", "app letters arrive through the signed webhook POST /v1/intake/app")
            case nil: v.fail("channel", "must be one of portal, staff (got \"\(raw.prefix(40))\")")
            }
        }
        if appLetterID != nil { v.fail("app_letter_id", "is only accepted on the app webhook") }
        let content = content(&v)
        try v.finish()
        return (content!, channel)
    }

    /// Validation for the app webhook: the content plus the app's own letter id.
    public func validatedForApp() throws(ValidationFailure) -> (LetterContent, appLetterID: String) {
        var v = FieldValidator()
        let ref = ChannelReference.validate(appLetterID, field: "app_letter_id", &v)
        if let channel, channel != LetterChannel.app.rawValue {
            v.fail("channel", "must be app or absent on the app webhook")
        }
        let content = content(&v)
        try v.finish()
        return (content!, ref!)
    }
}

/// A channel's own id of a letter: 1–64 characters of `A–Z a–z 0–9 . _ : -`.
public enum ChannelReference {
    public static func validate(_ value: String?, field: String, _ v: inout FieldValidator) -> String? {
        guard let value else {
            v.fail(field, "is required")
            return nil
        }
        let ok = !value.isEmpty && value.count <= LetterLimits.channelRef
            && value.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || ".-_:".unicodeScalars.contains($0)) }
        if !ok { v.fail(field, "must be 1–\(LetterLimits.channelRef) characters of A–Z a–z 0–9 . _ : -") }
        return ok ? value : nil
    }
}
