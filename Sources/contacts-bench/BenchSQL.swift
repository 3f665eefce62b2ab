import ArgumentParser
import FoundationEssentials
import PGStore
import Service

/// `contacts-bench sql --tenant ID`: the pgbench script of one create-contact, built from the very
/// statement the service sends (the product page's body, a phone drawn from 200,000). Used by
/// `make bench`.
struct BenchSQL: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sql", abstract: "Print the pgbench script of one create-contact.")

    @Option(help: "The workspace id.") var tenant: String

    func run() throws {
        guard let tenantID = UUID(uuidString: tenant) else { throw ValidationError("--tenant is not a uuid") }
        let input = ContactInput(
            phone: "+14152000000", name: "Romain", email: "romain@example.com", tags: ["vip", "fr-FR"],
            metadataJSON: #"{ "shopify_id": "12345", "lifetime_value": 8742.00 }"#)
        let id = ULID()
        let phoneExpression = "('+1415' || (2000000 + :n)::text)"
        var script = "\\set n random(0, 199999)\n"
        for query in [ContactStore.upsertQuery(input, tenant: tenantID, newID: id)] {
            var sql = query.statement.sql
            for (index, bind) in Array(query.binds.enumerated()).reversed() as [(Int, String?)] {
                let expression: String
                switch bind {
                case nil: expression = "NULL"
                case tenantID.uuidString?: expression = ":tenant"
                case input.phone?: expression = phoneExpression
                case id.uuid.uuidString?: expression = "gen_random_uuid()"
                case let value?: expression = "'" + value.replacing("'", with: "''") + "'"
                }
                sql = sql.replacing("$\(index + 1)", with: expression)
            }
            script += sql.replacing("\n", with: " ") + ";\n"
        }
        print(script, terminator: "")
    }
}
