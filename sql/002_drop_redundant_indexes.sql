-- Every image insert or update maintains every index on images, and a
-- create's latency is mostly that.  These five answer no query the others
-- cannot:
--   ix_images_status, updated_at_image_idx: leading columns of the keyset
--     paging indexes ix_images_sort_status and ix_images_sort_updated_at,
--     which serve the same lookups;
--   ix_images_deleted, ix_images_is_public, ix_images_protected: booleans,
--     never selective enough for the planner to use.
DROP INDEX IF EXISTS ix_images_status;
DROP INDEX IF EXISTS updated_at_image_idx;
DROP INDEX IF EXISTS ix_images_deleted;
DROP INDEX IF EXISTS ix_images_is_public;
DROP INDEX IF EXISTS ix_images_protected;
