import Foundation
import MailboxCore
import MailboxStore

/// The HTML of the dashboard (统计看板) and its sign-in form. Every value from data is escaped;
/// every figure a test may check carries its unrounded value in `data-value` next to the text
/// people read (docs/dashboard.md lists the ids and classes).
struct DashboardPage {
    var who: StaffIdentity
    var csrfToken: String
    var period: ReportPeriod
    var asOf: Date
    /// The department a lead's figures are limited to; nil: every department.
    var departmentID: String?
    var byMonth: SLAReport
    var byDepartment: SLAReport
    var names: [String: String]
    var overdue: [WorkListItem]
    var overdueMore: Bool
    var dueSoon: [WorkListItem]
    var dueSoonMore: Bool
    var listScope: LetterScope

    static func e(_ s: String) -> String { HTMLText.escape(s) }

    static let style = """
        body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC","WenQuanYi Micro Hei",sans-serif;margin:0;background:#f4f6f8;color:#1f2933}
        header{background:#9b1c1c;color:#fff;padding:12px 24px;display:flex;align-items:center;justify-content:space-between}
        header h1{font-size:20px;margin:0}header form{display:inline}header button{background:#fff;color:#9b1c1c;border:0;padding:4px 12px;border-radius:3px;cursor:pointer}
        main{padding:16px 24px;max-width:1400px}section{background:#fff;border-radius:6px;padding:12px 16px;margin:0 0 16px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
        h2{font-size:16px;margin:4px 0 10px}.muted{color:#616e7c;font-size:13px}
        .charts{display:flex;flex-wrap:wrap;gap:16px}.charts figure{margin:0;flex:1 1 620px}.charts figcaption{font-weight:bold;margin-bottom:4px}
        .trend-chart{max-width:100%;height:auto;background:#fff}.trend-chart .grid{stroke:#e4e7eb}.trend-chart .axis{font-size:10px;fill:#616e7c}
        .trend-chart .line{stroke:#9b1c1c;stroke-width:2}.trend-chart .point{fill:#9b1c1c}.trend-chart .no-data{fill:#9aa5b1;font-size:14px}
        #chart-avg-days .line{stroke:#1c5d9b}#chart-avg-days .point{fill:#1c5d9b}
        .totals-strip{display:flex;flex-wrap:wrap;gap:12px}.stat{background:#f9fafb;border:1px solid #e4e7eb;border-radius:4px;padding:8px 12px;min-width:120px}
        .stat .value{font-size:22px;font-weight:bold}.stat .label{font-size:12px;color:#616e7c}
        table{border-collapse:collapse;width:100%;font-size:14px}th,td{border-bottom:1px solid #e4e7eb;padding:6px 8px;text-align:left}
        td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}tfoot td,tfoot th{font-weight:bold;border-top:2px solid #cbd2d9}
        tr.letter td:first-child,tr.letter td:nth-child(5),td.due{white-space:nowrap}.lists{display:flex;flex-wrap:wrap;gap:16px}.lists section{flex:1 1 560px}
        form.period label{margin-right:8px}form.period input{font:inherit}
        .login{max-width:360px;margin:80px auto;background:#fff;padding:24px;border-radius:6px;box-shadow:0 1px 3px rgba(0,0,0,.12)}
        .login label{display:block;margin:12px 0 4px}.login input{width:100%;box-sizing:border-box;padding:6px;font:inherit}
        .login button{margin-top:16px;width:100%;padding:8px;background:#9b1c1c;color:#fff;border:0;border-radius:3px;font:inherit}
        .error{color:#9b1c1c;margin-top:8px}
        """

