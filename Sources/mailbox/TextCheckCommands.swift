import ArgumentParser
import Foundation
import Logging
import MailboxCore
import MailboxStore
import PostgresNIO

/// `mailbox check-text FILE [--list LIST]…`: the 错敏字 check of a file of any size, read in
/// chunks through the streaming scanner (constant memory); one JSON line per finding.
struct CheckText: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-text",
        abstract: "Check a UTF-8 text file for 错敏字; prints one JSON line per finding (offset, matched, list, suggestion).",
        discussion: """
            LIST is a plain-text list file (one entry per line: `pattern`, `pattern<TAB>suggestion` or \
            `pattern => suggestion`; # comments) or the name of a stored list. Without --list, all stored \
            lists are used. Exits 1 when something was found, 0 when the text is clean.
            """)
    @OptionGroup var db: DatabaseOptions
    @Argument(help: "The text file ('-' for standard input).") var file: String
    @Option(name: .customLong("list"), help: "A list file or a stored list name; repeatable.") var lists: [String] = []

    func run() async throws {
        let checker = try await loadChecker()
        let input: FileHandle
        if file == "-" {
            input = .standardInput
        } else {
            guard let handle = FileHandle(forReadingAtPath: file) else { throw ValidationError("cannot read \(file)") }
            input = handle
        }
        var scanner = checker.makeScanner()
        var found = 0
        let encoder = MailboxJSON.encoder()
        let out = FileHandle.standardOutput
        func emit(_ findings: [TextFinding]) throws {
            guard !findings.isEmpty else { return }
            var lines = Data()
            for f in findings {
                lines.append(try encoder.encode(f))
                lines.append(0x0A)
            }
            out.write(lines)
            found += findings.count
        }
        while true {
            let chunk = input.readData(ofLength: 1 << 20)
            if chunk.isEmpty { break }
            try emit(chunk.withUnsafeBytes { scanner.feed($0.bindMemory(to: UInt8.self)) })
        }
        try emit(scanner.finish())
        var stderr = FileHandle.standardError
        print("checked \(scanner.byteCount) bytes against \(checker.entryCount) entries: \(found) finding(s)", to: &stderr)
        if found > 0 { throw ExitCode(1) }
    }

    /// List files are read here; names (or no --list at all) come from the database.
    func loadChecker() async throws -> TextChecker {
        var fromFiles: [WordList] = []
        var names: [String] = []
        for list in lists {
            if FileManager.default.fileExists(atPath: list) {
                let name = URL(fileURLWithPath: list).deletingPathExtension().lastPathComponent
                do {
                    fromFiles.append(try WordList.parse(name: name, text: try readUTF8File(list)))
                } catch {
                    throw ValidationError("\(list): \(error)")
                }
            } else {
                names.append(list)
            }
        }
        var stored: [WordList] = []
        if lists.isEmpty || !names.isEmpty {
            let logger = db.makeLogger()
            let all = try await db.withClient(logger: logger) { client in
                try await PostgresReplyStore(client: client, logger: logger).wordLists()
            }
            let known = Set(all.map(\.name))
            if let missing = names.first(where: { !known.contains($0) }) {
                throw ValidationError("no list file or stored list named \(missing) (stored: \(all.map(\.name).joined(separator: ", ")))")
            }
            stored = all.filter { lists.isEmpty || names.contains($0.name) }.map(\.wordList)
        }
        do {
            return try TextChecker(lists: fromFiles + stored)
        } catch {
            throw ValidationError("\(error)")
        }
    }
}

/// `mailbox word-list import NAME FILE --kind KIND`: replaces a stored 错敏字 list with a
/// plain-text list (audited like the API's changes).
struct WordListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "word-list", abstract: "Maintain the 错敏字 lists.", subcommands: [WordListImport.self])
}

struct WordListImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Create or replace a stored list from a plain-text list file (one entry per line; pattern<TAB>suggestion).")
    @OptionGroup var db: DatabaseOptions
    @Argument(help: "The list's name (a–z 0–9 _ -).") var name: String
    @Argument(help: "The list file (UTF-8).") var file: String
    @Option(help: "sensitive, official_name or typo.") var kind: String
    @Option(help: "What the list is for.") var description: String?

    func run() async throws {
        guard name.wholeMatch(of: /[a-z0-9][a-z0-9_-]{0,63}/) != nil else { throw ValidationError("name must be 1–64 of a–z 0–9 _ -") }
        guard let k = StoredWordList.Kind(rawValue: kind) else { throw ValidationError("kind must be sensitive, official_name or typo") }
        let list: WordList
        do {
            list = try WordList.parse(name: name, text: try readUTF8File(file))
            _ = try TextChecker(lists: [list])
        } catch let error as ValidationError {
            throw error
        } catch {
            throw ValidationError("\(file): \(error)")
        }
        let logger = db.makeLogger()
        let stored = StoredWordList(name: name, kind: k, description: description, entries: list.entries)
        try await db.withClient(logger: logger) { client in
            try await PostgresReplyStore(client: client, logger: logger).replaceWordList(stored, actor: "cli:word-list-import")
        }
        print("word list \(name): \(list.entries.count) entries stored")
    }
}
