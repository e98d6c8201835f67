// Shared by the libFuzzer targets and the unit-test replay of their inputs.
//
// Each target is one function of the raw input.  Built for libFuzzer it is
// wrapped in LLVMFuzzerTestOneInput; built into the unit tests (with
// GLANCE_FUZZ_REPLAY) only the function remains, so `make test` replays every
// kept input through exactly the same checks without clang.
//
// A broken invariant throws FuzzFailure: under libFuzzer an escaping
// exception aborts and is reported as a crash with its input; in the unit
// tests it is a failed check that names the file.
#ifndef GLANCE_TEST_FUZZ_FUZZ_TARGET_H_
#define GLANCE_TEST_FUZZ_FUZZ_TARGET_H_

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "glance/common/status.h"

namespace glance::fuzz {

struct FuzzFailure : std::logic_error {
  using std::logic_error::logic_error;
};

inline void Check(bool condition, const std::string& what) {
  if (!condition) throw FuzzFailure(what);
}

// Hostile input may be refused, but only as the 400 the code already uses,
// with a message to show the client.
inline void CheckCleanRefusal(const Status& s, Status::Code expected, const char* where) {
  if (s.ok()) return;
  Check(s.code() == expected, std::string(where) + " failed with " + s.ToString());
  Check(!s.message().empty(), std::string(where) + " failed without a message");
}

void ImageHeadersInput(std::string_view input);
void ListQueryInput(std::string_view input);
void RegistryJsonInput(std::string_view input);

}  // namespace glance::fuzz

#ifdef GLANCE_FUZZ_REPLAY
#define GLANCE_FUZZ_ENTRY_POINT(function)
#else
#define GLANCE_FUZZ_ENTRY_POINT(function)                                          \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {        \
    function(std::string_view(reinterpret_cast<const char*>(data), size));         \
    return 0;                                                                      \
  }
#endif

#endif  // GLANCE_TEST_FUZZ_FUZZ_TARGET_H_
