/// 分办规则: sends a new letter straight to a department at intake when it matches.
/// A rule matches when every criterion it sets holds: the category, the town, and at least one
/// of its keywords in the title or body. Rules are tried by priority (lower first), then id.
public struct RoutingRule: Sendable, Hashable, Codable {
    public var id: Int64
    public var priority: Int
    public var category: LetterCategory?
    public var keywords: [String]
    public var town: String?
    public var departmentID: String
    public var enabled: Bool
    public var note: String?

    public init(id: Int64, priority: Int, category: LetterCategory? = nil, keywords: [String] = [], town: String? = nil,
                departmentID: String, enabled: Bool = true, note: String? = nil) {
        self.id = id
        self.priority = priority
        self.category = category
        self.keywords = keywords
        self.town = town
        self.departmentID = departmentID
        self.enabled = enabled
        self.note = note
    }

    /// A rule must narrow something: one that matched every letter would bypass triage entirely.
    public var hasCriterion: Bool { category != nil || town != nil || !keywords.isEmpty }

    public func matches(_ c: LetterContent) -> Bool {
        guard enabled, hasCriterion else { return false }
        if let category, category != c.category { return false }
        if let town, town != c.town { return false }
        if !keywords.isEmpty, !keywords.contains(where: { c.title.contains($0) || c.body.contains($0) }) { return false }
        return true
    }

    /// The first matching rule, or nil: the letter then waits in the triage queue.
    public static func firstMatch(_ rules: [RoutingRule], for content: LetterContent) -> RoutingRule? {
        rules.sorted { ($0.priority, $0.id) < ($1.priority, $1.id) }.first { $0.matches(content) }
    }

    /// Field rules for a rule sent by an admin (the department's existence is the store's check).
    public static func validate(priority: Int?, category: String?, keywords: [String]?, town: String?,
                                departmentID: String?, note: String?) throws(ValidationFailure) -> RoutingRule {
        var v = FieldValidator()
        if let p = priority, !(0...100_000).contains(p) { v.fail("priority", "must be 0–100000") }
        if priority == nil { v.fail("priority", "is required") }
        var cat: LetterCategory?
        if let category {
            cat = LetterCategory(rawValue: category)
            if cat == nil { v.fail("category", "must be one of " + LetterCategory.allCases.map(\.rawValue).joined(separator: ", ")) }
        }
        let words = (keywords ?? []).map { $0.trimmingASCIIWhitespace() }
        if words.count > 50 { v.fail("keywords", "at most 50 keywords") }
        for (i, w) in words.enumerated() where w.isEmpty || w.count > 50 {
            v.fail("keywords[\(i)]", "must be 1–50 characters")
        }
        if let town, town.trimmingASCIIWhitespace().isEmpty || town.count > 50 { v.fail("town", "must be 1–50 characters") }
        if departmentID == nil || departmentID!.isEmpty { v.fail("department_id", "is required") }
        if let note, note.count > 500 { v.fail("note", "at most 500 characters") }
        if cat == nil && town == nil && words.isEmpty && category == nil {
            v.fail("keywords", "a rule needs at least one of category, town or keywords")
        }
        try v.finish()
        return RoutingRule(id: 0, priority: priority!, category: cat, keywords: words, town: town, departmentID: departmentID!,
                           note: note)
    }
}
