/// Fixed-point text for figures in logs and summaries (`12.35`), without Foundation's
/// `String(format:)`, which is not in FoundationEssentials. Rounds half away from zero.
public func decimalText(_ value: Double, fractionDigits: Int = 2) -> String {
    guard value.isFinite else { return "\(value)" }
    let digits = max(0, fractionDigits)
    let scale = (0..<digits).reduce(Int64(1)) { result, _ in result * 10 }
    let scaled = Int64((abs(value) * Double(scale)).rounded())
    let sign = value < 0 && scaled != 0 ? "-" : ""
    let whole = "\(sign)\(scaled / scale)"
    guard digits > 0 else { return whole }
    let fraction = String(scaled % scale)
    return whole + "." + String(repeating: "0", count: digits - fraction.count) + fraction
}
