-- Property filters of a list (spec §7.1) look up (name, value) pairs among
-- the undeleted properties, one index probe per pair.  A value may be up to
-- 64 KiB, more than a btree entry holds, so the index keeps its md5 and the
-- query compares the value itself as well.
CREATE INDEX ix_image_properties_name_value_md5 ON image_properties (name, md5(value))
    WHERE NOT deleted;
