/// A monthly trend line drawn as inline SVG on the server: the dashboard runs on a government
/// intranet, without a CDN and without JavaScript. Every data point carries its exact value in
/// `data-value` (and a `<title>` tooltip), so the picture can be checked against the report API.
public struct TrendChart: Sendable {
    /// One month (or any labelled step); `nil` when the figure has no data (its denominator is 0).
    public struct Point: Sendable, Hashable {
        public var label: String
        public var value: Double?

        public init(label: String, value: Double?) {
            self.label = label
            self.value = value
        }
    }

    /// The plotted position of a point with a value.
    public struct Position: Sendable, Hashable {
        public var index: Int
        public var x: Double
        public var y: Double

        public init(index: Int, x: Double, y: Double) {
            self.index = index
            self.x = x
            self.y = y
        }
    }

    public enum Scale: Sendable, Hashable {
        /// A rate from 0 to 1, drawn as 0–100 %.
        case rate
        /// A quantity from 0 to a rounded-up maximum (at least `minimum`).
        case quantity(minimum: Double)
    }

    /// The `<svg>` element's id (stable: tests and styles find the chart by it).
    public var id: String
    /// The accessible name (`<title>` of the chart).
    public var title: String
    public var points: [Point]
    public var scale: Scale
    public var width: Double = 640
    public var height: Double = 240
    public var left: Double = 48
    public var right: Double = 16
    public var top: Double = 16
    public var bottom: Double = 36
    /// How a value reads in tooltips and on the axis.
    public var format: @Sendable (Double) -> String

    public init(id: String, title: String, points: [Point], scale: Scale, format: @escaping @Sendable (Double) -> String) {
        self.id = id
        self.title = title
        self.points = points
        self.scale = scale
        self.format = format
    }

    /// The top of the value axis: 1 for rates; for quantities the maximum rounded up to 1, 2 or 5 × 10ⁿ.
    public var axisMaximum: Double {
        switch scale {
        case .rate: return 1
        case .quantity(let minimum):
            let top = max(minimum, points.compactMap(\.value).filter(\.isFinite).max() ?? 0)
            return Self.niceCeiling(top)
        }
    }

    /// The smallest 1, 2, 2.5, 5 or 10 × 10ⁿ at or above `x` (1 for x ≤ 0).
    public static func niceCeiling(_ x: Double) -> Double {
        guard x > 0, x.isFinite else { return 1 }
        var magnitude = 1.0
        while magnitude * 10 <= x { magnitude *= 10 }
        while magnitude > x { magnitude /= 10 }
        for step in [1.0, 2, 2.5, 5, 10] where step * magnitude >= x { return step * magnitude }
        return 10 * magnitude
    }

    /// The centre of step `index` along the x axis (each step gets an equal band).
    public func x(_ index: Int) -> Double {
        let plot = width - left - right
        return left + plot * (Double(index) + 0.5) / Double(max(points.count, 1))
    }

    /// The height of `value` on the y axis (clamped to the axis).
    public func y(_ value: Double) -> Double {
        let plot = height - top - bottom
        let v = min(max(value, 0), axisMaximum)
        return top + plot * (1 - v / axisMaximum)
    }

    /// Where each point with a value is drawn.
    public var positions: [Position] {
        points.enumerated().compactMap { i, p -> Position? in
            guard let v = p.value, v.isFinite else { return nil }
            return Position(index: i, x: x(i), y: y(v))
        }
    }

    /// The line's path: consecutive points joined, broken at months without data.
    public var path: String {
        var d: [String] = []
        var previous: Int?
        for p in positions {
            d.append((previous == p.index - 1 ? "L" : "M") + Self.coordinate(p.x) + " " + Self.coordinate(p.y))
            previous = p.index
        }
        return d.joined(separator: " ")
    }

    /// Every n-th label is written when there are more steps than fit (about 14 per chart).
    public var labelStride: Int { max(1, (points.count + 13) / 14) }

