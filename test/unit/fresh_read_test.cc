// FreshRead (glance/common/fresh_read.h): every caller gets a read begun
// after it arrived; callers arriving together share one.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "glance/common/fresh_read.h"

using glance::FreshRead;
using glance::Status;

BOOST_AUTO_TEST_SUITE(fresh_read)

BOOST_AUTO_TEST_CASE(each_caller_after_another_gets_a_read_of_its_own) {
  FreshRead fresh;
  int reads = 0;
  auto read = [&](int64_t* value) {
    *value = ++reads;
    return Status::Ok();
  };
  FreshRead::Reading first, second;
  BOOST_TEST(fresh.Get(read, &first).ok());
  BOOST_TEST(fresh.Get(read, &second).ok());
  BOOST_TEST(first.value == 1);
  BOOST_TEST(second.value == 2);
  BOOST_TEST((second.began >= first.began));
}

BOOST_AUTO_TEST_CASE(callers_arriving_together_share_a_read_begun_after_they_came) {
  FreshRead fresh;
  std::atomic<int> reads{0};
  auto read = [&](int64_t* value) {
    *value = ++reads;
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    return Status::Ok();
  };
  // Boost.Test's assertions are not thread-safe: the callers only count.
  std::atomic<int> early{0}, failed{0};
  std::vector<std::thread> callers;
  for (int i = 0; i < 16; ++i) {
    callers.emplace_back([&] {
      auto arrived = FreshRead::Clock::now();
      FreshRead::Reading reading;
      if (!fresh.Get(read, &reading).ok()) ++failed;
      if (reading.began < arrived) ++early;
    });
  }
  for (auto& t : callers) t.join();
  BOOST_TEST(failed == 0);
  BOOST_TEST(early == 0, early << " callers got a read begun before they arrived");
  BOOST_TEST(reads <= 3, reads << " reads for 16 callers");
}

BOOST_AUTO_TEST_CASE(a_failed_read_is_every_waiters_answer_and_the_next_caller_reads_again) {
  FreshRead fresh;
  int reads = 0;
  FreshRead::Reading reading;
  Status failed = fresh.Get(
      [&](int64_t*) {
        ++reads;
        return Status::Unavailable("down");
      },
      &reading);
  BOOST_TEST((failed.code() == Status::Code::kUnavailable));
  BOOST_TEST(fresh.Get([&](int64_t* v) { *v = ++reads; return Status::Ok(); }, &reading).ok());
  BOOST_TEST(reading.value == 2);
}

BOOST_AUTO_TEST_SUITE_END()
