/// How the text checker compares text: which scalars matching looks through and how the others fold,
/// so that "法 轮功", "习近\u{200B}平" and "ＡＢＣ" compare like "法轮功", "习近平" and "abc".
///
/// Only these foldings are applied — no NFKC, no traditional/simplified mapping, no pinyin.
public enum TextNormalizer {
    /// True for scalars matching skips: zero-width characters (U+200B…U+200D, U+2060, U+FEFF),
    /// the soft hyphen U+00AD and whitespace, including line breaks and the ideographic space U+3000.
    @inlinable
    public static func isIgnorable(_ value: UInt32) -> Bool {
        switch value {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0xAD, 0x1680, 0x2000...0x200D, 0x2028, 0x2029, 0x202F, 0x205F,
             0x2060, 0x3000, 0xFEFF:
            return true
        default:
            return false
        }
    }

    /// The scalar a non-ignorable scalar compares as: full-width forms U+FF01…U+FF5E become ASCII,
    /// then ASCII capitals become lower case; everything else is itself.
    @inlinable
    public static func folded(_ value: UInt32) -> UInt32 {
        var v = value
        if v >= 0xFF01 && v <= 0xFF5E { v -= 0xFEE0 }
        if v >= 0x41 && v <= 0x5A { v += 0x20 }
        return v
    }

    /// The scalars `text` is matched as: ignorable scalars dropped, the rest folded.
    public static func normalizedScalars(_ text: String) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(text.utf8.count / 2)
        for scalar in text.unicodeScalars where !isIgnorable(scalar.value) {
            out.append(folded(scalar.value))
        }
        return out
    }

    /// `normalizedScalars(text)` as a string, for display and for comparing list entries.
    public static func normalized(_ text: String) -> String {
        var view = String.UnicodeScalarView()
        for v in normalizedScalars(text) { view.append(Unicode.Scalar(v)!) }
        return String(view)
    }
}
