/// Which departments a letter belongs to: the facts `AccessPolicy` decides on.
public struct LetterOwnership: Sendable, Hashable {
    /// 主办: the department that owns the letter now.
    public var ownerDepartmentID: String?
    /// 协办: departments co-handling it now.
    public var cohandlers: [String]
    /// Every department that is or was owner or co-handler.
    public var departments: [String]

    public init(ownerDepartmentID: String?, cohandlers: [String] = [], departments: [String] = []) {
        self.ownerDepartmentID = ownerDepartmentID
        self.cohandlers = cohandlers
        self.departments = departments
    }
}

/// How much of a letter a staff member sees.
public enum LetterVisibility: Sendable, Hashable {
    /// Not at all: answered exactly like a letter that does not exist (404).
    case hidden
    /// Content, with the writer's personal data masked (脱敏).
    case masked
    /// Everything, including the writer's phone and ID number (each such read is recorded).
    case full
}

/// Where a list query may look: the same rule as `visibility`, as a filter.
public enum LetterScope: Sendable, Hashable {
    case all
    /// Letters the department is or was assigned to (owner or co-handler).
    case department(String)
    case none
}

/// The one place that decides who sees which letter and how (docs/workflow.md, "Who sees what").
public enum AccessPolicy {
    public static func visibility(of letter: LetterOwnership, to who: StaffIdentity) -> LetterVisibility {
        switch who.role {
        case .dispatcher: return .full
        case .auditor: return .masked
        case .admin: return .hidden
        case .handler, .lead:
            guard let dept = who.departmentID else { return .hidden }
            if letter.ownerDepartmentID == dept { return .full }
            if letter.departments.contains(dept) || letter.cohandlers.contains(dept) { return .masked }
            return .hidden
        }
    }

    public static func scope(for who: StaffIdentity) -> LetterScope {
        switch who.role {
        case .dispatcher, .auditor: .all
        case .admin: .none
        case .handler, .lead: who.departmentID.map(LetterScope.department) ?? .none
        }
    }
}

extension LetterContent {
    /// The content with the writer's personal data masked: 张*, 138****1234, 110228********1232.
    public var masked: LetterContent {
        var c = self
        c.writerName = Masking.name(writerName)
        c.phone = Masking.phone(phone)
        c.idCard = idCard.map(Masking.idCard)
        c.address = address.map(Masking.address)
        return c
    }
}