    /// The complete `<svg>` element.
    public var svg: String {
        let e = HTMLText.escape
        let axisMax = axisMaximum
        var s = "<svg id=\"\(e(id))\" class=\"trend-chart\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" "
        s += "aria-labelledby=\"\(e(id))-title\" viewBox=\"0 0 \(Self.coordinate(width)) \(Self.coordinate(height))\" "
        s += "width=\"\(Self.coordinate(width))\" height=\"\(Self.coordinate(height))\" data-axis-max=\"\(HTMLText.machineNumber(axisMax))\">"
        s += "<title id=\"\(e(id))-title\">\(e(title))</title>"
        // Grid lines and value labels at 0, ¼, ½, ¾ and the top.
        for k in 0...4 {
            let v = axisMax * Double(k) / 4
            let gy = Self.coordinate(y(v))
            s += "<line class=\"grid\" x1=\"\(Self.coordinate(left))\" x2=\"\(Self.coordinate(width - right))\" y1=\"\(gy)\" y2=\"\(gy)\"/>"
            s += "<text class=\"axis\" x=\"\(Self.coordinate(left - 6))\" y=\"\(gy)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(e(format(v)))</text>"
        }
        for (i, p) in points.enumerated() where i % labelStride == 0 {
            s += "<text class=\"axis month\" x=\"\(Self.coordinate(x(i)))\" y=\"\(Self.coordinate(height - bottom + 16))\" text-anchor=\"middle\">\(e(p.label))</text>"
        }
        if points.allSatisfy({ $0.value == nil }) {
            s += "<text class=\"no-data\" x=\"\(Self.coordinate(width / 2))\" y=\"\(Self.coordinate((top + height - bottom) / 2))\" text-anchor=\"middle\">暂无数据 (no data)</text>"
        }
        let path = path
        if !path.isEmpty { s += "<path class=\"line\" fill=\"none\" d=\"\(path)\"/>" }
        for p in positions {
            let point = points[p.index]
            let value = point.value!
            s += "<circle class=\"point\" cx=\"\(Self.coordinate(p.x))\" cy=\"\(Self.coordinate(p.y))\" r=\"3.5\" "
            s += "data-label=\"\(e(point.label))\" data-value=\"\(HTMLText.machineNumber(value))\">"
            s += "<title>\(e(point.label)): \(e(format(value)))</title></circle>"
        }
        return s + "</svg>"
    }

    /// A coordinate with at most two decimals ("12.5", "40").
    public static func coordinate(_ x: Double) -> String {
        let hundredths = (x * 100).rounded()
        let whole = Int(hundredths) / 100, frac = abs(Int(hundredths) % 100)
        let sign = hundredths < 0 && whole == 0 ? "-" : ""
        if frac == 0 { return "\(sign)\(whole)" }
        return frac % 10 == 0 ? "\(sign)\(whole).\(frac / 10)" : "\(sign)\(whole).\(frac < 10 ? "0" : "")\(frac)"
    }
}

extension ReportPeriod {
    /// The dashboard's default: the 12 calendar months ending with `today`'s month, up to `today`.
    public static func twelveMonths(endingOn today: LocalDate) -> ReportPeriod {
        let (y, m, _) = today.components
        let months = y * 12 + (m - 1) - 11
        return ReportPeriod(from: LocalDate(year: months / 12, month: months % 12 + 1, day: 1), to: today)
    }

    /// The months the period touches, as the report's `month` group keys ("2020-01").
    public var monthKeys: [String] {
        var out: [String] = []
        var (y, m) = (from.year, from.month)
        while y * 12 + m <= to.year * 12 + to.month {
            out.append("\(y)-" + (m < 10 ? "0\(m)" : "\(m)"))
            (y, m) = m == 12 ? (y + 1, 1) : (y, m + 1)
        }
        return out
    }
}
