// The registry as a process: SIGTERM, concurrent clients (workers = 8),
// races on the same rows, clients that misbehave on the socket.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "registry_fixture.h"

using namespace it;

namespace {

// Runs fn(i) on n threads at once and returns what each returned.
template <typename Fn>
auto Parallel(int n, Fn fn) {
  using Result = decltype(fn(0));
  std::vector<Result> results(static_cast<size_t>(n));
  std::vector<std::thread> threads;
  std::mutex mu;
  std::condition_variable cv;
  bool go = false;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return go; });
      }
      results[static_cast<size_t>(i)] = fn(i);
    });
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    go = true;
  }
  cv.notify_all();
  for (auto& t : threads) t.join();
  return results;
}

std::map<int, int> Histogram(const std::vector<int>& statuses) {
  std::map<int, int> h;
  for (int s : statuses) ++h[s];
  return h;
}

std::string Show(const std::map<int, int>& h) {
  std::string out;
  for (const auto& [status, count] : h) out += std::to_string(status) + "x" + std::to_string(count) + " ";
  return out;
}

int RawConnect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void SendAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(registry_process, *boost::unit_test::fixture<it::SuiteScope>())

BOOST_AUTO_TEST_CASE(sigterm_stops_the_registry) {
  Env& env = Shared();
  RegistryProcess registry(env.db().Url());
  BOOST_REQUIRE(registry.api().Get("/images", ForTenant("t-sig")).status == 200);
  auto start = std::chrono::steady_clock::now();
  ProcessResult ended = registry.Stop(10s);
  auto took = std::chrono::steady_clock::now() - start;
  BOOST_TEST(!ended.timed_out, "glance-registry ignored SIGTERM for 10 s; log:\n" << registry.LogTail());
  // It catches SIGTERM, stops serving and exits cleanly.
  BOOST_TEST((ended.exited && ended.exit_code == 0), "exit " << ended.exit_code << " signal " << ended.term_signal);
  BOOST_TEST((took < 10s));
  // The port is closed afterwards.
  BOOST_TEST(registry.api().Get("/healthcheck").status == 0);
}

BOOST_AUTO_TEST_CASE(concurrent_clients) {
  Env& env = Shared();
  Api api = env.api();
  std::string tag = Unique("conc");
  const int kThreads = 8, kPerThread = 10;
  auto results = Parallel(kThreads, [&](int t) {
    std::vector<std::string> errors;
    Headers h = ForTenant("t-conc-" + tag + "-" + std::to_string(t));
    for (int i = 0; i < kPerThread; ++i) {
      Response c = api.PostJson("/images", h, {{"image", {{"name", "c"}, {"properties", {{"tag", tag}}}}}});
      if (c.status != 200) {
        errors.push_back("POST " + c.Describe());
        continue;
      }
      std::string id = c.Json()["image"].value("id", "");
      Response g = api.Get("/images/" + id, h);
      if (g.status != 200) errors.push_back("GET " + g.Describe());
      Response l = api.Get("/images/detail" + Query({{"property-tag", tag}}), h);
      if (l.status != 200) errors.push_back("LIST " + l.Describe());
      Response u = api.PutJson("/images/" + id, h, {{"image", {{"min_ram", i}}}});
      if (u.status != 200) errors.push_back("PUT " + u.Describe());
    }
    return errors;
  });
  for (int t = 0; t < kThreads; ++t) {
    BOOST_TEST(results[static_cast<size_t>(t)].empty(),
               "thread " << t << ": " << (results[static_cast<size_t>(t)].empty() ? "" : results[static_cast<size_t>(t)][0]));
  }
  BOOST_TEST(env.Count("SELECT count(*) FROM image_properties WHERE name = 'tag' AND value = :p", tag) ==
             kThreads * kPerThread);
  BOOST_TEST(ListDetail(api, Admin(), Query({{"property-tag", tag}, {"is_public", "none"}, {"limit", "1000"}})).size() ==
             static_cast<size_t>(kThreads * kPerThread));
}

