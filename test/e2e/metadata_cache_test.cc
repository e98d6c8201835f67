// The metadata caches (src/api/image_read_cache.h in every worker,
// src/db/metadata_cache.h in every registry) across two api nodes, each
// with its own nginx, workers and registry, on one database: a write
// acknowledged by either node is read back by the other at once, clients
// hammering one image never read the past, and a revoked membership or a
// deletion is never served from a cache.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "e2e.h"

using namespace e2e;
using Clock = std::chrono::steady_clock;

namespace {

// A second node of the trusted-auth stack, on its database.
struct SecondNode {
  static Stack* node;
  SecondNode() {
    node = new Stack("trusted-node2", "trusted-auth",
                     {{"GLANCE_DB_URL", TrustedStack().DatabaseUrl()}});
    node->Start();
  }
  ~SecondNode() {
    node->Stop();
    std::error_code ignored;
    if (!AnyTestFailed() && !node->var_dir().empty()) std::filesystem::remove_all(node->var_dir(), ignored);
    delete node;
    node = nullptr;
  }
};
Stack* SecondNode::node = nullptr;

Stack& Node2() {
  if (!SecondNode::node || !SecondNode::node->started()) {
    throw std::runtime_error("the second node did not start: " +
                             (SecondNode::node ? SecondNode::node->start_error() : ""));
  }
  return *SecondNode::node;
}

std::string Property(const Reply& head) { return head.Header("x-image-meta-property-v"); }

Reply SetProperty(const Api& api, const std::string& id, int value) {
  return api.Put("/v1/images/" + id, {{"x-image-meta-property-v", std::to_string(value)}}, "", "");
}

// Lines of the registry's log that fetched image `id` by id.
int RegistryReadsOf(const Stack& stack, const std::string& id) {
  std::ifstream log(stack.LogDir() + "/glance-registry.log");
  int count = 0;
  for (std::string line; std::getline(log, line);) {
    if (line.find("GET /images/" + id + " ") != std::string::npos) ++count;
  }
  return count;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(metadata_cache, *boost::unit_test::fixture<SecondNode>())

BOOST_AUTO_TEST_CASE(a_change_through_one_node_is_read_through_the_other) {
  std::string tenant = "mc-" + NewRunTag();
  Api one = TrustedStack().api(ForTenant(tenant)), two = Node2().api(ForTenant(tenant));
  ImageRef image = ReserveImage(one, "mc-cross", {{"x-image-meta-property-v", "0"}});
  BOOST_REQUIRE_MESSAGE(image.reply.status == 201, image.reply.Describe());

  // Reads through the other node's caches right after each acknowledgement
  // (both nodes read the image between changes, so their caches hold it).
  int stale = 0, failed = 0;
  for (int i = 1; i <= 150; ++i) {
    const Api& writer = i % 2 ? one : two;
    const Api& other = i % 2 ? two : one;
    if (SetProperty(writer, image.id, i).status != 200) ++failed;
    Reply there = other.Head("/v1/images/" + image.id);
    Reply here = writer.Head("/v1/images/" + image.id);
    Reply v2 = other.Get("/v2/images/" + image.id);
    if (Property(there) != std::to_string(i) || Property(here) != std::to_string(i)) ++stale;
    if (v2.status != 200 || v2.Json().value("v", "") != std::to_string(i)) ++stale;
  }
  BOOST_TEST(failed == 0);
  BOOST_TEST(stale == 0);

  // Without changes the image is read from the caches, not the registry:
  // about once per worker (two), however slow the epoch reads that renew
  // the leases are (a sanitizer build's are slower than the lease).
  int before = RegistryReadsOf(Node2(), image.id);
  for (int i = 0; i < 200; ++i) BOOST_TEST_REQUIRE(two.Head("/v1/images/" + image.id).status == 200);
  int registry_reads = RegistryReadsOf(Node2(), image.id) - before;
  BOOST_TEST(registry_reads <= 6, registry_reads << " of 200 HEADs reached the registry");

  // A new image is in every node's lists at once (pages both nodes had
  // cached just before); a deletion through one node is seen through the
  // other at once.
  std::string name = "mc-listed-" + NewRunTag();
  auto listed = [&](const Api& api) {
    size_t v1 = api.Get("/v1/images/detail?name=" + name).Json()["images"].size();
    size_t v2 = api.Get("/v2/images?name=" + name).Json()["images"].size();
    return v1 == v2 ? static_cast<int>(v1) : -1;
  };
  for (int i = 0; i < 3; ++i) BOOST_TEST_REQUIRE(listed(one) + listed(two) == 0);
  ImageRef created = ReserveImage(two, name);
  BOOST_REQUIRE(created.reply.status == 201);
  BOOST_TEST(listed(one) == 1);
  BOOST_TEST(listed(two) == 1);
  BOOST_TEST(one.Delete("/v1/images/" + created.id).status == 200);
  BOOST_TEST(two.Head("/v1/images/" + created.id).status == 404);
  BOOST_TEST(two.Get("/v2/images/" + created.id).status == 404);
  BOOST_TEST(listed(two) == 0);
  BOOST_TEST(listed(one) == 0);
}

BOOST_AUTO_TEST_CASE(several_clients_in_a_tight_loop_never_read_the_past) {
  std::string tenant = "mc-" + NewRunTag();
  Api one = TrustedStack().api(ForTenant(tenant)), two = Node2().api(ForTenant(tenant));
  ImageRef image = ReserveImage(one, "mc-loop", {{"x-image-meta-property-v", "0"}});
  BOOST_REQUIRE_MESSAGE(image.reply.status == 201, image.reply.Describe());

  struct Read {
    Clock::time_point started;
    int value;
  };
  std::mutex mutex;
  std::vector<Clock::time_point> acknowledged{Clock::time_point()};  // of value k, at [k]
  std::vector<Read> reads;
  std::atomic<bool> done{false};
  std::atomic<int> errors{0};
  auto reader = [&](const Api& api) {
    std::vector<Read> mine;
    while (!done) {
      Read read{Clock::now(), -1};
      Reply head = api.Head("/v1/images/" + image.id);
      if (head.status != 200) {
        ++errors;
        continue;
      }
      read.value = std::stoi(Property(head));
      mine.push_back(read);
    }
    std::lock_guard<std::mutex> lock(mutex);
    reads.insert(reads.end(), mine.begin(), mine.end());
  };
  std::vector<std::thread> readers;
  for (int r = 0; r < 6; ++r) readers.emplace_back(reader, r % 2 ? one : two);
  auto until = Clock::now() + std::chrono::seconds(3);
  for (int k = 1; Clock::now() < until; ++k) {
    if (SetProperty(k % 2 ? one : two, image.id, k).status != 200) ++errors;
    std::lock_guard<std::mutex> lock(mutex);
    acknowledged.push_back(Clock::now());
  }
  done = true;
  for (auto& t : readers) t.join();

  // A read that began after value k was acknowledged shows k or later.
  int past = 0;
  for (const Read& read : reads) {
    auto after = std::upper_bound(acknowledged.begin(), acknowledged.end(), read.started);
    int newest_acknowledged = static_cast<int>(after - acknowledged.begin()) - 1;
    if (read.value < newest_acknowledged) ++past;
  }
  BOOST_TEST(errors == 0);
  BOOST_TEST(acknowledged.size() > 20u, acknowledged.size() - 1 << " writes");
  BOOST_TEST(reads.size() > 300u, reads.size() << " reads");
  BOOST_TEST(past == 0, past << " of " << reads.size() << " reads showed a value older than one "
                             "already acknowledged when they began");
}

BOOST_AUTO_TEST_CASE(a_revoked_membership_and_a_deletion_are_never_served) {
  std::string owner = "mc-owner-" + NewRunTag(), member = "mc-member-" + NewRunTag();
  Api owner_one = TrustedStack().api(ForTenant(owner)), owner_two = Node2().api(ForTenant(owner));
  Api member_one = TrustedStack().api(ForTenant(member)), member_two = Node2().api(ForTenant(member));
  ImageRef image = ReserveImage(owner_one, "mc-shared");
  BOOST_REQUIRE(image.reply.status == 201);
  BOOST_REQUIRE(owner_one.Put("/v1/images/" + image.id + "/members/" + member, {}, "", "").status ==
                204);
  for (int i = 0; i < 20; ++i) {
    BOOST_TEST_REQUIRE(member_two.Head("/v1/images/" + image.id).status == 200);
    BOOST_TEST_REQUIRE(member_one.Get("/v2/images/" + image.id).status == 200);
  }
  BOOST_TEST(owner_one.Delete("/v1/images/" + image.id + "/members/" + member).status == 204);
  BOOST_TEST(member_two.Head("/v1/images/" + image.id).status == 404);
  BOOST_TEST(member_one.Head("/v1/images/" + image.id).status == 404);
  BOOST_TEST(member_one.Get("/v2/images/" + image.id).status == 404);

  for (int i = 0; i < 20; ++i) BOOST_TEST_REQUIRE(owner_one.Head("/v1/images/" + image.id).status == 200);
  BOOST_TEST(owner_two.Delete("/v1/images/" + image.id).status == 200);
  BOOST_TEST(owner_one.Head("/v1/images/" + image.id).status == 404);
  BOOST_TEST(owner_one.Get("/v2/images/" + image.id).status == 404);
  BOOST_TEST(owner_one.Get("/v1/images/" + image.id).status == 404);
}

BOOST_AUTO_TEST_SUITE_END()
