// Small value helpers the integration and end-to-end suites share: the
// environment scripts/run-tests exports, names unique to a run, URL
// encoding, UUIDs, digests and reproducible test data.
#ifndef GLANCE_TEST_SUPPORT_TEXT_H_
#define GLANCE_TEST_SUPPORT_TEXT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <openssl/evp.h>

namespace testsupport {

// The value of an environment variable; throws std::runtime_error naming it
// (and scripts/run-tests) when it is unset or empty.
std::string RequireEnv(const char* name);

// 1, 2, 3, ... within this process: with the pid it makes names (files,
// databases) that no other run uses.
int NextNumber();
// "prefix-<pid>-<n>".
std::string Unique(std::string_view prefix);
// 12 random lower-case letters and digits, for names that must also differ
// from those of a run with the same pid.
std::string NewRunTag();

std::string ToLower(std::string text);
// Without leading and trailing white space.
std::string Trim(const std::string& text);
// The last `bytes` of `text`, after "..." when something was cut.
std::string Tail(const std::string& text, size_t bytes = 4000);

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string UrlEncode(std::string_view text);
// "?k1=v1&k2=v2" with both sides percent-encoded ("" for no parameters).
std::string Query(const std::vector<std::pair<std::string, std::string>>& params);

// True for the canonical 8-4-4-4-12 lower/upper-case hexadecimal form.
bool LooksLikeUuid(const std::string& text);
// True for "YYYY-MM-DDTHH:MM:SS.ffffff".
bool LooksLikeTimestamp(const std::string& text);
// A random version-4 UUID, lower case.
std::string RandomUuid();

// MD5 of data fed in pieces (a download hashed while it streams).
class Md5 {
 public:
  Md5();
  ~Md5();
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;
  void Update(const char* data, size_t size);
  std::string HexDigest();  // once, at the end

 private:
  EVP_MD_CTX* ctx_;
};
std::string Md5Hex(const std::string& data);
// A digest's bytes as lower-case hex.
std::string HexOf(const unsigned char* digest, unsigned int length);
// The same `size` pseudo-random bytes for the same seed, so a failure can
// be replayed.
std::string RandomBytes(size_t size, uint64_t seed);

}  // namespace testsupport

#endif  // GLANCE_TEST_SUPPORT_TEXT_H_