BOOST_AUTO_TEST_CASE(concurrent_duplicate_ids_yield_one_image) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-race"));
  std::string id = RandomUuid();
  auto statuses = Parallel(8, [&](int i) {
    return api.PostJson("/images", h, {{"image", {{"id", id}, {"name", "racer-" + std::to_string(i)}}}}).status;
  });
  auto hist = Histogram(statuses);
  BOOST_TEST(hist[200] == 1, Show(hist));
  BOOST_TEST(hist[409] == 7, Show(hist));
  BOOST_TEST(env.Count("SELECT count(*) FROM images WHERE id = :p", id) == 1);
}

BOOST_AUTO_TEST_CASE(concurrent_from_state_allows_one_winner) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-race"));
  std::string id = S(CreateImage(api, h, {{"name", "cas"}, {"status", "queued"}}), "id");
  auto statuses = Parallel(8, [&](int i) {
    return api.PutJson("/images/" + id, h,
                       {{"image", {{"status", "saving"}, {"name", "winner-" + std::to_string(i)}}},
                        {"from_state", "queued"}})
        .status;
  });
  auto hist = Histogram(statuses);
  BOOST_TEST(hist[200] == 1, Show(hist));
  BOOST_TEST(hist[409] == 7, Show(hist));
  BOOST_TEST(env.Text("SELECT status FROM images WHERE id = :p", id).value_or("") == "saving");
}

BOOST_AUTO_TEST_CASE(concurrent_member_additions_yield_one_membership) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-race"));
  std::string id = S(CreateImage(api, h, {{"name", "mem"}}), "id");
  std::string member = Unique("t-m");
  auto statuses = Parallel(8, [&](int) { return api.Put("/images/" + id + "/members/" + member, h).status; });
  auto hist = Histogram(statuses);
  BOOST_TEST(hist[204] == 8, Show(hist));
  BOOST_TEST(env.Count("SELECT count(*) FROM image_members WHERE image_id = :p AND NOT deleted", id) == 1);

  // Concurrent replacements leave exactly one of the requested sets.
  auto replaced = Parallel(8, [&](int i) {
    json set = json::array();
    for (int k = 0; k < 3; ++k) set.push_back({{"member_id", "t-set-" + std::to_string(i) + "-" + std::to_string(k)}});
    return api.PutJson("/images/" + id + "/members", h, {{"memberships", set}}).status;
  });
  auto hist2 = Histogram(replaced);
  BOOST_TEST(hist2[204] + hist2[409] == 8, Show(hist2));
  BOOST_TEST(hist2[204] >= 1, Show(hist2));
  BOOST_TEST(env.Count("SELECT count(*) FROM image_members WHERE image_id = :p AND NOT deleted", id) == 3);
  BOOST_TEST(env.Count("SELECT count(DISTINCT split_part(member, '-', 3)) FROM image_members "
                       "WHERE image_id = :p AND NOT deleted", id) == 1);
}

BOOST_AUTO_TEST_CASE(misbehaving_clients_do_not_hurt) {
  Env& env = Shared();
  int port = env.registry().port();
  // Connect and hang up; half a request line; garbage; a body shorter than
  // its Content-Length.
  for (const std::string& data :
       {std::string(), std::string("GET /ima"), std::string("\x16\x03\x01\x02\x00garbage\r\n\r\n"),
        std::string("POST /images HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nX-Identity-Status: Confirmed\r\n"
                    "X-Tenant-Id: t\r\n\r\n{\"image\":")}) {
    int fd = RawConnect(port);
    BOOST_REQUIRE(fd >= 0);
    SendAll(fd, data);
    ::close(fd);
  }
  std::this_thread::sleep_for(100ms);
  BOOST_TEST(env.registry().Alive());
  Response r = env.api().Get("/healthcheck");
  BOOST_TEST(r.status == 200, r.Describe());
  BOOST_TEST(env.api().Get("/images", ForTenant("t-after")).status == 200);
}

BOOST_AUTO_TEST_SUITE_END()
