import MailboxCore
import Testing

// Expected geometry is worked out by hand from the chart's defaults: 640 × 240, plot area from
// x 48 to 624 (576 wide) and from y 16 to 204 (188 high).

@Suite("Dashboard rendering (SVG charts, escaping, forms)")
struct DashboardRenderingTests {
    static func percent(_ x: Double) -> String { QuarterlySummary.percent(x) }

    @Test("HTML escaping covers text and quoted attributes; Chinese passes unchanged")
    func escaping() {
        #expect(HTMLText.escape("<script>alert('x')</script> & \"q\"") == "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;")
        #expect(HTMLText.escape("区城管委 A&B") == "区城管委 A&amp;B")
        #expect(HTMLText.escape("") == "")
    }

    @Test("Machine-readable numbers round-trip exactly; missing figures are empty")
    func machineNumbers() {
        #expect(HTMLText.machineNumber(0.3191489361702128) == "0.3191489361702128")
        #expect(Double(HTMLText.machineNumber(2.0 / 3.0)) == 2.0 / 3.0)
        #expect(HTMLText.machineNumber(1) == "1.0")
        #expect(HTMLText.machineNumber(nil) == "")
        #expect(HTMLText.machineNumber(.nan) == "")
    }

    @Test("Rates are drawn on 0–100 %: points centred in equal bands, y from the top of the plot")
    func rateGeometry() {
        let chart = TrendChart(id: "chart-within1", title: "t",
                               points: [.init(label: "2020-01", value: 1), .init(label: "2020-02", value: 0.5),
                                        .init(label: "2020-03", value: nil), .init(label: "2020-04", value: 0)],
                               scale: .rate, format: Self.percent)
        #expect(chart.axisMaximum == 1)
        // Bands of 576 / 4 = 144: centres at 48 + 72, + 216, + 360, + 504.
        #expect(chart.positions == [
            .init(index: 0, x: 120, y: 16), .init(index: 1, x: 264, y: 110), .init(index: 3, x: 552, y: 204),
        ])
        // The line breaks at the month without data.
        #expect(chart.path == "M120 16 L264 110 M552 204")
    }

    @Test("Quantities get a rounded-up axis; values above it are clamped")
    func quantityAxis() {
        #expect(TrendChart.niceCeiling(3.96) == 5)
        #expect(TrendChart.niceCeiling(1.2) == 2)
        #expect(TrendChart.niceCeiling(2.2) == 2.5)
        #expect(TrendChart.niceCeiling(10) == 10)
        #expect(TrendChart.niceCeiling(11) == 20)
        #expect(TrendChart.niceCeiling(0.3) == 0.5)
        #expect(TrendChart.niceCeiling(0) == 1)
        var chart = TrendChart(id: "chart-avg-days", title: "t",
                               points: [.init(label: "a", value: 3.96), .init(label: "b", value: 1.25)],
                               scale: .quantity(minimum: 1), format: { QuarterlySummary.oneDecimal($0) })
        #expect(chart.axisMaximum == 5)
        #expect(chart.y(5) == 16 && chart.y(0) == 204 && chart.y(2.5) == 110)
        chart.points = [.init(label: "a", value: nil)]
        #expect(chart.axisMaximum == 1 && chart.path.isEmpty && chart.positions.isEmpty)
    }

    @Test("The SVG carries the id, escaped labels, and each point's exact value in data-value and <title>")
    func svgMarkup() {
        let chart = TrendChart(id: "chart-within1", title: "1个工作日内办结率 <rate>",
                               points: [.init(label: "2020-01", value: 2.0 / 3.0), .init(label: "2020-02", value: nil)],
                               scale: .rate, format: Self.percent)
        let svg = chart.svg
        #expect(svg.hasPrefix("<svg id=\"chart-within1\" "))
        #expect(svg.hasSuffix("</svg>"))
        #expect(svg.contains("<title id=\"chart-within1-title\">1个工作日内办结率 &lt;rate&gt;</title>"))
        #expect(svg.contains("data-label=\"2020-01\" data-value=\"0.6666666666666666\"><title>2020-01: 66.7%</title></circle>"))
        #expect(!svg.contains("data-label=\"2020-02\""))
        #expect(svg.components(separatedBy: "<circle ").count == 2)
        #expect(svg.contains(">100%</text>") && svg.contains(">0%</text>"))
        let empty = TrendChart(id: "c", title: "t", points: [.init(label: "2020-01", value: nil)], scale: .rate, format: Self.percent)
        #expect(empty.svg.contains("暂无数据") && !empty.svg.contains("<path"))
    }

    @Test("Coordinates have at most two decimals")
    func coordinates() {
        #expect(TrendChart.coordinate(40) == "40")
        #expect(TrendChart.coordinate(12.5) == "12.5")
        #expect(TrendChart.coordinate(12.346) == "12.35")
        #expect(TrendChart.coordinate(3.0625) == "3.06")
        #expect(TrendChart.coordinate(-0.5) == "-0.5")
    }

    @Test("Month labels are thinned to about 14 per chart")
    func labelStride() {
        let months = (0..<36).map { TrendChart.Point(label: "\($0)", value: nil) }
        #expect(TrendChart(id: "c", title: "t", points: Array(months.prefix(12)), scale: .rate, format: Self.percent).labelStride == 1)
        #expect(TrendChart(id: "c", title: "t", points: months, scale: .rate, format: Self.percent).labelStride == 3)
    }

    @Test("The default period is the 12 months ending with today's; month keys as the report groups them")
    func periods() {
        let p = ReportPeriod.twelveMonths(endingOn: LocalDate(year: 2026, month: 3, day: 15))
        #expect(p.from == LocalDate(year: 2025, month: 4, day: 1) && p.to == LocalDate(year: 2026, month: 3, day: 15))
        #expect(p.monthKeys.count == 12 && p.monthKeys.first == "2025-04" && p.monthKeys.last == "2026-03")
        let december = ReportPeriod.twelveMonths(endingOn: LocalDate(year: 2025, month: 12, day: 31))
        #expect(december.from == LocalDate(year: 2025, month: 1, day: 1))
        #expect(ReportPeriod(from: LocalDate(year: 2020, month: 1, day: 23), to: LocalDate(year: 2020, month: 1, day: 23)).monthKeys == ["2020-01"])
    }

    @Test("Form bodies: + is a space, percent escapes are UTF-8, broken escapes are refused")
    func forms() {
        let f = FormURLEncoded.fields("username=li.na&password=correct+horse%20battery&csrf_token=a-b_c&x=%E5%8C%BA&username=second")
        #expect(f?["username"] == "li.na")
        #expect(f?["password"] == "correct horse battery")
        #expect(f?["csrf_token"] == "a-b_c")
        #expect(f?["x"] == "区")
        #expect(FormURLEncoded.fields("a=%ZZ") == nil)
        #expect(FormURLEncoded.fields("a=%E5") == nil)
        #expect(FormURLEncoded.fields("flag&b=") == ["flag": "", "b": ""])
        #expect(FormURLEncoded.fields("") == [:])
    }
}