    static func document(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(e(title))</title><style>\(style)</style></head>
        <body>\(body)</body></html>

        """
    }

    /// 登录: the sign-in form (username, password, the double-submit CSRF token).
    static func loginForm(csrfToken: String, message: String?) -> String {
        var b = "<form class=\"login\" id=\"login-form\" method=\"post\" action=\"/dashboard/login\">"
        b += "<h1>区长信箱 统计看板<br><span class=\"muted\">District Mailbox dashboard — staff sign-in</span></h1>"
        b += "<input type=\"hidden\" name=\"csrf_token\" value=\"\(e(csrfToken))\">"
        b += "<label for=\"username\">用户名 (username)</label><input id=\"username\" name=\"username\" autocomplete=\"username\" required maxlength=\"64\">"
        b += "<label for=\"password\">密码 (password)</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required maxlength=\"200\">"
        if let message { b += "<p class=\"error\" id=\"login-error\" role=\"alert\">\(e(message))</p>" }
        b += "<button type=\"submit\" id=\"login-submit\">登录 (sign in)</button></form>"
        return document(title: "登录 — 区长信箱统计看板", body: b)
    }

    static func percent(_ x: Double?) -> String { x.map(QuarterlySummary.percent) ?? "—" }
    static func days(_ x: Double?) -> String { x.map(QuarterlySummary.oneDecimal) ?? "—" }

    /// A Beijing wall-clock time, "2026-03-05 17:30".
    static func beijing(_ d: Date, calendar: WorkCalendar) -> String {
        let seconds = Int((d.timeIntervalSince1970 + 8 * 3600).rounded(.down))
        let sod = ((seconds % 86_400) + 86_400) % 86_400
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(calendar.localDate(of: d)) \(two(sod / 3600)):\(two(sod % 3600 / 60))"
    }

    func render(calendar: WorkCalendar) -> String {
        let e = Self.e
        var b = "<header><h1>区长信箱 统计看板 <span class=\"muted\" style=\"color:#fde8e8\">District Mailbox dashboard</span></h1>"
        b += "<div><span id=\"viewer\" data-role=\"\(e(who.role.rawValue))\">\(e(who.username)) · \(e(who.role.rawValue))</span> "
        b += "<form method=\"post\" action=\"/dashboard/logout\" id=\"logout-form\"><input type=\"hidden\" name=\"csrf_token\" value=\"\(e(csrfToken))\">"
        b += "<button type=\"submit\" id=\"logout\">退出 (sign out)</button></form></div></header>"
        b += "<main id=\"dashboard\" data-from=\"\(period.from)\" data-to=\"\(period.to)\" data-as-of=\"\(MailboxJSON.formatTimestamp(asOf))\""
        b += " data-department=\"\(e(departmentID ?? ""))\">"

        // Period and scope.
        b += "<section id=\"period\"><form class=\"period\" method=\"get\" action=\"/dashboard\">"
        b += "<label>统计期间 (receipt dates) <input type=\"date\" name=\"from\" value=\"\(period.from)\"></label>"
        b += "<label>至 (to) <input type=\"date\" name=\"to\" value=\"\(period.to)\"></label><button type=\"submit\">查询 (show)</button></form>"
        b += "<p class=\"muted\">来信按收到日期统计，截至 \(e(Self.beijing(asOf, calendar: calendar))) (letters received \(period.from) – \(period.to), counted as of that time, Beijing time)"
        b += departmentID.map { "；仅本单位 (own department only): <strong id=\"scope\">\(e(names[$0] ?? $0))</strong>" } ?? "；全部单位 (all departments)"
        b += "。</p></section>"

        // Totals.
        let t = byDepartment.totals
        b += "<section id=\"totals\"><h2>合计 (totals)</h2><div class=\"totals-strip\">"
        func stat(_ id: String, _ label: String, _ text: String, _ value: String) -> String {
            "<div class=\"stat\" id=\"\(id)\" data-value=\"\(value)\"><div class=\"value\">\(e(text))</div><div class=\"label\">\(e(label))</div></div>"
        }
        b += stat("total-received", "收到来信 (received)", "\(t.received)", "\(t.received)")
        b += stat("total-closed", "已办结 (closed)", "\(t.closed)", "\(t.closed)")
        b += stat("total-open", "正在办理中 (open)", "\(t.open)", "\(t.open)")
        b += stat("total-overdue-open", "超期未办结 (overdue)", "\(t.overdueOpen)", "\(t.overdueOpen)")
        b += stat("total-within1-rate", "1个工作日内办结率 (closed within 1 working day)", Self.percent(t.within1WorkingDayRate),
                  HTMLText.machineNumber(t.within1WorkingDayRate))
        b += stat("total-avg-days", "平均办件天数 (average working days)", Self.days(t.avgHandlingWorkingDays),
                  HTMLText.machineNumber(t.avgHandlingWorkingDays))
        b += "</div></section>"

        // Monthly trends.
        let months = period.monthKeys
        let within1 = TrendChart(
            id: "chart-within1", title: "1个工作日内办结率 (closed within 1 working day), by month of receipt",
            points: months.map { .init(label: $0, value: byMonth.groups[$0]?.within1WorkingDayRate) }, scale: .rate,
            format: { QuarterlySummary.percent($0) })
        let avgDays = TrendChart(
            id: "chart-avg-days", title: "平均办件天数 (average handling working days), by month of receipt",
            points: months.map { .init(label: $0, value: byMonth.groups[$0]?.avgHandlingWorkingDays) }, scale: .quantity(minimum: 1),
            format: { QuarterlySummary.oneDecimal($0) })
        b += "<section id=\"trends\"><h2>月度趋势 (monthly trend)</h2><div class=\"charts\">"
        b += "<figure><figcaption>1个工作日内办结率 <span class=\"muted\">closed within 1 working day</span></figcaption>\(within1.svg)</figure>"
        b += "<figure><figcaption>平均办件天数 <span class=\"muted\">average handling time, working days</span></figcaption>\(avgDays.svg)</figure>"
        b += "</div></section>"

        // Departments.
        b += "<section id=\"departments\"><h2>承办单位 (departments)</h2><table id=\"department-table\"><thead><tr>"
        b += "<th>承办单位<br><span class=\"muted\">department</span></th><th class=\"num\">收件<br><span class=\"muted\">received</span></th>"
        b += "<th class=\"num\">办结<br><span class=\"muted\">closed</span></th><th class=\"num\">按期办结率<br><span class=\"muted\">on time</span></th>"
        b += "<th class=\"num\">超期未办结<br><span class=\"muted\">overdue</span></th><th class=\"num\">平均办件天数<br><span class=\"muted\">avg. days</span></th>"
        b += "<th class=\"num\">满意率<br><span class=\"muted\">satisfied</span></th></tr></thead><tbody>"
        func cells(_ m: SLAMetrics) -> String {
            func cell(_ cls: String, _ text: String, _ value: String) -> String {
                "<td class=\"num \(cls)\" data-value=\"\(value)\">\(e(text))</td>"
            }
            return cell("received", "\(m.received)", "\(m.received)") + cell("closed", "\(m.closed)", "\(m.closed)")
                + cell("on-time-rate", Self.percent(m.onTimeRate), HTMLText.machineNumber(m.onTimeRate))
                + cell("overdue-open", "\(m.overdueOpen)", "\(m.overdueOpen)")
                + cell("avg-days", Self.days(m.avgHandlingWorkingDays), HTMLText.machineNumber(m.avgHandlingWorkingDays))
                + cell("satisfaction-rate", Self.percent(m.satisfactionRate), HTMLText.machineNumber(m.satisfactionRate))
        }
        let rows = byDepartment.groups.sorted { ($0.value.received, $1.key) > ($1.value.received, $0.key) }
        if rows.isEmpty { b += "<tr><td colspan=\"7\" class=\"muted\">暂无来信 (no letters in this period)</td></tr>" }
        for (key, m) in rows {
            let name = key.isEmpty ? "未转办 (not routed yet)" : names[key] ?? key
            b += "<tr class=\"department\" data-key=\"\(e(key))\"><th class=\"name\">\(e(name))</th>\(cells(m))</tr>"
        }
        b += "</tbody><tfoot><tr class=\"totals\"><th class=\"name\">合计 (total)</th>\(cells(t))</tr></tfoot></table></section>"

        // Letter lists.
        b += "<div class=\"lists\">"
        b += list(id: "overdue-list", title: "超期未办结 (overdue)", items: overdue, more: overdueMore, calendar: calendar)
        b += list(id: "due-soon-list", title: "即将到期 (due soon: past the warning time)", items: dueSoon, more: dueSoonMore, calendar: calendar)
        b += "</div></main>"
        return Self.document(title: "区长信箱统计看板 (District Mailbox dashboard)", body: b)
    }

    func list(id: String, title: String, items: [WorkListItem], more: Bool, calendar: WorkCalendar) -> String {
        let e = Self.e
        var b = "<section><h2>\(e(title)) <span class=\"muted\" id=\"\(id)-count\" data-value=\"\(items.count)\">\(items.count)\(more ? "+" : "")</span></h2>"
        if case .none = listScope {
            return b + "<p class=\"muted\">此角色不查看信件 (this role reads no letters).</p></section>"
        }
        b += "<table id=\"\(id)\"><thead><tr><th>信件编号<br><span class=\"muted\">tracking no.</span></th><th>标题<br><span class=\"muted\">title</span></th>"
        b += "<th>类别<br><span class=\"muted\">category</span></th><th>承办单位<br><span class=\"muted\">department</span></th>"
        b += "<th>状态<br><span class=\"muted\">status</span></th><th>办理时限<br><span class=\"muted\">due</span></th></tr></thead><tbody>"
        if items.isEmpty { b += "<tr><td colspan=\"6\" class=\"muted\">无 (none)</td></tr>" }
        for i in items {
            b += "<tr class=\"letter\" data-tracking=\"\(e(i.trackingNo))\"><td>\(e(i.trackingNo))</td><td>\(e(i.title))</td>"
            b += "<td>\(e(i.category.chineseName))</td><td>\(e(i.departmentName ?? i.departmentID ?? "—"))</td>"
            b += "<td>\(e(i.status.chineseName))</td>"
            b += "<td class=\"due\" data-value=\"\(i.dueAt.map(MailboxJSON.formatTimestamp) ?? "")\">\(i.dueAt.map { e(Self.beijing($0, calendar: calendar)) } ?? "—")</td></tr>"
        }
        b += "</tbody></table>"
        if more { b += "<p class=\"muted\">只列出前\(items.count)件 (first \(items.count) shown; the work list API has all).</p>" }
        return b + "</section>"
    }
}
