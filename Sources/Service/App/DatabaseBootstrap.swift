public import PGStore

/// A fresh PostgreSQL made ready for the service: the schema owner and application roles and the
/// `contacts` database (what `deploy/initdb` does for containers). For the embedded development
/// database and for tests that own their server.
public enum DatabaseBootstrap {
    public static func createRolesAndDatabase(superuser: PGConnectionConfiguration) async throws {
        let admin = try await PGConnection.connect(superuser)
        do {
            try await admin.execute(
                script: """
                    DO $$
                    BEGIN
                        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'contacts_owner') THEN
                            CREATE ROLE contacts_owner LOGIN CREATEROLE;
                        END IF;
                        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'contacts_app') THEN
                            CREATE ROLE contacts_app LOGIN;
                        END IF;
                    END
                    $$;
                    ALTER ROLE contacts_app LOGIN NOSUPERUSER NOBYPASSRLS;
                    """)
            let exists = try await admin.query(unprepared: "SELECT 1 FROM pg_database WHERE datname = 'contacts'")
            if exists.isEmpty {
                try await admin.execute(script: "CREATE DATABASE contacts OWNER contacts_owner")
            }
        } catch {
            await admin.close()
            throw error
        }
        await admin.close()
    }
}
