// Image writes of the PostgreSQL repository: create, update, delete, quota, upload recovery
// (the reads are in postgres_image_reads.cc).
#include "postgres_image_repository.h"

#include <soci/soci.h>

#include <nlohmann/json.hpp>

#include "glance/common/logging.h"
#include "glance/common/text.h"
#include "glance/common/uuid.h"
#include "glance/db/database_url.h"
#include "glance/db/list_sql.h"
#include "image_rows.h"
#include "sql_exec.h"
#include "upload_accounting.h"
#include "visibility.h"

namespace glance::db {

namespace {

using sql::Row;
using sql::Value;

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// Adds "column = value" pairs for every column field present in changes.
void AppendColumnChanges(const ImageChanges& c, std::vector<std::string>* columns,
                         std::vector<std::string>* values, std::vector<Value>* params) {
  auto add = [&](const char* column, const Value& value, const char* cast) {
    params->push_back(value);
    std::string placeholder = ":p" + std::to_string(params->size() - 1);
    columns->push_back(column);
    values->push_back(cast ? "CAST(" + placeholder + " AS " + cast + ")" : placeholder);
  };
  auto text = [&](const char* column, const std::optional<std::optional<std::string>>& v) {
    if (v) add(column, *v, nullptr);
  };
  auto number = [&](const char* column, const std::optional<std::optional<int64_t>>& v) {
    if (v) add(column, *v ? Value(std::to_string(**v)) : Value(), "bigint");
  };
  auto flag = [&](const char* column, const std::optional<bool>& v) {
    if (v) add(column, std::string(*v ? "true" : "false"), "boolean");
  };
  text("name", c.name);
  text("disk_format", c.disk_format);
  text("container_format", c.container_format);
  number("size", c.size);
  number("virtual_size", c.virtual_size);
  text("checksum", c.checksum);
  text("os_hash_algo", c.os_hash_algo);
  text("os_hash_value", c.os_hash_value);
  text("owner", c.owner);
  if (c.min_disk) add("min_disk", std::to_string(*c.min_disk), "integer");
  if (c.min_ram) add("min_ram", std::to_string(*c.min_ram), "integer");
  // v1's is_public=false makes an image shared, whatever it was (upstream's
  // ensure_image_dict_v2_compliant).
  if (c.visibility) {
    add("visibility", *c.visibility, nullptr);
  } else if (c.is_public) {
    add("visibility", std::string(*c.is_public ? "public" : "shared"), nullptr);
  }
  flag("os_hidden", c.os_hidden);
  flag("protected", c.is_protected);
  if (c.status) add("status", *c.status, nullptr);
}

void UpsertProperties(DbSession& s, const std::string& id,
                      const std::map<std::string, std::string>& properties, bool purge) {
  nlohmann::json object(properties);
  std::string json = object.dump();
  if (purge) {
    sql::Execute(s,
                 "UPDATE image_properties SET deleted = true, deleted_at = " + std::string(kNow) +
                     ", updated_at = " + kNow +
                     " WHERE image_id = :p0 AND NOT deleted AND name NOT IN "
                     "(SELECT json_object_keys(CAST(:p1 AS json)))",
                 {id, json});
  }
  if (properties.empty()) return;
  // Re-adding a deleted key revives its row (the unique key has no
  // deleted column), as upstream does.
  sql::Execute(s,
               "INSERT INTO image_properties (image_id, name, value, created_at, updated_at) "
               "SELECT :p0, key, value, " +
                   std::string(kNow) + ", " + kNow +
                   " FROM json_each_text(CAST(:p1 AS json)) "
                   "ON CONFLICT (image_id, name) DO UPDATE SET value = EXCLUDED.value, "
                   "updated_at = EXCLUDED.updated_at, deleted = false, deleted_at = NULL",
               {id, json});
}

// The tag set becomes `tags`: tags no longer wanted are soft-deleted, new
// ones inserted (a tag that comes back gets a new row).
void ReplaceTags(DbSession& s, const std::string& id, const std::vector<std::string>& tags) {
  std::string json = nlohmann::json(tags).dump();
  sql::Execute(s,
               "UPDATE image_tags SET deleted = true, deleted_at = " + std::string(kNow) +
                   ", updated_at = " + kNow +
                   " WHERE image_id = :p0 AND NOT deleted AND value NOT IN "
                   "(SELECT json_array_elements_text(CAST(:p1 AS json)))",
               {id, json});
  if (tags.empty()) return;
  sql::Execute(s,
               "INSERT INTO image_tags (image_id, value, created_at, updated_at) "
               "SELECT :p0, t, " + std::string(kNow) + ", " + kNow +
                   " FROM json_array_elements_text(CAST(:p1 AS json)) AS t "
                   "WHERE t NOT IN (SELECT value FROM image_tags WHERE image_id = :p0 "
                   "AND NOT deleted)",
               {id, json});
}

void DeleteLocations(DbSession& s, const std::string& id) {
  sql::Execute(s,
               "UPDATE image_locations SET deleted = true, status = 'deleted', deleted_at = " +
                   std::string(kNow) + ", updated_at = " + kNow +
                   " WHERE image_id = :p0 AND NOT deleted",
               {id});
}

void ReplaceLocation(DbSession& s, const std::string& id, const std::string& url) {
  DeleteLocations(s, id);
  sql::Execute(s,
               "INSERT INTO image_locations (image_id, value, created_at, updated_at) "
               "VALUES (:p0, :p1, " +
                   std::string(kNow) + ", " + kNow + ")",
               {id, url});
}

}  // namespace

Status PostgresImageRepository::Create(const RequestContext& context, const ImageChanges& changes,
                                       Image* image) {
  if (context.read_only) return ReadOnly();
  std::string id = changes.id.value_or(NewUuid());
  return pool_->RunWrite([&](DbSession& s) {
    ImageChanges values_given = changes;
    if (!values_given.status) values_given.status = "active";
    std::vector<std::string> columns{"id", "created_at", "updated_at"};
    std::vector<Value> params{id};
    std::vector<std::string> values{":p0"};
    auto time_value = [&](const std::optional<std::string>& given) {
      if (!given) return std::string(kNow);
      params.emplace_back(*given);
      return "CAST(:p" + std::to_string(params.size() - 1) + " AS timestamp)";
    };
    values.push_back(time_value(changes.created_at));
    values.push_back(time_value(changes.updated_at));
    AppendColumnChanges(values_given, &columns, &values, &params);
    std::string insert = "INSERT INTO images AS i (" + Join(columns) + ") VALUES (" +
                         Join(values) + ") ON CONFLICT (id) DO NOTHING";
    bool has_children = (changes.properties && !changes.properties->empty()) ||
                        (changes.location && *changes.location) ||
                        (changes.tags && !changes.tags->empty());
    if (!has_children) {
      // One statement, committed on its own: the row comes back from
      // RETURNING, so a create costs one round trip.
      auto rows = sql::Select(s, insert + " RETURNING " + ImageColumns(false), params);
      if (rows.empty()) return Status::Conflict("An image with identifier " + id + " already exists");
      *image = ParseImage(rows[0]);
      return Status::Ok();
    }
    soci::transaction tx(s.sql);
    long long inserted = sql::Execute(s, insert, params);
    if (inserted == 0) return Status::Conflict("An image with identifier " + id + " already exists");
    if (changes.properties) UpsertProperties(s, id, *changes.properties, false);
    if (changes.location && *changes.location) ReplaceLocation(s, id, **changes.location);
    if (changes.tags) ReplaceTags(s, id, *changes.tags);
    tx.commit();
    return LoadVisible(s, context, id, image);
  });
}

Status PostgresImageRepository::Update(const RequestContext& context, const std::string& id,
                                       const ImageChanges& changes, bool purge_properties,
                                       const std::optional<std::string>& from_state,
                                       std::optional<int64_t> storage_quota,
                                       const std::optional<std::string>& if_updated_at,
                                       Image* image) {
  bool sized = changes.size && *changes.size && **changes.size > 0;
  bool counts = storage_quota && *storage_quota > 0 && sized;
  auto lock = [&](DbSession& s, const RequestContext& c, const std::string& lower_id,
                  Image* current) {
    if (counts) db::LockOwnerQuota(s, c.owner);  // before any row lock
    return LockMutable(s, c, lower_id, current);
  };
  auto update = [&](DbSession& s, const Image& current) {
    if (changes.id && *changes.id != current.id) {
      return Status::Forbidden("Forbidden to modify 'id' of image.");
    }
    if (from_state && current.status != *from_state) {
      return Status::Conflict("Image operation conflicts");
    }
    if (if_updated_at && current.updated_at != *if_updated_at) {
      return Status::PreconditionFailed("Image " + current.id + " changed meanwhile.");
    }
    std::string status_after = changes.status.value_or(current.status);
    if (counts && (status_after == "saving" || status_after == "active")) {
      Status quota = db::CheckStorageQuota(s, context.owner, current.id, **changes.size,
                                           *storage_quota);
      if (!quota.ok()) return quota;
    }
    std::vector<std::string> columns, values;
    std::vector<Value> params{current.id};
    ImageChanges applied = changes;
    if (!context.is_admin) applied.owner.reset();  // only admins give images away
    applied.created_at.reset();
    AppendColumnChanges(applied, &columns, &values, &params);
    std::string assignments = "updated_at = " + std::string(kNow);
    if (changes.updated_at) {
      params.emplace_back(*changes.updated_at);
      assignments = "updated_at = CAST(:p" + std::to_string(params.size() - 1) + " AS timestamp)";
    }
    for (size_t k = 0; k < columns.size(); ++k) {
      assignments += ", " + columns[k] + " = " + values[k];
    }
    sql::Execute(s, "UPDATE images SET " + assignments + " WHERE id = :p0", params);
    if (changes.properties) UpsertProperties(s, current.id, *changes.properties, purge_properties);
    if (changes.tags) ReplaceTags(s, current.id, *changes.tags);
    if (changes.location) {
      if (*changes.location) ReplaceLocation(s, current.id, **changes.location);
      else DeleteLocations(s, current.id);
    }
    return Status::Ok();
  };
  return WriteLocked(*pool_, context, id, lock, update, [&](DbSession& s, const Image& current) {
    return LoadVisible(s, context, current.id, image);
  });
}

Status PostgresImageRepository::Delete(const RequestContext& context, const std::string& id,
                                       Image* image) {
  auto soft_delete = [&](DbSession& s, const Image& current) {
    if (current.deleted) return NotFound(id);
    // pending_delete (delayed delete) is kept so the scrubber finds it.
    std::string status = current.status == "pending_delete" ? "pending_delete" : "deleted";
    std::vector<Value> params{current.id, status};
    sql::Execute(s,
                 "UPDATE images SET deleted = true, status = :p1, deleted_at = " +
                     std::string(kNow) + ", updated_at = " + kNow + " WHERE id = :p0",
                 params);
    for (const char* table : {"image_properties", "image_members", "image_locations", "image_tags"}) {
      sql::Execute(s,
                   std::string("UPDATE ") + table + " SET deleted = true, deleted_at = " + kNow +
                       ", updated_at = " + kNow + " WHERE image_id = :p0 AND NOT deleted",
                   {current.id});
    }
    return Status::Ok();
  };
  return WriteLocked(*pool_, context, id, LockMutable, soft_delete,
                     [&](DbSession& s, const Image& current) {
                       RequestContext admin = context;
                       admin.is_admin = true;  // the deleted row is shown to its deleter
                       return LoadVisible(s, admin, current.id, image);
                     });
}

Status PostgresImageRepository::StorageUsage(const RequestContext& context, int64_t* bytes) {
  return pool_->Run([&](DbSession& s) {
    *bytes = db::StorageUsage(s, context.owner, "");
    return Status::Ok();
  });
}

Status PostgresImageRepository::KillStaleUploads(const RequestContext& context,
                                                 int64_t stale_seconds,
                                                 std::vector<std::string>* ids) {
  if (!context.is_admin) return Status::Forbidden("Only an admin may recover uploads.");
  return pool_->RunWrite([&](DbSession& s) {
    *ids = db::KillStaleUploads(s, stale_seconds);
    return Status::Ok();
  });
}

}  // namespace glance::db

