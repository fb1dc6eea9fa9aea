import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import MailboxAPI
import MailboxCore
import MailboxStore
import NIOCore
import Testing

/// SLA reports against real PostgreSQL, from imported letters around the 2020 Spring Festival
/// (holiday extended to 2020-02-02; the first working day after 2020-01-23 is 2020-02-03).
/// Business hours 09:00–12:00, 13:30–17:30: a working day is 7 h = 25,200 s.
@Suite("SLA reports")
struct ReportTests {
    static let asOf = "2020-04-01T00:00:00+08:00"

    /// Five letters received 2020-01-23 15:00 (2.5 business hours left that day):
    /// consultations closed 02-03 17:00 (9 h, within one working day) and 02-04 10:00 (10.5 h, not),
    /// one consultation still open; complaints closed 02-03 17:30 (9.5 h, within: the mark is
    /// 17:30) and 02-03 17:31 (9.5 h of business time, but after the mark).
    static func importScenario(_ http: any TestClientProtocol) async throws {
        func line(_ n: Int, _ category: String, closedAt: String?) -> String {
            var o: [String: Any?] = ["tracking_no": "2020-000000\(n)", "category": category, "received_at": "2020-01-23T15:00:00+08:00",
                                     "department_id": "housing", "status": closedAt == nil ? "received" : "closed"]
            if let closedAt { o["closed_at"] = closedAt; o["reply"] = "已答复" }
            return ImportTests.line(o)
        }
        let lines = [
            line(1, "consultation", closedAt: "2020-02-03T17:00:00+08:00"),
            line(2, "consultation", closedAt: "2020-02-04T10:00:00+08:00"),
            line(3, "consultation", closedAt: nil),
            line(4, "complaint", closedAt: "2020-02-03T17:30:00+08:00"),
            line(5, "complaint", closedAt: "2020-02-03T17:31:00+08:00"),
        ]
        let r = try await ImportTests.post(http, lines)
        #expect(r.status == .ok, "\(String(buffer: r.body))")
    }

    @Test("Totals and groups count the cohort as defined: the 1-working-day mark, rates, the average in working days")
    func figures() async throws {
        try await TestApp.run { app, http in
            try await Self.importScenario(http)
            let r = try await http.staff("/v1/reports/sla?from=2020-01-01&to=2020-03-31&group_by=category&as_of=\(Self.asOf)",
                                         token: TestApp.dispatcherToken)
            #expect(r.status == .ok, "\(String(buffer: r.body))")
            let body = decodeObject(r.body)
            let totals = try #require(body["totals"] as? [String: Any])
            #expect(totals["received"] as? Int == 5 && totals["closed"] as? Int == 4 && totals["open"] as? Int == 1)
            #expect(totals["closed_within_1_working_day"] as? Int == 2)
            #expect(abs((totals["within_1_working_day_rate"] as? Double ?? -1) - 2.0 / 5.0) < 1e-12)
            let average = (32_400.0 + 37_800 + 34_200 + 34_200) / 4 / 25_200
            #expect(abs((totals["avg_handling_working_days"] as? Double ?? -1) - average) < 1e-12)
            #expect(totals["overdue_open"] as? Int == 1 && totals["rated"] as? Int == 0 && totals["satisfaction_rate"] is NSNull)
            let groups = try #require(body["groups"] as? [[String: Any]])
            let consultation = try #require(groups.first { $0["key"] as? String == "consultation" })
            #expect(consultation["received"] as? Int == 3 && consultation["closed_within_1_working_day"] as? Int == 1)
            #expect(abs((consultation["within_1_working_day_rate"] as? Double ?? -1) - 1.0 / 3.0) < 1e-12)
            #expect(abs((consultation["avg_handling_working_days"] as? Double ?? -1) - (32_400.0 + 37_800) / 2 / 25_200) < 1e-12)

            // Before the open letter's mark passed, it is not in the denominator yet.
            let early = decodeObject(try await http.staff(
                "/v1/reports/sla?from=2020-01-01&to=2020-03-31&as_of=2020-02-03T12:00:00%2B08:00", token: TestApp.dispatcherToken).body)
            let earlyTotals = try #require(early["totals"] as? [String: Any])
            #expect(earlyTotals["closed"] as? Int == 0 && earlyTotals["open"] as? Int == 5)
            #expect(earlyTotals["within_1_working_day_rate"] is NSNull && earlyTotals["avg_handling_working_days"] is NSNull)

            // CSV for Excel: a BOM, the same figures.
            let csv = try await http.execute(uri: "/v1/reports/sla?from=2020-01-01&to=2020-03-31&group_by=category&as_of=\(Self.asOf)",
                                             method: .get, headers: [.authorization: "Bearer \(TestApp.dispatcherToken)", .accept: "text/csv"])
            #expect(csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            let bytes = Array(csv.body.readableBytesView)
            #expect(bytes.prefix(3) == [0xEF, 0xBB, 0xBF])
            let rows = String(decoding: bytes.dropFirst(3), as: UTF8.self).split(separator: "\r\n")
            #expect(rows.first?.hasPrefix("key,name,received,rejected,merged,closed,open") == true)
            #expect(rows.contains { $0.hasPrefix("total,,5,0,0,4,1,") })
        }
    }

