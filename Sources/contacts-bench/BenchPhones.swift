import ArgumentParser
import Service

/// `contacts-bench phones`: what validating one phone number costs in this process (the filter,
/// then libphonenumber's parse and validity check), in microseconds; a floor under the cost of
/// every contact written. Used by `make bench`.
struct BenchPhones: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phones", abstract: "Print the microseconds one phone number's validation costs.")

    @Option(help: "Numbers to validate (all different, all valid).") var count = 200_000

    func run() throws {
        let numbers = (0..<count).map { "+1628\(2_000_000 + $0)" }
        let started = ContinuousClock.now
        var valid = 0
        for number in numbers {
            if case .success = PhoneNumber.normalize(number) { valid += 1 }
        }
        let elapsed = ContinuousClock.now - started
        guard valid == count else { throw ValidationError("only \(valid) of \(count) numbers were valid") }
        let micros = elapsed.inSeconds * 1e6 / Double(count)
        print(decimalText(micros))
    }
}
