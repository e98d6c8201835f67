#include "token_cache.h"

#include <sys/mman.h>

#include <openssl/sha.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <stdexcept>

namespace glance::auth {

namespace {

constexpr size_t kWays = 8;            // slots per set
constexpr size_t kPayloadBytes = 976;  // slot = 1 KiB with its header

struct Slot {
  unsigned char key[SHA256_DIGEST_LENGTH];
  int64_t until;  // 0: empty
  uint16_t length;
  char payload[kPayloadBytes];
};

// Identity <-> bytes: length-prefixed fields, so no separator a user or
// role name could contain is needed.
class Writer {
 public:
  explicit Writer(char* out) : out_(out) {}
  bool Put(const void* data, size_t n) {
    if (used_ + n > kPayloadBytes) return false;
    std::memcpy(out_ + used_, data, n);
    used_ += n;
    return true;
  }
  bool Text(const std::string& text) {
    if (text.size() > UINT16_MAX) return false;
    uint16_t n = static_cast<uint16_t>(text.size());
    return Put(&n, sizeof n) && Put(text.data(), n);
  }
  size_t used() const { return used_; }

 private:
  char* out_;
  size_t used_ = 0;
};

class Reader {
 public:
  Reader(const char* in, size_t size) : in_(in), size_(size) {}
  bool Get(void* data, size_t n) {
    if (read_ + n > size_) return false;
    std::memcpy(data, in_ + read_, n);
    read_ += n;
    return true;
  }
  bool Text(std::string* text) {
    uint16_t n = 0;
    if (!Get(&n, sizeof n) || read_ + n > size_) return false;
    text->assign(in_ + read_, n);
    read_ += n;
    return true;
  }

 private:
  const char* in_;
  size_t size_;
  size_t read_ = 0;
};

bool Encode(const TokenIdentity& identity, Slot* slot) {
  Writer w(slot->payload);
  uint8_t valid = identity.valid ? 1 : 0;
  int64_t expires = identity.expires_at;
  uint16_t roles = static_cast<uint16_t>(identity.roles.size());
  if (identity.roles.size() > UINT16_MAX) return false;
  if (!w.Put(&valid, 1) || !w.Put(&expires, sizeof expires) || !w.Text(identity.user_id) ||
      !w.Text(identity.project_id) || !w.Put(&roles, sizeof roles)) {
    return false;
  }
  for (const std::string& role : identity.roles) {
    if (!w.Text(role)) return false;
  }
  slot->length = static_cast<uint16_t>(w.used());
  return true;
}

bool Decode(const Slot& slot, TokenIdentity* identity) {
  Reader r(slot.payload, slot.length);
  uint8_t valid = 0;
  int64_t expires = 0;
  uint16_t roles = 0;
  if (!r.Get(&valid, 1) || !r.Get(&expires, sizeof expires) || !r.Text(&identity->user_id) ||
      !r.Text(&identity->project_id) || !r.Get(&roles, sizeof roles)) {
    return false;
  }
  identity->valid = valid == 1;
  identity->expires_at = static_cast<std::time_t>(expires);
  identity->roles.resize(roles);
  for (std::string& role : identity->roles) {
    if (!r.Text(&role)) return false;
  }
  return true;
}

}  // namespace

std::string TokenDigest(const std::string& token) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest);
  return std::string(reinterpret_cast<char*>(digest), sizeof digest);
}

struct TokenCache::Table {
  pthread_mutex_t mutex;
  size_t sets;
  Slot slots[1];  // sets * kWays of them follow

  Slot* Set(const std::string& digest) {
    uint64_t h = 0;
    std::memcpy(&h, digest.data(), sizeof h);
    return &slots[(h % sets) * kWays];
  }
};

// Holds the table's mutex.  A holder that died mid-write may have left a
// slot half-written: the table is emptied and the mutex made usable again.
class TokenCache::Lock {
 public:
  explicit Lock(Table* table) : table_(table) {
    int rc = pthread_mutex_lock(&table_->mutex);
    if (rc == EOWNERDEAD) {
      std::memset(table_->slots, 0, table_->sets * kWays * sizeof(Slot));
      pthread_mutex_consistent(&table_->mutex);
    }
  }
  ~Lock() { pthread_mutex_unlock(&table_->mutex); }
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

 private:
  Table* table_;
};

TokenCache::TokenCache(size_t slots) {
  size_t sets = slots / kWays + (slots % kWays ? 1 : 0);
  if (sets == 0) sets = 1;
  bytes_ = sizeof(Table) + (sets * kWays - 1) * sizeof(Slot);
  // MAP_SHARED | MAP_ANONYMOUS: the workers forked after this share it;
  // the pages come zeroed (every slot empty).
  void* memory = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) throw std::runtime_error("token cache: mmap failed");
  table_ = static_cast<Table*>(memory);
  table_->sets = sets;
  pthread_mutexattr_t attributes;
  pthread_mutexattr_init(&attributes);
  pthread_mutexattr_setpshared(&attributes, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&attributes, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&table_->mutex, &attributes);
  pthread_mutexattr_destroy(&attributes);
}

TokenCache::~TokenCache() {
  if (table_) munmap(table_, bytes_);
}

std::optional<TokenIdentity> TokenCache::Find(const std::string& token, std::time_t now) const {
  std::string digest = TokenDigest(token);
  Lock lock(table_);
  Slot* set = table_->Set(digest);
  for (size_t i = 0; i < kWays; ++i) {
    Slot& slot = set[i];
    if (slot.until == 0 || std::memcmp(slot.key, digest.data(), sizeof slot.key) != 0) continue;
    if (slot.until <= now) {
      slot.until = 0;
      return std::nullopt;
    }
    TokenIdentity identity;
    if (!Decode(slot, &identity)) {
      slot.until = 0;
      return std::nullopt;
    }
    return identity;
  }
  return std::nullopt;
}

void TokenCache::Store(const std::string& token, const TokenIdentity& identity, std::time_t until) {
  std::string digest = TokenDigest(token);
  Slot fresh;
  std::memcpy(fresh.key, digest.data(), sizeof fresh.key);
  fresh.until = until;
  if (!Encode(identity, &fresh)) return;
  Lock lock(table_);
  Slot* set = table_->Set(digest);
  // The same token's slot, else an empty one, else the one expiring first.
  Slot* target = nullptr;
  for (size_t i = 0; i < kWays && !target; ++i) {
    if (std::memcmp(set[i].key, digest.data(), sizeof fresh.key) == 0) target = &set[i];
  }
  for (size_t i = 0; i < kWays && !target; ++i) {
    if (set[i].until == 0) target = &set[i];
  }
  if (!target) {
    target = &set[0];
    for (size_t i = 1; i < kWays; ++i) {
      if (set[i].until < target->until) target = &set[i];
    }
  }
  std::memcpy(target, &fresh, offsetof(Slot, payload) + fresh.length);
}

void TokenCache::Forget(const std::string& token) {
  std::string digest = TokenDigest(token);
  Lock lock(table_);
  Slot* set = table_->Set(digest);
  for (size_t i = 0; i < kWays; ++i) {
    if (std::memcmp(set[i].key, digest.data(), sizeof set[i].key) == 0) set[i].until = 0;
  }
}

void TokenCache::Clear() {
  Lock lock(table_);
  for (size_t i = 0; i < table_->sets * kWays; ++i) table_->slots[i].until = 0;
}

}  // namespace glance::auth
