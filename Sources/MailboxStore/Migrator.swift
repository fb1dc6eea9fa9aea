import Crypto
import Foundation
public import Logging
public import PostgresNIO

/// One numbered file of sql/migrations: `NNNN_name.sql` (plain SQL) or `NNNN_name.calendar`
/// (a State Council holiday notice in the calendar text format, docs/sla.md).
public struct Migration: Sendable, Hashable {
    public enum Kind: String, Sendable { case sql, calendar }
    public var version: Int
    public var name: String
    public var kind: Kind
    public var text: String
    /// Hex SHA-256 of the file's bytes; an applied file whose checksum changed is refused.
    public var checksum: String

    public init(version: Int, name: String, kind: Kind, text: String) {
        self.version = version
        self.name = name
        self.kind = kind
        self.text = text
        self.checksum = SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

public enum MigrationError: Error, CustomStringConvertible {
    case badFileName(String)
    case duplicateVersion(Int)
    case unreadable(String, String)
    case checksumMismatch(version: Int, name: String, applied: String, onDisk: String)
    case unknownApplied(version: Int, name: String)
    case failed(version: Int, name: String, reason: String)

    public var description: String {
        switch self {
        case .badFileName(let f): "migration file \(f) must be named NNNN_name.sql or NNNN_name.calendar"
        case .duplicateVersion(let v): "two migration files share version \(v)"
        case .unreadable(let f, let why): "cannot read migration \(f): \(why)"
        case .checksumMismatch(let v, let n, let a, let d):
            "migration \(String(format: "%04d", v))_\(n) was changed after it was applied (checksum applied \(a.prefix(12))…, on disk \(d.prefix(12))…); never edit an applied migration, add a new one"
        case .unknownApplied(let v, let n): "the database has migration \(v) (\(n)) that is not on disk: is this binary older than the database?"
        case .failed(let v, let n, let why): "migration \(String(format: "%04d", v))_\(n) failed and was rolled back: \(why)"
        }
    }
}

/// Applies sql/migrations in order, each file in one transaction, recording version, name and
/// checksum in schema_migrations. An advisory lock keeps two instances from migrating at once.
public struct Migrator: Sendable {
    public let migrations: [Migration]

    public init(migrations: [Migration]) throws(MigrationError) {
        var seen = Set<Int>()
        for m in migrations where !seen.insert(m.version).inserted { throw .duplicateVersion(m.version) }
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// Reads `NNNN_name.sql` / `NNNN_name.calendar` files from a directory.
    public init(directory: URL) throws(MigrationError) {
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw .unreadable(directory.path, "\(error)")
        }
        var result: [Migration] = []
        for file in files.sorted() where !file.hasPrefix(".") {
            let url = directory.appendingPathComponent(file)
            let ext = url.pathExtension
            guard let kind = Migration.Kind(rawValue: ext) else { continue }
            let base = url.deletingPathExtension().lastPathComponent
            let parts = base.split(separator: "_", maxSplits: 1)
            guard parts.count == 2, parts[0].count == 4, let version = Int(parts[0]) else { throw .badFileName(file) }
            guard let data = FileManager.default.contents(atPath: url.path),
                let text = String(data: data, encoding: .utf8)
            else { throw .unreadable(file, "not readable UTF-8") }
            result.append(Migration(version: version, name: String(parts[1]), kind: kind, text: text))
        }
        try self.init(migrations: result)
    }

    /// Applies what is missing; returns the migrations applied by this call.
    @discardableResult
    public func migrate(client: PostgresClient, logger: Logger) async throws -> [Migration] {
        try await client.withConnection { connection in
            _ = try await connection.query("SELECT pg_advisory_lock(7261001)", logger: logger)
            do {
                try await connection.query("""
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version integer PRIMARY KEY,
                        name text NOT NULL,
                        checksum text NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now()
                    )
                    """, logger: logger)
                let applied = try await self.apply(connection: connection, logger: logger)
                _ = try await connection.query("SELECT pg_advisory_unlock(7261001)", logger: logger)
                return applied
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(7261001)", logger: logger)
                throw error
            }
        }
    }

    private func apply(connection: PostgresConnection, logger: Logger) async throws -> [Migration] {
        var done: [Int: (String, String)] = [:]
        for try await (version, name, checksum) in try await connection.query(
            "SELECT version, name, checksum FROM schema_migrations", logger: logger
        ).decode((Int, String, String).self) {
            done[version] = (name, checksum)
        }
        let known = Set(migrations.map(\.version))
        if let unknown = done.keys.sorted().first(where: { !known.contains($0) }) {
            throw MigrationError.unknownApplied(version: unknown, name: done[unknown]!.0)
        }
        for m in migrations {
            if let (_, checksum) = done[m.version], checksum != m.checksum {
                throw MigrationError.checksumMismatch(version: m.version, name: m.name, applied: checksum, onDisk: m.checksum)
            }
        }
        var applied: [Migration] = []
        for m in migrations where done[m.version] == nil {
            do {
                try await connection.withTransaction(logger: logger) { tx in
                    switch m.kind {
                    case .sql:
                        try await SQLScript.run(m.text, on: tx, logger: logger)
                    case .calendar:
                        try await CalendarStore.importNotice(text: m.text, actor: "migration:\(m.name)", connection: tx, logger: logger)
                    }
                    try await tx.query(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES (\(m.version), \(m.name), \(m.checksum))",
                        logger: logger)
                }
            } catch {
                throw MigrationError.failed(version: m.version, name: m.name, reason: StoreError.describe(error))
            }
            logger.info("applied migration", metadata: ["migration.version": "\(m.version)", "migration.name": "\(m.name)"])
            applied.append(m)
        }
        return applied
    }
}
