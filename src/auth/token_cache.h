// TokenCache: what Keystone said about a token, kept in memory that every
// worker process of one glance-api shares (an anonymous shared mapping made
// before the supervisor forks), so that a busy api asks Keystone once per
// token and cache period, not once per request and worker.
//
// Keys are SHA-256 digests of the token, never the token.  Each entry
// carries its own absolute expiry (the caller decides it: never past the
// token's expires_at nor token_cache_time).  The table is fixed-size and
// set-associative: a full set evicts the entry that expires first.  A
// process-shared robust mutex guards it; a worker that dies holding it
// leaves an empty table behind, never a corrupt one.  Identities too large
// for a slot are simply not cached.
#ifndef GLANCE_SRC_AUTH_TOKEN_CACHE_H_
#define GLANCE_SRC_AUTH_TOKEN_CACHE_H_

#include <pthread.h>

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

namespace glance::auth {

// The identity a valid token carries, or a verdict that it is not valid.
struct TokenIdentity {
  bool valid = false;
  std::string user_id;
  std::string project_id;            // empty: not project-scoped
  std::vector<std::string> roles;    // lower-cased names, implied roles included
  std::time_t expires_at = 0;        // the token's own expiry (valid only)
};

class TokenCache {
 public:
  // `slots` entries of about 1 KiB each (rounded up to whole sets).
  explicit TokenCache(size_t slots = 8192);
  ~TokenCache();
  TokenCache(const TokenCache&) = delete;
  TokenCache& operator=(const TokenCache&) = delete;

  std::optional<TokenIdentity> Find(const std::string& token, std::time_t now) const;
  // Keeps `identity` for `token` until `until` (absolute, > now).
  void Store(const std::string& token, const TokenIdentity& identity, std::time_t until);
  void Forget(const std::string& token);
  void Clear();

 private:
  struct Table;
  class Lock;
  Table* table_ = nullptr;
  size_t bytes_ = 0;
};

// The digest the cache keys on (also what logs may name a token by).
std::string TokenDigest(const std::string& token);

}  // namespace glance::auth

#endif  // GLANCE_SRC_AUTH_TOKEN_CACHE_H_
