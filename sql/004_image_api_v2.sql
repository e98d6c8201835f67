-- Image API v2 on the same rows as v1 (v2 contract §13).
--
-- visibility replaces is_public: v2 has four values, v1 reads
-- is_public = (visibility = 'public') and writes is_public=false as
-- 'shared', so every existing row keeps what v1 showed of it.
ALTER TABLE images ADD COLUMN visibility varchar(20);
UPDATE images SET visibility = CASE WHEN is_public THEN 'public' ELSE 'shared' END;
ALTER TABLE images
    ALTER COLUMN visibility SET NOT NULL,
    ALTER COLUMN visibility SET DEFAULT 'shared',
    ADD CONSTRAINT images_visibility_check
        CHECK (visibility IN ('public', 'private', 'shared', 'community')),
    DROP COLUMN is_public;
CREATE INDEX ix_images_visibility ON images (visibility);

-- Hidden images stay out of v2's default list (os_hidden=false).
ALTER TABLE images ADD COLUMN os_hidden boolean NOT NULL DEFAULT false;

-- Tags are a set: one live row per (image, value).  v1 never wrote tags;
-- any duplicate a foreign tool left is folded into its oldest row first.
UPDATE image_tags t SET deleted = true, deleted_at = (now() AT TIME ZONE 'UTC')
    WHERE NOT t.deleted AND EXISTS (
        SELECT 1 FROM image_tags o WHERE o.image_id = t.image_id AND o.value = t.value
            AND NOT o.deleted AND o.id < t.id);
DROP INDEX IF EXISTS ix_image_tags_image_id_tag_value;
CREATE UNIQUE INDEX ix_image_tags_image_id_tag_value_live
    ON image_tags (image_id, value) WHERE NOT deleted;
-- v2's ?tag= filter starts from the images holding a tag (50 ms at 200k
-- images without it: a walk of every image in page order).
CREATE INDEX ix_image_tags_value ON image_tags (value) WHERE NOT deleted;

-- v1 members were added without an answer: they stay 'pending' (the
-- column's default, as upstream), so v2 lists show them to the member only
-- once accepted, while v1 and v2 reads by id keep working.
ALTER TABLE image_members ADD CONSTRAINT image_members_status_check
    CHECK (status IN ('pending', 'accepted', 'rejected'));
