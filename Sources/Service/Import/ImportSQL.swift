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

    /// Sorts and hashes of a 20,000-row batch fit in memory instead of spilling to disk.
    static let transactionSettings = "SET LOCAL work_mem = '64MB'"

    /// The last row of each phone wins; an unchanged contact is not rewritten. Answers how many
    /// contacts were created and updated, and how many distinct phones the batch had.
    static let upsert = PGStatement(
        """
        WITH latest AS (
            SELECT DISTINCT ON (phone) id, phone, name, email, metadata
            FROM import_staging ORDER BY phone, row_number DESC
        ), written AS (
            INSERT INTO contacts AS c (tenant_id, id, phone, name, email, metadata)
            SELECT $1, id, phone, name, email, metadata FROM latest ORDER BY phone
            ON CONFLICT (tenant_id, phone) DO UPDATE
            SET name = EXCLUDED.name, email = EXCLUDED.email, metadata = EXCLUDED.metadata,
                updated_at = greatest(now(), c.updated_at + interval '1 microsecond')
            WHERE (c.name, c.email, c.metadata) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.email, EXCLUDED.metadata)
            RETURNING (xmax = 0) AS inserted
        )
        SELECT count(*) FILTER (WHERE inserted) AS created, count(*) FILTER (WHERE NOT inserted) AS updated,
               (SELECT count(*) FROM latest) AS phones
        FROM written
        """)

    static let insertTags = PGStatement(
        """
        INSERT INTO tags (tenant_id, name)
        SELECT DISTINCT $1::uuid, tag FROM import_staging, unnest(tags) AS tag ORDER BY 2
        ON CONFLICT (tenant_id, name) DO NOTHING
        """)

    /// Links replaced set-wise for the latest row of each phone. Every step is driven by the
    /// batch (index lookups by phone and contact id, hashes of the batch), never by a scan of the
    /// tenant's contacts or links, so a batch costs the same at 1 or 1,000,000 contacts. A contact
    /// this batch created (its id is the staged one) has no links yet: they are only inserted. A
    /// contact whose links changed and that the upsert did not rewrite gets its `updated_at` moved.
    static let replaceLinks = PGStatement(
        """
        WITH latest AS (
            SELECT DISTINCT ON (phone) id, phone, tags FROM import_staging ORDER BY phone, row_number DESC
        ), contact AS MATERIALIZED (
            SELECT c.id, latest.tags, c.id = latest.id AS inserted
            FROM latest JOIN contacts c ON c.phone = latest.phone
            WHERE c.tenant_id = $1 AND c.phone = ANY (ARRAY(SELECT phone FROM latest))
        ), given AS MATERIALIZED (
            SELECT contact.id, contact.inserted, g.name, g.position
            FROM contact, unnest(contact.tags) WITH ORDINALITY AS g(name, position)
        ), wanted AS MATERIALIZED (
            SELECT given.id AS contact_id, t.id AS tag_id, given.position::smallint AS position, given.inserted
            FROM given JOIN tags t ON t.name = given.name
            WHERE t.tenant_id = $1
        ), removed AS (
            DELETE FROM contact_tags ct
            WHERE ct.tenant_id = $1 AND ct.contact_id = ANY (ARRAY(SELECT id FROM contact WHERE NOT inserted))
              AND (ct.contact_id, ct.tag_id) NOT IN (SELECT contact_id, tag_id FROM wanted WHERE NOT inserted)
            RETURNING ct.contact_id
        ), added AS (
            INSERT INTO contact_tags (tenant_id, contact_id, tag_id, position)
            SELECT $1, contact_id, tag_id, position FROM wanted WHERE inserted
        ), relinked AS (
            INSERT INTO contact_tags (tenant_id, contact_id, tag_id, position)
            SELECT $1, contact_id, tag_id, position FROM wanted WHERE NOT inserted
            ON CONFLICT (tenant_id, contact_id, tag_id) DO UPDATE SET position = EXCLUDED.position
            WHERE contact_tags.position <> EXCLUDED.position
            RETURNING contact_id
        )
        UPDATE contacts SET updated_at = greatest(now(), updated_at + interval '1 microsecond')
        WHERE tenant_id = $1 AND updated_at < now()
          AND id = ANY (ARRAY(SELECT contact_id FROM removed UNION SELECT contact_id FROM relinked))
        """)
}
