import Foundation
import MailboxCore
import PropertyBased
import Testing

@Suite("Calendar data file")
struct CalendarFileTests {
    let notice = Fixture.notice
    let cal = Fixture.calendar

    @Test func declaresEveryYearWithSources() {
        #expect(notice.years == Array(2019...2026))
        for y in 2019...2026 {
            let cites = notice.citations.filter { $0.year == y }
            #expect(!cites.isEmpty, "no source for \(y)")
            #expect(cites.allSatisfy { $0.citation.contains("国办发明电") }, "\(y)")
        }
        #expect(notice.citations.contains { $0.year == 2020 && $0.citation.contains("〔2020〕1号") })
        #expect(notice.sources.contains { $0.hasPrefix("2020 国办发明电〔2020〕1号") })
        #expect(notice.sources.count == notice.citations.count)
        #expect(cal.coverage == LocalDate(year: 2019, month: 1, day: 1)...LocalDate(year: 2026, month: 12, day: 31))
    }

    @Test func everyYearHasTheSevenHolidays() {
        let names = ["元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"]
        for y in 2019...2026 {
            let holidays = notice.days.filter { $0.date.year == y && $0.kind == .holiday }
            for n in names {
                #expect(holidays.contains { $0.name?.contains(n) == true }, "\(y) lacks \(n)")
            }
        }
    }

    @Test func makeupDaysAreWeekendsAndNamed() {
        for d in notice.days where d.kind == .makeupWorkday {
            #expect(d.date.weekday >= 6, "\(d.date)")
            #expect(d.name?.hasSuffix("调休") == true, "\(d.date)")
            #expect(d.isWorkingDay)
        }
        for d in notice.days where d.kind == .holiday {
            #expect(d.name != nil, "\(d.date)")
            #expect(!d.isWorkingDay)
        }
    }

    @Test func netWeekdaysOffEqualStatutoryHolidays() {
        // Statutory holidays (法定节假日) that fall on a weekend are compensated, and every extra day off is
        // balanced by a make-up day, so per year: weekday days off − make-up days = statutory days:
        // 11 until 2024 (2020: 11 + 2 for the COVID extension — 01-31 off and the 02-01 make-up cancelled),
        // 13 from 2025 (revised 全国年节及纪念日放假办法: 春节 and 劳动节 one more day each).
        // Dates of a holiday period in the previous year (2018-12-29..31) balance within that year.
        let statutory: [Int: Int] = [2019: 11, 2020: 13, 2021: 11, 2022: 11, 2023: 11, 2024: 11, 2025: 13, 2026: 13]
        for (y, n) in statutory {
            let days = cal.days(from: .firstOfYear(y), to: .lastOfYear(y))
            let weekdays = days.filter { $0.date.weekday <= 5 }.count
            let weekdayHolidays = notice.days.filter { $0.date.year == y && $0.kind == .holiday && $0.date.weekday <= 5 }.count
            let makeups = notice.days.filter { $0.date.year == y && $0.kind == .makeupWorkday }.count
            #expect(weekdayHolidays - makeups == n, "\(y)")
            #expect(days.filter(\.isWorkingDay).count == weekdays - n, "\(y)")
            #expect(cal.workOrdinal(of: .lastOfYear(y))! - (cal.workOrdinal(of: .lastOfYear(y - 1)) ?? 0) == weekdays - n)
        }
    }

