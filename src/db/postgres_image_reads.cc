// Image reads of the PostgreSQL repository: one image by id and lists,
// answered from the metadata cache (metadata_cache.h) when it holds them at
// the current epoch, else from the database (lists from the replica when it
// has caught up).
#include <soci/soci.h>

#include "glance/common/logging.h"
#include "glance/common/text.h"
#include "glance/common/uuid.h"
#include "glance/db/list_sql.h"
#include "image_rows.h"
#include "postgres_image_repository.h"
#include "sql_exec.h"
#include "visibility.h"

namespace glance::db {

using sql::Row;

Status PostgresImageRepository::MetadataEpoch(int64_t* epoch) {
  FreshRead::Reading reading;
  Status s = epoch_.Get(
      [&](int64_t* value) {
        return pool_->Run([&](DbSession& session) {
          auto rows = sql::Select(session, "SELECT CAST(n AS text) FROM metadata_epoch", {});
          if (rows.empty() || !rows[0][0]) return Status::Internal("metadata_epoch has no row");
          *value = std::stoll(*rows[0][0]);
          return Status::Ok();
        });
      },
      &reading);
  *epoch = reading.value;
  return s;
}

std::optional<int64_t> PostgresImageRepository::CacheEpoch() {
  if (!cache_) return std::nullopt;
  int64_t epoch = 0;
  if (!MetadataEpoch(&epoch).ok()) return std::nullopt;
  return epoch;
}

Status PostgresImageRepository::Get(const RequestContext& context, const std::string& id,
                                    Image* image) {
  if (!IsUuidLike(id)) return NotFound(id);
  std::optional<int64_t> epoch = CacheEpoch();
  const std::string lower_id = ToLower(id);
  if (epoch) {
    if (auto cached = cache_->FindImage(lower_id, *epoch)) {
      std::optional<bool> visible = VisibleWithoutDatabase(context, *cached);
      if (visible && !*visible) return NotFound(id);
      if (visible) {
        *image = *cached;
        return Status::Ok();
      }
    }
  }
  Status s = pool_->Run([&](DbSession& session) { return LoadVisible(session, context, id, image); });
  if (s.ok() && epoch) cache_->PutImage(*image, *epoch);
  return s;
}

// Lists may be answered by the replica, but never with less than the
// primary had committed when the list began: the replica is used only once
// it has replayed the primary's WAL up to that point, so no client misses
// a write it (or anyone) was told had succeeded.  Reads of one image and
// every write stay on the primary.
Status PostgresImageRepository::ListJson(const RequestContext& context, const ListQuery& query,
                                         ListShape shape, std::string* json_array,
                                         ListTail* tail) {
  std::optional<int64_t> epoch = CacheEpoch();
  if (!epoch) return ListUncached(context, query, shape, json_array, tail);
  // Everything the page depends on: its SQL and parameters (the context's
  // visibility is in them), the shape and how the marker is checked.
  SqlText sql = BuildListSql(query, context, "");
  std::string key = std::to_string(static_cast<int>(shape)) + '\n' +
                    std::to_string(static_cast<int>(query.api)) + '\n' +
                    (context.is_admin ? "admin\n" : "\n") + context.owner.value_or("") + '\n' +
                    query.marker.value_or("") + '\n' + sql.text;
  for (const std::string& param : sql.params) key += '\n' + param;
  if (cache_->FindList(key, *epoch, json_array, tail)) return Status::Ok();
  ListTail filled;
  Status s = ListUncached(context, query, shape, json_array, &filled);
  if (!s.ok()) return s;
  cache_->PutList(key, *epoch, *json_array, filled);
  if (tail) *tail = filled;
  return s;
}

Status PostgresImageRepository::ListUncached(const RequestContext& context,
                                             const ListQuery& query, ListShape shape,
                                             std::string* json_array, ListTail* tail) {
  if (replica_) {
    std::string primary_lsn;
    Status asked = pool_->Run([&](DbSession& s) {
      auto rows = sql::Select(s, "SELECT CAST(pg_current_wal_lsn() AS text)", {});
      primary_lsn = rows.empty() ? "" : rows[0][0].value_or("");
      return Status::Ok();
    });
    bool answered = false;
    if (asked.ok() && !primary_lsn.empty()) {
      // pg_last_wal_replay_lsn() is NULL on a server that is not a replica
      // (one promoted by a failover): the primary answers then.
      Status replica = replica_->Run([&](DbSession& s) {
        answered = false;  // again when Run retries on a new connection
        auto rows = sql::Select(
            s, "SELECT CAST(pg_last_wal_replay_lsn() >= CAST(:p0 AS pg_lsn) AS text)", {primary_lsn});
        if (rows.empty() || rows[0][0].value_or("") != "true") return Status::Ok();
        answered = true;
        return ListOn(s, context, query, shape, json_array, tail);
      });
      if (answered) return replica;
      if (!replica.ok()) LogWarning("replica unusable for lists, using the primary: " + replica.message());
    }
  }
  return pool_->Run([&](DbSession& s) { return ListOn(s, context, query, shape, json_array, tail); });
}

Status PostgresImageRepository::ListOn(DbSession& s, const RequestContext& context,
                                       const ListQuery& query, ListShape shape,
                                       std::string* json_array, ListTail* tail) {
  if (query.marker) {
    // v2 never pages from a deleted image; v1 may (changes-since lists them).
    Image marked;
    Status marker = query.api == ListApi::kV2
                        ? LoadLiveVisible(s, context, *query.marker, &marked)
                        : LoadVisible(s, context, *query.marker, nullptr);
    if (!marker.ok()) {
      return Status::InvalidArgument("Invalid marker. Image could not be found.");
    }
  }
  SqlText list =
      BuildListSql(query, context, "CAST(" + JsonColumn(shape) + " AS text), i.id");
  json_array->assign("[");
  int64_t count = 0;
  const Row* last = nullptr;
  auto rows =
      sql::Select(s, list.text, std::vector<sql::Value>(list.params.begin(), list.params.end()));
  for (const Row& row : rows) {
    if (count++ > 0) json_array->push_back(',');
    json_array->append(row[0].value_or("null"));
    last = &row;
  }
  json_array->push_back(']');
  if (tail) {
    tail->count = count;
    tail->last_id = last ? (*last)[1].value_or("") : "";
  }
  return Status::Ok();
}

}  // namespace glance::db
