public import Crypto
public import Foundation
import MailboxCore
import NIOCore

/// Verifies the 宜居密云 app's webhook signature (docs/app-webhook.md):
/// `X-Mailbox-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>` and
/// `X-Mailbox-Timestamp` (Unix seconds) within ±window of our clock.
public struct WebhookVerifier: Sendable {
    let key: SymmetricKey
    public let window: Int

    public init(secret: String, windowSeconds: Int = 300) {
        key = SymmetricKey(data: Data(secret.utf8))
        window = windowSeconds
    }

    public enum Failure: Error, Equatable {
        case missingHeaders, badTimestamp, stale(skew: Int), badSignatureFormat, mismatch

        var detail: String {
            switch self {
            case .missingHeaders: "X-Mailbox-Timestamp and X-Mailbox-Signature are required."
            case .badTimestamp: "X-Mailbox-Timestamp must be Unix seconds."
            case .stale(let skew): "X-Mailbox-Timestamp is \(skew) s away from the server clock (allowed: the signing window)."
            case .badSignatureFormat: "X-Mailbox-Signature must be sha256=<64 lowercase hex digits>."
            case .mismatch: "The signature does not match the body."
            }
        }
    }

    /// Checks the timestamp window first, then the HMAC in constant time.
    public func verify(timestamp: String?, signature: String?, body: some DataProtocol, now: Date) throws(Failure) {
        guard let timestamp, let signature else { throw .missingHeaders }
        guard let ts = Int(timestamp), timestamp.count <= 12 else { throw .badTimestamp }
        let skew = Int(now.timeIntervalSince1970) - ts
        guard abs(skew) <= window else { throw .stale(skew: skew) }
        guard signature.hasPrefix("sha256="), let mac = Self.hexBytes(signature.dropFirst(7)), mac.count == 32 else {
            throw .badSignatureFormat
        }
        var message = Data(timestamp.utf8)
        message.append(UInt8(ascii: "."))
        message.append(contentsOf: body)
        guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: message, using: key) else { throw .mismatch }
    }

    /// The signature a sender computes; used by tests, the benchmark and docs examples.
    public static func sign(secret: String, timestamp: String, body: some DataProtocol) -> String {
        var message = Data(timestamp.utf8)
        message.append(UInt8(ascii: "."))
        message.append(contentsOf: body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + hex(mac)
    }

    /// A query code derived from the app's letter id, so a repeated delivery (a retry after a
    /// lost response) answers with the same code, which is still stored only as a hash.
    func derivedQueryCode(appLetterID: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("query-code:\(appLetterID)".utf8), using: key)
        return QueryCode.fromBytes(Array(mac))
    }

    /// Lowercase hex only, as the contract says.
    static func hexBytes(_ s: Substring) -> [UInt8]? {
        let u = Array(s.utf8)
        guard u.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: c - 48
            case 97...102: c - 87
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(u.count / 2)
        var i = 0
        while i < u.count {
            guard let high = nibble(u[i]), let low = nibble(u[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }
}

func hex(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
}

func sha256Hex(_ data: some DataProtocol) -> String { hex(SHA256.hash(data: data)) }

/// The stored citizen key: hex SHA-256 of the writer's cross-channel identity (docs/api.md).
func citizenKey(phone normalizedPhone: String) -> String {
    sha256Hex(Data(Identity.citizenIdentity(phone: normalizedPhone).utf8))
}

/// 查询码: the code a citizen needs with the tracking number to look a letter up.
/// 10 characters from 32 unambiguous ones (no 0/O/1/I): 50 bits.
public enum QueryCode {
    static let alphabet = Array("23456789ABCDEFGHJKLMNPQRSTUVWXYZ")
    public static let length = 10

    public static func random() -> String {
        var rng = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet[Int(rng.next(upperBound: UInt32(alphabet.count)))] })
    }

    static func fromBytes(_ bytes: [UInt8]) -> String {
        String(bytes.prefix(length).map { alphabet[Int($0) % alphabet.count] })
    }

    /// Case-insensitive, spaces and dashes ignored (codes are read out over the phone).
    public static func hash(_ code: String) -> String {
        sha256Hex(Data(code.uppercased().filter { $0 != " " && $0 != "-" }.utf8))
    }

    /// Constant-time comparison of two hex hashes.
    static func matches(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}
