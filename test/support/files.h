// Looking at files the daemons under test leave: stores, logs, pid files.
#ifndef GLANCE_TEST_SUPPORT_FILES_H_
#define GLANCE_TEST_SUPPORT_FILES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace testsupport {

bool PathExists(const std::string& path);  // a dangling symlink exists too
int64_t FileSize(const std::string& path);  // -1 when missing
// Regular files below `dir` (recursive); empty when dir is missing.
std::vector<std::string> FilesUnder(const std::string& dir);
// The whole file ("" when it cannot be read).
std::string ReadFile(const std::string& path);
// The last `bytes` of the file, as Tail() cuts them.
std::string TailOfFile(const std::string& path, size_t bytes = 4000);

// "$GLANCE_TEST_TMPDIR/<stem>-<pid>-<n><suffix>": no other run or call
// gets the same path, and the pid tells a later run whose leftover it is.
std::string TempPath(const std::string& stem, const std::string& suffix);

}  // namespace testsupport

#endif  // GLANCE_TEST_SUPPORT_FILES_H_
