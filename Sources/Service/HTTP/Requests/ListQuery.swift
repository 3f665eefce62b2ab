import FoundationEssentials
import Hummingbird
import PGStore

/// The query string of `GET /api/v1/contacts`, validated: bad values are a 422 naming the
/// parameter; a cursor the server did not issue is a 400.
enum ListQuery {
    /// A list's `limit` parameter, 1 to `maximum`: `nil` when absent or refused (then with the reason
    /// under `limit`). Every list of the API reads it so.
    static func limit(_ text: (some StringProtocol)?, maximum: Int, errors: inout FieldErrors) -> Int? {
        guard let text else { return nil }
        guard let value = Int(text), (1...maximum).contains(value) else {
            errors.add("limit", "limit must be an integer from 1 to \(maximum)")
            return nil
        }
        return value
    }

    static func filter(
        from parameters: some Sequence<(key: Substring, value: Substring)>, cursors: PageCursors, tenant: UUID
    ) throws -> ContactFilter {
        var values: [String: String] = [:]
        // Hummingbird has already percent-decoded the values: decoding again would corrupt a literal `%`.
        for (key, value) in parameters { values[String(key)] = String(value) }
        var filter = ContactFilter()
        var errors = FieldErrors()
        if let phone = values["phone"] {
            filter.phone = ContactInput.validatePhone(.string(formDecodedPhone(phone)), errors: &errors)
        }
        if let email = values["email"] {
            filter.email = ContactInput.validateEmail(.string(email), errors: &errors)
            if filter.email == nil, errors["email"] == nil { errors.add("email", "email must not be empty") }
        }
        if let tag = values["tag"] {
            let trimmed = tag.trimmingWhitespace().nfc
            // A control character can be in no stored tag (create-contact refuses them).
            if trimmed.isEmpty || trimmed.unicodeScalars.contains(where: \.isControl) {
                errors.add("tag", "tag must be a tag name")
            } else {
                filter.tag = trimmed
            }
        }
        if let since = values["updated_since"] {
            if let date = RFC3339.parse(since) {
                filter.updatedSince = date
            } else {
                errors.add("updated_since", "updated_since must be an RFC 3339 date-time, such as 2026-05-07T08:14:23+00:00")
            }
        }
        if let limit = Self.limit(values["limit"], maximum: ContactFilter.maximumLimit, errors: &errors) { filter.limit = limit }
        guard errors.isEmpty else { throw APIError.validation(errors) }
        if let cursor = values["cursor"] {
            guard let after = cursors.read(cursor, scope: filter.cursorScope(tenant: tenant)) else {
                throw APIError(
                    .badRequest, code: "invalid_cursor",
                    message: "The cursor was not issued by this server for this workspace and these filters.")
            }
            filter.after = after
        }
        return filter
    }
}

extension ListQuery {
    /// A phone in a query string, with every `+` after the leading one read as a space: HTML forms
    /// and most HTTP clients encode a space as `+`, and a phone may hold no other `+`, so both
    /// `?phone=%2B33+6+12+34+56+78` and `?phone=+33612345678` mean what their senders meant.
    static func formDecodedPhone(_ text: String) -> String {
        var seenPlus = false
        return String(
            String.UnicodeScalarView(
                text.unicodeScalars.map { scalar in
                    guard scalar == "+" else { return scalar }
                    defer { seenPlus = true }
                    return seenPlus ? " " : scalar
                }))
    }
}

extension ContactFilter {
    /// What a cursor of this listing is bound to: the workspace and every filter, normalized.
    func cursorScope(tenant: UUID) -> PageCursors.Scope {
        let since = updatedSince.map { String(Int64(($0.timeIntervalSince1970 * 1_000_000).rounded())) }
        return PageCursors.Scope(tenant: tenant, filters: [phone, email, tag, since])
    }
}
