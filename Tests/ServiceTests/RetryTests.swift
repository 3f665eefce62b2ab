import Foundation
import HTTPTypes
import PGStore
import Service
import TestSupport
import Testing

@Suite("Deadlocks and serialization failures", .serialized)
struct RetryTests {
    /// A trigger that fails the insert of one phone with SQLSTATE 40001 while a sequence (which
    /// no rollback resets) is below a threshold: a serialization failure on demand.
    static let phone = "+447911123456"

    func inject(failures: Int) async throws {
        let admin = try await PGConnection.connect(TestServer.admin)
        try await admin.execute(
            script: """
                CREATE SEQUENCE IF NOT EXISTS test_fault_seq;
                SELECT setval('test_fault_seq', 1, false);
                GRANT USAGE ON SEQUENCE test_fault_seq TO contacts_app;
                CREATE TABLE IF NOT EXISTS test_fault_limit (failures int);
                GRANT SELECT ON test_fault_limit TO contacts_app;
                TRUNCATE test_fault_limit;
                INSERT INTO test_fault_limit VALUES (\(failures));
                -- As its owner: whoever inserts meanwhile (the import functions run as the schema
                -- owner, and other suites run beside this one) reads the sequence and the limit.
                CREATE OR REPLACE FUNCTION test_fault() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
                BEGIN
                    IF NEW.phone = '\(Self.phone)' AND nextval('test_fault_seq') <= (SELECT failures FROM test_fault_limit) THEN
                        RAISE EXCEPTION 'injected serialization failure' USING ERRCODE = '40001';
                    END IF;
                    RETURN NEW;
                END $$;
                DROP TRIGGER IF EXISTS test_fault ON contacts;
                CREATE TRIGGER test_fault BEFORE INSERT ON contacts FOR EACH ROW EXECUTE FUNCTION test_fault();
                """)
        await admin.close()
    }

    func remove() async throws {
        let admin = try await PGConnection.connect(TestServer.admin)
        try await admin.execute(script: "DROP TRIGGER IF EXISTS test_fault ON contacts")
        await admin.close()
    }

    func attempts() async throws -> Int {
        let admin = try await PGConnection.connect(TestServer.admin)
        let value = try await admin.query(unprepared: "SELECT last_value FROM test_fault_seq")[0].decode(Int.self, at: 0)
        await admin.close()
        return value
    }

    @Test func aTransientFailureIsRetriedAndTheWriteLands() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await inject(failures: 2)
        do {
            try await TestAPI.with { api in
                let reply = try await api.create(#"{"phone": "\#(Self.phone)", "tags": "x"}"#, token: token)
                #expect(reply.status == .created, "\(reply.text)")
                #expect(try await attempts() == 3)  // two failures, then the third attempt
                #expect(try await api.rows(tenant: tenant, "SELECT count(*) FROM contacts")[0].decode(Int.self, at: 0) == 1)
            }
        } catch {
            try await remove()
            throw error
        }
        try await remove()
    }

    @Test func aPersistentFailureIsA503AndLeavesNothing() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await inject(failures: 100)
        do {
            try await TestAPI.with { api in
                let reply = try await api.create(#"{"phone": "\#(Self.phone)", "tags": "x"}"#, token: token)
                #expect(reply.status == .serviceUnavailable)
                #expect(reply.headers[.retryAfter] != nil)
                #expect(try await attempts() == 3)  // bounded
                #expect(try await api.rows(tenant: tenant, "SELECT count(*) FROM tags")[0].decode(Int.self, at: 0) == 0)
            }
        } catch {
            try await remove()
            throw error
        }
        try await remove()
    }
}
