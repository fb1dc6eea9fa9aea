/// One occurrence of a list entry in a checked text, located in the original (un-normalised) text so an
/// editor can highlight it and offer the suggestion.
///
/// `offset`/`length` count Unicode scalars, `utf8Offset`/`utf8Length` bytes of UTF-8; both describe the
/// same span, from the first to the last scalar that matched (ignored characters in between are included).
public struct TextFinding: Sendable, Hashable, Codable {
    /// Name of the list the entry belongs to.
    public var list: String
    /// The entry's pattern as written in the list.
    public var pattern: String
    /// The original text of the span (bytes that were not valid UTF-8 read as U+FFFD).
    public var matched: String
    public var suggestion: String?
    public var offset: Int
    public var length: Int
    public var utf8Offset: Int
    public var utf8Length: Int

    public init(list: String, pattern: String, matched: String, suggestion: String?,
                offset: Int, length: Int, utf8Offset: Int, utf8Length: Int) {
        self.list = list
        self.pattern = pattern
        self.matched = matched
        self.suggestion = suggestion
        self.offset = offset
        self.length = length
        self.utf8Offset = utf8Offset
        self.utf8Length = utf8Length
    }

    enum CodingKeys: String, CodingKey {
        case list, pattern, matched, suggestion, offset, length
        case utf8Offset = "utf8_offset"
        case utf8Length = "utf8_length"
    }
}
