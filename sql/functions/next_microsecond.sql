-- Repeatable: applied again with CREATE OR REPLACE whenever this file changes (sql/README.md).
-- The instant one microsecond after t: what a write sets updated_at to at least, so that
-- updated_at only ever moves forward, whichever instance or node writes and whatever its clock.
CREATE OR REPLACE FUNCTION next_microsecond(t timestamptz) RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN t + interval '1 microsecond';
END
$$;