    @Test func spring2020ExtensionOverridesTheMakeupDay() throws {
        // 国办发明电〔2019〕16号 made 2020-02-01 (Sat) a make-up day; 〔2020〕1号 extended the holiday to 02-02.
        let d = try #require(cal.day(LocalDate(year: 2020, month: 2, day: 1)))
        #expect(d.kind == .holiday)
        #expect(d.name == "春节")
        for day in 24...31 { #expect(cal.day(LocalDate(year: 2020, month: 1, day: day))?.kind == .holiday) }
        #expect(cal.day(LocalDate(year: 2020, month: 2, day: 2))?.kind == .holiday)
        #expect(cal.day(LocalDate(year: 2020, month: 2, day: 3))?.kind == .workday)
        #expect(cal.day(LocalDate(year: 2020, month: 1, day: 19))?.kind == .makeupWorkday)
    }

    @Test func spotChecksAgainstTheNotices() {
        func kind(_ y: Int, _ m: Int, _ d: Int) -> DayKind? { cal.day(LocalDate(year: y, month: m, day: d))?.kind }
        // 2019 劳动节 after 国办发明电〔2019〕2号: 5/1–5/4 off, Sun 4/28 and Sun 5/5 worked.
        #expect(kind(2019, 5, 3) == .holiday)
        #expect(kind(2019, 4, 28) == .makeupWorkday)
        #expect(kind(2019, 5, 5) == .makeupWorkday)
        #expect(kind(2019, 9, 29) == .makeupWorkday)
        // 2024 春节 2/10–2/17, make-up Sun 2/4 and Sun 2/18; 除夕 2/9 (Fri) is a workday.
        #expect(kind(2024, 2, 9) == .workday)
        #expect(kind(2024, 2, 4) == .makeupWorkday)
        #expect(kind(2024, 2, 18) == .makeupWorkday)
        #expect(kind(2024, 2, 16) == .holiday)
        // 2025 春节 1/28–2/4 (Sun 1/26, Sat 2/8 worked); 劳动节 5/1–5/5 (Sun 4/27); 国庆中秋 10/1–10/8 (Sun 9/28, Sat 10/11).
        #expect(kind(2025, 1, 28) == .holiday)
        #expect(kind(2025, 2, 4) == .holiday)
        #expect(kind(2025, 2, 8) == .makeupWorkday)
        #expect(kind(2025, 4, 27) == .makeupWorkday)
        #expect(kind(2025, 5, 5) == .holiday)
        #expect(kind(2025, 10, 8) == .holiday)
        #expect(kind(2025, 10, 11) == .makeupWorkday)
        // 2026 (brief): 春节 2/15–2/23, make-up Sat 2/14, Sat 2/28.
        #expect(kind(2026, 2, 23) == .holiday)
        #expect(kind(2026, 2, 28) == .makeupWorkday)
        // Ordinary days.
        #expect(kind(2024, 3, 5) == .workday)
        #expect(kind(2024, 3, 9) == .weekend)
    }

    @Test func renderRoundTrips() throws {
        let again = try CalendarNotice.parse(notice.render())
        #expect(again == notice)
    }

    @Test func laterLinesWinAndYearsAreFullyDeclared() throws {
        let text = """
            source 2021 test
            year 2021
            2021-05-03..2021-05-05 holiday 劳动节
            2021-05-04 workday   # cancelled again
            """
        let n = try CalendarNotice.parse(text)
        #expect(n.days.map(\.date) == (3...5).map { LocalDate(year: 2021, month: 5, day: $0) })
        #expect(n.days.map(\.kind) == [.holiday, .workday, .holiday])
        let c = try WorkCalendar(notices: [n])
        #expect(c.day(LocalDate(year: 2021, month: 5, day: 4))?.kind == .workday)
        #expect(c.day(LocalDate(year: 2021, month: 5, day: 5))?.kind == .holiday)
        #expect(c.day(LocalDate(year: 2021, month: 5, day: 8))?.kind == .weekend)
        #expect(c.day(LocalDate(year: 2022, month: 1, day: 3)) == nil)
    }

    @Test func laterNoticeReplacesAWholeYear() throws {
        let a = try CalendarNotice.parse("source 2021 a\nyear 2021\n2021-03-01 holiday 测试\n")
        let b = try CalendarNotice.parse("source 2021 b\nyear 2021\n2021-03-02 holiday 测试\nsource 2022 b\nyear 2022\n")
        let c = try WorkCalendar(notices: [a, b])
        #expect(c.day(LocalDate(year: 2021, month: 3, day: 1))?.kind == .workday)
        #expect(c.day(LocalDate(year: 2021, month: 3, day: 2))?.kind == .holiday)
        #expect(c.coveredYears == [2021, 2022])
        #expect(c.sources.map(\.citation) == ["b", "b"])
        #expect(throws: CalendarError.nonContiguousYears([2019, 2021])) {
            try WorkCalendar(notices: [
                CalendarNotice.parse("source 2019 x\nyear 2019\n"), CalendarNotice.parse("source 2021 x\nyear 2021\n"),
            ])
        }
    }

    static let errorCases: [(String, Int, String)] = [
        ("source 2020 x\nyear 2020\n2020-02-30 holiday 春节\n", 3, "bad date"),
        ("source 2020 x\nyear 2020\n\n# c\n2020-10-01 vacation 国庆节\n", 5, "unknown kind"),
        ("source 2020 x\nyear 2020\n2020-01-20 makeup_workday 春节调休\n", 3, "Saturday or Sunday"),
        ("source 2020 x\nyear 2020\n2020-01-18 workday\n", 3, "makeup_workday"),
        ("source 2020 x\nyear 2020\n2019-12-31 holiday 元旦\n", 3, "outside the declared years"),
        ("source 2020 x\nyear 2020\n2020-12-31..2021-01-01 holiday 元旦\n", 3, "outside the declared years"),
        ("source 2020 x\nyear 2020\n2020-10-08..2020-10-01 holiday 国庆节\n", 3, "ends before it starts"),
        ("source 2020 x\nyear 2020\n2020-01-01..2020-03-01 holiday 太长\n", 3, "longer than"),
        ("source 2020 x\nyear 2020\nholiday 2020-01-01\n", 3, "unknown directive"),
        ("source 2020 x\nyear 2020\n2020-01-01\n", 3, "missing kind"),
        ("source 2020 x\nyear 2020\nyear 2020\n", 3, "already declared"),
        ("year 2020\n", 1, "no 'source 2020"),
        ("source 2021 x\nyear 2020\nsource 2020 y\n", 1, "does not declare"),
        ("year 20x0\n", 1, "bad year"),
        ("# nothing\n", 0, "declares no year"),
        ("source 2020 x\nyear 2020\n2020-1-1 holiday 元旦\n", 3, "bad date"),
    ]

