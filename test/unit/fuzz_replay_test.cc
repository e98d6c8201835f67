// Replays every kept fuzz input (test/fuzz/corpus/<target> and
// test/fuzz/regressions/<target>) through the fuzz targets' own checks, so
// that the ordinary g++ build and `make test` cover them without clang.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "../fuzz/fuzz_target.h"

namespace {

namespace fs = std::filesystem;

void ReplayAll(const std::string& target, void (*check)(std::string_view)) {
  size_t replayed = 0;
  for (const char* kind : {"corpus", "regressions"}) {
    fs::path dir = fs::path(GLANCE_FUZZ_DIR) / kind / target;
    if (!fs::is_directory(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (!entry.is_regular_file()) continue;
      std::ifstream file(entry.path(), std::ios::binary);
      std::string input((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
      try {
        check(input);
      } catch (const std::exception& e) {
        BOOST_ERROR(entry.path().string() << ": " << e.what());
      }
      ++replayed;
    }
  }
  // A missing directory must not turn the replay into a silent pass.
  BOOST_TEST(replayed > 0, "no kept inputs for " << target << " under " << GLANCE_FUZZ_DIR);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fuzz_replay)

BOOST_AUTO_TEST_CASE(image_headers) { ReplayAll("image_headers", glance::fuzz::ImageHeadersInput); }
BOOST_AUTO_TEST_CASE(list_query) { ReplayAll("list_query", glance::fuzz::ListQueryInput); }
BOOST_AUTO_TEST_CASE(registry_json) { ReplayAll("registry_json", glance::fuzz::RegistryJsonInput); }

BOOST_AUTO_TEST_SUITE_END()
