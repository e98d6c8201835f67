-- Glance v1 schema (spec §17), PostgreSQL.  Timestamps are UTC without zone.
-- images.is_public replaces Queens' visibility enum: v1 can express only
-- public or not.  Soft delete everywhere: rows keep deleted/deleted_at.

CREATE TABLE images (
    id               varchar(36)  PRIMARY KEY,
    name             varchar(255),
    disk_format      varchar(20),
    container_format varchar(20),
    size             bigint       CHECK (size >= 0),
    virtual_size     bigint       CHECK (virtual_size >= 0),
    status           varchar(30)  NOT NULL,
    is_public        boolean      NOT NULL DEFAULT false,
    checksum         varchar(32),
    os_hash_algo     varchar(64),
    os_hash_value    varchar(128),
    min_disk         integer      NOT NULL DEFAULT 0 CHECK (min_disk >= 0),
    min_ram          integer      NOT NULL DEFAULT 0 CHECK (min_ram >= 0),
    owner            varchar(255),
    protected        boolean      NOT NULL DEFAULT false,
    created_at       timestamp    NOT NULL,
    updated_at       timestamp    NOT NULL,
    deleted_at       timestamp,
    deleted          boolean      NOT NULL DEFAULT false
);

-- Filters.
CREATE INDEX ix_images_deleted ON images (deleted);
CREATE INDEX ix_images_is_public ON images (is_public);
CREATE INDEX owner_image_idx ON images (owner);
CREATE INDEX checksum_image_idx ON images (checksum);
CREATE INDEX ix_images_status ON images (status);
CREATE INDEX ix_images_name ON images (name);
CREATE INDEX ix_images_disk_format ON images (disk_format);
CREATE INDEX ix_images_container_format ON images (container_format);
CREATE INDEX ix_images_size ON images (size);
CREATE INDEX ix_images_min_ram ON images (min_ram);
CREATE INDEX ix_images_min_disk ON images (min_disk);
CREATE INDEX ix_images_protected ON images (protected);
CREATE INDEX updated_at_image_idx ON images (updated_at);
CREATE INDEX ix_images_os_hash_value ON images (os_hash_value);

-- Sort keys: each list is ordered by (key, created_at, id) and paged by a
-- row comparison on the same expressions, so one index serves both the
-- order and the marker seek, in either direction.  Nullable keys sort as ''
-- or 0 (spec §7.2).
CREATE INDEX created_at_image_idx ON images (created_at, id);
CREATE INDEX ix_images_sort_name ON images ((coalesce(name, '')), created_at, id);
CREATE INDEX ix_images_sort_status ON images (status, created_at, id);
CREATE INDEX ix_images_sort_container_format ON images ((coalesce(container_format, '')), created_at, id);
CREATE INDEX ix_images_sort_disk_format ON images ((coalesce(disk_format, '')), created_at, id);
CREATE INDEX ix_images_sort_size ON images ((coalesce(size, 0)), created_at, id);
CREATE INDEX ix_images_sort_updated_at ON images (updated_at, created_at, id);

CREATE TABLE image_properties (
    id         bigserial    PRIMARY KEY,
    image_id   varchar(36)  NOT NULL REFERENCES images (id),
    name       varchar(255) NOT NULL,
    value      text,
    created_at timestamp    NOT NULL,
    updated_at timestamp    NOT NULL,
    deleted_at timestamp,
    deleted    boolean      NOT NULL DEFAULT false,
    CONSTRAINT ix_image_properties_image_id_name UNIQUE (image_id, name)
);
CREATE INDEX ix_image_properties_deleted ON image_properties (deleted);
CREATE INDEX ix_image_properties_name ON image_properties (name);

CREATE TABLE image_members (
    id         bigserial    PRIMARY KEY,
    image_id   varchar(36)  NOT NULL REFERENCES images (id),
    member     varchar(255) NOT NULL,
    can_share  boolean      NOT NULL DEFAULT false,
    status     varchar(20)  NOT NULL DEFAULT 'pending',
    created_at timestamp    NOT NULL,
    updated_at timestamp    NOT NULL,
    deleted_at timestamp,
    deleted    boolean      NOT NULL DEFAULT false
);
-- One live membership per (image, member); deleted ones are history.
CREATE UNIQUE INDEX image_members_image_id_member_live
    ON image_members (image_id, member) WHERE NOT deleted;
CREATE INDEX ix_image_members_image_id ON image_members (image_id);
CREATE INDEX ix_image_members_member ON image_members (member) WHERE NOT deleted;
CREATE INDEX ix_image_members_deleted ON image_members (deleted);

CREATE TABLE image_locations (
    id         bigserial   PRIMARY KEY,
    image_id   varchar(36) NOT NULL REFERENCES images (id),
    value      text        NOT NULL,
    meta_data  text        NOT NULL DEFAULT '{}',
    status     varchar(30) NOT NULL DEFAULT 'active',
    created_at timestamp   NOT NULL,
    updated_at timestamp   NOT NULL,
    deleted_at timestamp,
    deleted    boolean     NOT NULL DEFAULT false
);
CREATE INDEX ix_image_locations_image_id ON image_locations (image_id);
CREATE INDEX ix_image_locations_deleted ON image_locations (deleted);

-- Not exposed by v1; kept so the schema matches Glance's and is soft-deleted
-- with its image.
CREATE TABLE image_tags (
    id         bigserial    PRIMARY KEY,
    image_id   varchar(36)  NOT NULL REFERENCES images (id),
    value      varchar(255) NOT NULL,
    created_at timestamp    NOT NULL,
    updated_at timestamp    NOT NULL,
    deleted_at timestamp,
    deleted    boolean      NOT NULL DEFAULT false
);
CREATE INDEX ix_image_tags_image_id ON image_tags (image_id);
CREATE INDEX ix_image_tags_image_id_tag_value ON image_tags (image_id, value);
