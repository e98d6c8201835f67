#include "text.h"

#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <random>
#include <regex>
#include <stdexcept>

namespace testsupport {

std::string RequireEnv(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    throw std::runtime_error(std::string("environment variable ") + name +
                             " is not set; run the tests through scripts/run-tests");
  }
  return value;
}

int NextNumber() {
  static std::atomic<int> counter{0};
  return ++counter;
}

std::string Unique(std::string_view prefix) {
  return std::string(prefix) + "-" + std::to_string(getpid()) + "-" + std::to_string(NextNumber());
}

std::string NewRunTag() {
  static std::mt19937_64 engine(std::random_device{}() ^ static_cast<uint64_t>(getpid()));
  static const char* kAlnum = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string tag;
  for (int i = 0; i < 12; ++i) tag.push_back(kAlnum[engine() % 36]);
  return tag;
}

std::string ToLower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string Trim(const std::string& text) {
  size_t b = 0, e = text.size();
  while (b < e && std::isspace(static_cast<unsigned char>(text[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1]))) --e;
  return text.substr(b, e - b);
}

std::string Tail(const std::string& text, size_t bytes) {
  return text.size() <= bytes ? text : "..." + text.substr(text.size() - bytes);
}

std::string UrlEncode(std::string_view text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string Query(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    out += out.empty() ? "?" : "&";
    out += UrlEncode(k) + "=" + UrlEncode(v);
  }
  return out;
}

bool LooksLikeUuid(const std::string& text) {
  static const std::regex re("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
  return std::regex_match(text, re);
}

bool LooksLikeTimestamp(const std::string& text) {
  static const std::regex re("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}$");
  return std::regex_match(text, re);
}

std::string RandomUuid() {
  static std::mt19937_64 rng(std::random_device{}() ^ static_cast<uint64_t>(getpid()));
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 32; ++i) {
    int v = static_cast<int>(rng() & 15);
    if (i == 12) v = 4;               // version 4
    if (i == 16) v = 8 + (v & 3);     // RFC 4122 variant
    if (i == 8 || i == 12 || i == 16 || i == 20) out += '-';
    out += hex[v];
  }
  return out;
}

Md5::Md5() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_md5(), nullptr); }

Md5::~Md5() { EVP_MD_CTX_free(ctx_); }

void Md5::Update(const char* data, size_t size) { EVP_DigestUpdate(ctx_, data, size); }

std::string HexOf(const unsigned char* digest, unsigned int length) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

std::string Md5::HexDigest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx_, digest, &length);
  return HexOf(digest, length);
}

std::string Md5Hex(const std::string& data) {
  Md5 md5;
  md5.Update(data.data(), data.size());
  return md5.HexDigest();
}

std::string RandomBytes(size_t size, uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::string out(size, '\0');
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t word = engine();
    std::memcpy(&out[i], &word, 8);
  }
  uint64_t word = engine();
  for (; i < size; ++i) {
    out[i] = static_cast<char>(word & 0xff);
    word >>= 8;
  }
  return out;
}

}  // namespace testsupport