namespace glance {

Status OpenPostgresImageRepository(const DatabaseOptions& options,
                                   std::unique_ptr<ImageRepository>* repository) {
  std::string connection;
  Status s = ToLibpqConnectionString(options.connection, &connection);
  if (!s.ok()) return s;
  auto pool = std::make_unique<SessionPool>(connection, options.pool_size,
                                            options.pool_timeout_seconds,
                                            options.statement_timeout_ms);
  std::unique_ptr<SessionPool> replica;
  if (!options.slave_connection.empty()) {
    std::string replica_connection;
    s = ToLibpqConnectionString(options.slave_connection, &replica_connection);
    if (!s.ok()) return Status::InvalidArgument("[database] slave_connection: " + s.message());
    replica = std::make_unique<SessionPool>(replica_connection, options.pool_size,
                                            options.pool_timeout_seconds,
                                            options.statement_timeout_ms);
  }
  std::unique_ptr<db::MetadataCache> cache;
  if (options.metadata_cache_entries > 0) {
    cache = std::make_unique<db::MetadataCache>(options.metadata_cache_entries);
  }
  *repository = std::make_unique<db::PostgresImageRepository>(std::move(pool), std::move(replica),
                                                              std::move(cache));
  return Status::Ok();
}

}  // namespace glance
