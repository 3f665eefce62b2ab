/// Fixed-point text for figures in logs and summaries (`12.35`), without Foundation's
/// `String(format:)`, which is not in FoundationEssentials.
public func decimalText(_ value: Double, fractionDigits: Int = 2) -> String {
    guard value.isFinite else { return "\(value)" }
    let scale = (0..<fractionDigits).reduce(1) { result, _ in result * 10 }
    let scaled = Int64((abs(value) * Double(scale)).rounded())
    let whole = scaled / Int64(scale)
    var fraction = String(scaled % Int64(scale))
    fraction = String(repeating: "0", count: fractionDigits - fraction.count) + fraction
    let sign = value < 0 && scaled != 0 ? "-" : ""
    return fractionDigits == 0 ? "\(sign)\(whole)" : "\(sign)\(whole).\(fraction)"
}
