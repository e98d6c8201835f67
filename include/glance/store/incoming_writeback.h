// Early writeback of upload bodies.
//
// nginx writes an upload body into the incoming directory and only then
// hands the request to a worker, which must fdatasync the whole file before
// the image may become active.  Left alone, the kernel keeps those pages
// dirty until that fdatasync, so the worker waits for the entire body to
// reach the disk after the client has finished sending.  This loop watches
// the incoming directory and starts the disk writes (sync_file_range, no
// waiting) while nginx is still receiving, so the worker's fdatasync finds
// little left to do.  It changes no data and no durability guarantee: the
// worker's fdatasync remains the only thing an image's state relies on.
#ifndef GLANCE_STORE_INCOMING_WRITEBACK_H_
#define GLANCE_STORE_INCOMING_WRITEBACK_H_

#include <string>

namespace glance {

// Runs until the process is killed; returns only when the directory cannot
// be watched (the reason is logged).  Files are opened read-only and never
// modified.
void RunIncomingWriteback(const std::string& incoming_dir);

}  // namespace glance

#endif  // GLANCE_STORE_INCOMING_WRITEBACK_H_
