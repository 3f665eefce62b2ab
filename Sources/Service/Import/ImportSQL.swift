import PGStore

/// The import's statements: staging, then set-wise upserts of the latest row per phone.
enum ImportSQL {
    static let createStaging = """
        CREATE TEMP TABLE IF NOT EXISTS import_staging (
            row_number int NOT NULL, id uuid NOT NULL, phone text NOT NULL, name text, email text,
            tags text[] NOT NULL, metadata jsonb NOT NULL
        )
        """

    static let copy = "COPY import_staging (row_number, id, phone, name, email, tags, metadata) FROM STDIN"

    /// The last row of each phone wins; an unchanged contact is not rewritten.
    static let upsert = PGStatement(
        """
        INSERT INTO contacts AS c (tenant_id, id, phone, name, email, metadata)
        SELECT $1, s.id, s.phone, s.name, s.email, s.metadata
        FROM (SELECT DISTINCT ON (phone) * FROM import_staging ORDER BY phone, row_number DESC) AS s
        ORDER BY s.phone
        ON CONFLICT (tenant_id, phone) DO UPDATE
        SET name = EXCLUDED.name, email = EXCLUDED.email, metadata = EXCLUDED.metadata,
            updated_at = greatest(now(), c.updated_at + interval '1 microsecond')
        WHERE (c.name, c.email, c.metadata) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.email, EXCLUDED.metadata)
        RETURNING (xmax = 0) AS inserted
        """)

    static let insertTags = PGStatement(
        """
        INSERT INTO tags (tenant_id, name)
        SELECT DISTINCT $1::uuid, tag FROM import_staging, unnest(tags) AS tag ORDER BY 2
        ON CONFLICT (tenant_id, name) DO NOTHING
        """)

    /// Links replaced set-wise for the latest row of each phone; a contact whose links changed
    /// (and that this batch did not already rewrite) gets its `updated_at` moved.
    static let replaceLinks = PGStatement(
        """
        WITH latest AS (
            SELECT DISTINCT ON (phone) phone, tags FROM import_staging ORDER BY phone, row_number DESC
        ), contact AS (
            SELECT c.id, latest.tags FROM latest JOIN contacts c ON c.tenant_id = $1 AND c.phone = latest.phone
        ), wanted AS (
            SELECT contact.id AS contact_id, t.id AS tag_id, given.position::smallint AS position
            FROM contact, unnest(contact.tags) WITH ORDINALITY AS given(name, position)
            JOIN tags t ON t.tenant_id = $1 AND t.name = given.name
        ), removed AS (
            DELETE FROM contact_tags ct USING contact
            WHERE ct.tenant_id = $1 AND ct.contact_id = contact.id
              AND NOT EXISTS (SELECT 1 FROM wanted w WHERE w.contact_id = ct.contact_id AND w.tag_id = ct.tag_id)
            RETURNING ct.contact_id
        ), linked AS (
            INSERT INTO contact_tags (tenant_id, contact_id, tag_id, position)
            SELECT $1, contact_id, tag_id, position FROM wanted
            ON CONFLICT (tenant_id, contact_id, tag_id) DO UPDATE SET position = EXCLUDED.position
            WHERE contact_tags.position <> EXCLUDED.position
            RETURNING contact_id
        )
        UPDATE contacts SET updated_at = greatest(now(), updated_at + interval '1 microsecond')
        WHERE tenant_id = $1 AND updated_at < now()
          AND id IN (SELECT contact_id FROM removed UNION SELECT contact_id FROM linked)
        """)

    static let distinctPhones = PGStatement("SELECT count(DISTINCT phone) FROM import_staging")
}
