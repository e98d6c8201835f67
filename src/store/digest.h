// One digest (MD5, SHA-512) of a range of an open file, as lower-case hex,
// read with pread so that several digests can run on one file at once.
#ifndef GLANCE_SRC_STORE_DIGEST_H_
#define GLANCE_SRC_STORE_DIGEST_H_

#include <openssl/evp.h>
#include <sys/types.h>

#include <cstdint>
#include <string>

namespace glance {

// `length` -1 reads to the end.  `*size` receives the bytes read.  Returns
// 0, or the errno of the failed read (EIO for a failed digest).
int DigestRange(int fd, const EVP_MD* algorithm, off_t offset, int64_t length, std::string* hex,
                int64_t* size);

// A digest's bytes as lower-case hex.
std::string HexOf(const unsigned char* digest, unsigned int length);

// MD5 of `text`, lower-case hex.
std::string Md5Hex(const std::string& text);

}  // namespace glance

#endif  // GLANCE_SRC_STORE_DIGEST_H_