    @Test("Dashboard views agree with the report API for the same cohort (letters as they are now)")
    func dashboardViews() async throws {
        try await TestApp.run { app, http in
            try await Self.importScenario(http)
            var rows: [(String, Int, Int, Int, Double?)] = []
            for try await row in try await app.db.query(
                """
                SELECT category, sum(received)::int8, sum(closed)::int8, sum(open)::int8,
                       sum(handling_business_seconds)::float8 / nullif(sum(handling_count), 0) / 25200
                FROM report_daily WHERE day = '2020-01-23' GROUP BY category ORDER BY category
                """, logger: TestDatabase.logger).decode((String, Int64, Int64, Int64, Double?).self)
            {
                rows.append((row.0, Int(row.1), Int(row.2), Int(row.3), row.4))
            }
            #expect(rows.map(\.0) == ["complaint", "consultation"])
            #expect(rows[1].1 == 3 && rows[1].2 == 2 && rows[1].3 == 1)
            #expect(abs((rows[1].4 ?? -1) - (32_400.0 + 37_800) / 2 / 25_200) < 1e-9)
            #expect(try await app.count("report_open_letters WHERE due_state = 'overdue' AND tracking_no = '2020-0000003'") == 1)
        }
    }

    @Test("The quarterly summary speaks the district's wording; leads see their own department only")
    func summaryAndScope() async throws {
        try await TestApp.run { app, http in
            try await Self.importScenario(http)
            let r = try await http.staff("/v1/reports/summary?quarter=2020Q1&as_of=\(Self.asOf)", token: TestApp.dispatcherToken)
            #expect(r.status == .ok, "\(String(buffer: r.body))")
            let paragraph = decodeObject(r.body)["paragraph"] as? String ?? ""
            for phrase in ["共收到公众来信5件", "已办结4件", "正在办理中1件", "咨询类信件1个工作日内办结率33.3%", "平均办件天数1.4个工作日"] {
                #expect(paragraph.contains(phrase), "\(phrase) missing in \(paragraph)")
            }
            #expect(try await http.staff("/v1/reports/summary?quarter=2020Q5", token: TestApp.dispatcherToken).status
                == .unprocessableContent)
            #expect(try await http.staff("/v1/reports/sla?from=2020-03-31&to=2020-01-01", token: TestApp.dispatcherToken).status
                == .unprocessableContent)
            #expect(try await http.staff("/v1/reports/sla?from=2010-01-01&to=2020-03-31", token: TestApp.dispatcherToken).status
                == .unprocessableContent)

            let otherLead = try await app.session(.lead, department: "water")
            let own = decodeObject(try await http.staff("/v1/reports/sla?from=2020-01-01&to=2020-03-31", token: otherLead).body)
            #expect((own["totals"] as? [String: Any])?["received"] as? Int == 0)
            #expect(try await http.staff("/v1/reports/sla?from=2020-01-01&to=2020-03-31&department=housing", token: otherLead).status
                == .forbidden)
            let lead = try await app.session(.lead, department: "housing")
            let mine = decodeObject(try await http.staff("/v1/reports/sla?from=2020-01-01&to=2020-03-31", token: lead).body)
            #expect((mine["totals"] as? [String: Any])?["received"] as? Int == 5)
            let handler = try await app.session(.handler, department: "housing")
            #expect(try await http.staff("/v1/reports/sla?from=2020-01-01&to=2020-03-31", token: handler).status == .forbidden)
        }
    }
}
