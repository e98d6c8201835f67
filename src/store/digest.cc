#include "digest.h"

#include <unistd.h>

#include <cerrno>
#include <memory>
#include <vector>

namespace glance {

std::string HexOf(const unsigned char* digest, unsigned int length) {
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 15]);
  }
  return hex;
}

int DigestRange(int fd, const EVP_MD* algorithm, off_t offset, int64_t length, std::string* hex,
                int64_t* size) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), algorithm, nullptr) != 1) return EIO;
  constexpr int64_t kChunk = 1 << 20;
  std::vector<unsigned char> buffer(kChunk);
  int64_t done = 0;
  while (length < 0 || done < length) {
    int64_t want = length < 0 ? kChunk : std::min(kChunk, length - done);
    ssize_t n = pread(fd, buffer.data(), static_cast<size_t>(want), offset + done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) break;
    EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<size_t>(n));
    done += n;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  if (EVP_DigestFinal_ex(ctx.get(), digest, &digest_length) != 1) return EIO;
  *hex = HexOf(digest, digest_length);
  *size = done;
  return 0;
}

std::string Md5Hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_md5(), nullptr);
  return HexOf(digest, length);
}

}  // namespace glance