    @Test(arguments: errorCases)
    func parseErrorsNameTheLine(text: String, line: Int, fragment: String) {
        do {
            _ = try CalendarNotice.parse(text)
            Issue.record("expected an error for \(text.debugDescription)")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.message.contains(fragment), "\(error)")
        }
    }

    @Test func invalidOverridesAreRejected() {
        #expect(throws: CalendarError.invalidDay(LocalDate(year: 2024, month: 3, day: 6),
                                                 "a make-up workday (调休上班) must be a Saturday or Sunday")) {
            try WorkCalendar(coveredYears: [2024], overrides: [CalendarDay(date: LocalDate(year: 2024, month: 3, day: 6), kind: .makeupWorkday)])
        }
        #expect(throws: CalendarError.outsideCoverage(LocalDate(year: 2025, month: 1, day: 1))) {
            try WorkCalendar(coveredYears: [2024], overrides: [CalendarDay(date: LocalDate(year: 2025, month: 1, day: 1), kind: .holiday)])
        }
    }
}

@Suite("LocalDate and BusinessHours")
struct LocalDateTests {
    @Test func agreesWithFoundation() async {
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(secondsFromGMT: 0)!
        await propertyCheck(count: 1000, input: Gen.int(in: -25_000...150_000)) { dn in
            let d = LocalDate(dayNumber: dn)
            let c = utc.dateComponents([.year, .month, .day, .weekday], from: Date(timeIntervalSince1970: Double(dn) * 86400))
            #expect(d.year == c.year && d.month == c.month && d.day == c.day)
            // Foundation: 1 = Sunday … 7 = Saturday; ISO: 1 = Monday … 7 = Sunday.
            #expect(d.weekday == (c.weekday! + 5) % 7 + 1)
            #expect(LocalDate(iso: d.description) == d)
            #expect(LocalDate(year: d.year, month: d.month, day: d.day) == d)
        }
    }

    @Test func isoParsingAndCoding() throws {
        #expect(LocalDate(iso: "2024-02-29")?.description == "2024-02-29")
        #expect(LocalDate(iso: "2023-02-29") == nil)
        #expect(LocalDate(iso: "2024-2-29") == nil)
        #expect(LocalDate(iso: "2024-13-01") == nil)
        #expect(LocalDate(iso: "x024-01-01") == nil)
        #expect(LocalDate(year: 1970, month: 1, day: 1).dayNumber == 0)
        let data = try JSONEncoder().encode([LocalDate(year: 2020, month: 2, day: 1)])
        #expect(String(decoding: data, as: UTF8.self) == #"["2020-02-01"]"#)
        #expect(try JSONDecoder().decode([LocalDate].self, from: data) == [LocalDate(year: 2020, month: 2, day: 1)])
        let day = CalendarDay(date: LocalDate(year: 2024, month: 10, day: 12), kind: .makeupWorkday, name: "国庆节调休")
        let json = String(decoding: try JSONEncoder().encode(day), as: UTF8.self)
        #expect(json.contains(#""kind":"makeup_workday""#) && json.contains(#""isWorkingDay":true"#))
        #expect(try JSONDecoder().decode(CalendarDay.self, from: Data(json.utf8)) == day)
    }

    @Test func businessHours() throws {
        let std = BusinessHours.standard
        #expect(std.secondsPerWorkingDay == 25200)
        #expect(std.text == "09:00-12:00,13:30-17:30")
        #expect(try BusinessHours(parsing: "09:00-12:00, 13:30-17:30") == std)
        let three = try BusinessHours(parsing: "08:30-11:30,14:00-17:00,19:00-20:00")
        #expect(three.secondsPerWorkingDay == 7 * 3600)
        #expect(three.text == "08:30-11:30,14:00-17:00,19:00-20:00")
        for bad in ["", "09:00", "12:00-09:00", "09:00-12:00,11:00-13:00", "9:00-12:00", "09:00-25:00", "09:60-10:00"] {
            #expect(throws: BusinessHours.FormatError.self, "\(bad)") { try BusinessHours(parsing: bad) }
        }
        #expect(std.businessSeconds(upTo: 12 * 3600 + 1800) == 3 * 3600)
        #expect(std.secondOfDay(atBusinessSecond: 3 * 3600) == 12 * 3600)
        #expect(std.secondOfDay(atBusinessSecond: 3 * 3600 + 1) == 13 * 3600 + 1801)
        let data = try JSONEncoder().encode(std)
        #expect(String(decoding: data, as: UTF8.self) == #""09:00-12:00,13:30-17:30""#)
    }

    @Test func shanghaiIsFixedUTCPlus8() {
        // The core assumes a fixed +8 offset; the tz database agrees for the whole coverage.
        var t = Fixture.coverageStart
        while t < Fixture.coverageEnd {
            #expect(Fixture.shanghai.secondsFromGMT(for: t) == 8 * 3600)
            t = t.addingTimeInterval(86400 * 7)
        }
    }
}
