-- The registries' metadata cache (src/db/metadata_cache.h) is kept coherent
-- by one counter: every transaction that changes image metadata adds one to
-- it as it commits, whoever wrote it (a registry, the scrubber, an operator
-- with psql).  A registry answers from its cache only what it cached at the
-- counter's current value, read from the primary after the request arrived,
-- so no write acknowledged to anyone before is ever missed.
CREATE TABLE metadata_epoch (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    n bigint NOT NULL
);
INSERT INTO metadata_epoch (n) VALUES (0);

-- Once per transaction, at its commit: the row lock is taken when the
-- transaction holds every other lock it will ever take, so it cannot
-- deadlock with row locks, and the counter's order is the commit order.
CREATE FUNCTION bump_metadata_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('glance.metadata_epoch_bumped', true) = 'on' THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('glance.metadata_epoch_bumped', 'on', true);
    UPDATE metadata_epoch SET n = n + 1;
    RETURN NULL;
END
$$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['images', 'image_properties', 'image_locations', 'image_members',
                             'image_tags'] LOOP
        EXECUTE format('CREATE CONSTRAINT TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I '
                       'DEFERRABLE INITIALLY DEFERRED FOR EACH ROW '
                       'EXECUTE FUNCTION bump_metadata_epoch()', t || '_metadata_epoch', t);
    END LOOP;
END
$$;
