// The incoming area's companion process: early writeback and hashing of
// upload bodies while nginx is still receiving them.
//
// nginx writes an upload body into the incoming directory and only then
// hands the request to a worker, which must hash the file (MD5, SHA-512)
// and fdatasync it before the image may become active.  Done only then,
// the upload costs receiving plus hashing plus flushing, one after the
// other.  This loop watches the incoming directory and, as each body file
// grows, starts its disk writes (sync_file_range, no waiting) and feeds
// the new bytes to both digests from the page cache.  When the worker is
// handed the complete file it asks the companion over a unix socket
// (`digest_socket`) for the digests of exactly that file (name, inode and
// size); the companion hashes whatever tail is left and answers.  Nothing
// relies on the companion: it opens files read-only and changes nothing,
// and a worker that gets no answer (companion dead, file unknown, a size
// or inode that does not match) hashes the file itself.  The worker's
// fdatasync remains the only thing an image's durability relies on.
#ifndef GLANCE_STORE_INCOMING_WRITEBACK_H_
#define GLANCE_STORE_INCOMING_WRITEBACK_H_

#include <string>

#include "glance/common/status.h"
#include "glance/store/store.h"

namespace glance {

// Runs until the process is killed; returns only when the directory cannot
// be watched (the reason is logged).  `digest_socket` empty: writeback only.
void RunIncomingWriteback(const std::string& incoming_dir, const std::string& digest_socket = "");

// The worker's side: the digests of `path` (a file directly in the incoming
// directory the companion watches) as the companion computed them, or
// kUnavailable/kNotFound when it cannot vouch for exactly this file.
Status AskCompanionForDigests(const std::string& digest_socket, const std::string& path,
                              ImageDigests* digests);

// Where glance-api's companion listens: beside the FastCGI socket.
std::string DigestSocketFor(const std::string& fcgi_socket);

}  // namespace glance

#endif  // GLANCE_STORE_INCOMING_WRITEBACK_H_
