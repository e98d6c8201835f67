#include "glance/image/image_json.h"

#include <boost/test/unit_test.hpp>

using namespace glance;
using nlohmann::json;

BOOST_AUTO_TEST_SUITE(image_json)

BOOST_AUTO_TEST_CASE(parses_every_field) {
  ImageChanges c;
  json body = json::parse(R"({"id": "0DDF0A3E-6B3B-4B6F-9C8E-1234567890AB", "name": "n",
      "disk_format": "raw", "container_format": null, "size": 10, "virtual_size": null,
      "status": "queued", "is_public": true, "protected": false, "checksum": "abc",
      "min_disk": 1, "min_ram": 2, "owner": "t", "created_at": "2026-01-02T03:04:05",
      "properties": {"k": "v"}, "location": "http://h/x", "deleted": true, "unknown": 1})");
  BOOST_TEST(ParseImageChanges(body, &c).ok());
  BOOST_TEST(c.id.value() == "0ddf0a3e-6b3b-4b6f-9c8e-1234567890ab");
  BOOST_TEST(c.name.value().value() == "n");
  BOOST_TEST(c.container_format.has_value());
  BOOST_TEST(!c.container_format->has_value());
  BOOST_TEST(c.size.value().value() == 10);
  BOOST_TEST(c.status.value() == "queued");
  BOOST_TEST(c.is_public.value());
  BOOST_TEST(!c.is_protected.value());
  BOOST_TEST(c.min_ram.value() == 2);
  BOOST_TEST(c.created_at.value() == "2026-01-02 03:04:05.000000");
  BOOST_TEST(c.properties->at("k") == "v");
  BOOST_TEST(c.location.value().value() == "http://h/x");
}

BOOST_AUTO_TEST_CASE(refuses_bad_fields) {
  for (const char* bad : {
           R"({"id": "1"})", R"({"name": 5})", R"({"size": "abc"})", R"({"size": -1})",
           R"({"size": 1.5})", R"({"min_disk": 2147483648})", R"({"min_ram": -1})",
           R"({"min_ram": null})", R"({"is_public": "yes"})", R"({"status": "gone"})",
           R"({"status": 3})", R"({"properties": []})", R"({"properties": {"k": 1}})",
           R"({"properties": {"": "v"}})", R"({"checksum": "0123456789abcdef0123456789abcdef0"})",
           R"({"created_at": "later"})", R"({"name": "a\u0000b"})", R"({"name": "\ud83d\ude00"})",
           R"({"size": 18446744073709551615})"}) {
    ImageChanges c;
    Status s = ParseImageChanges(json::parse(bad), &c);
    BOOST_TEST(s.HttpStatus() == 400, bad);
  }
  ImageChanges c;
  BOOST_TEST(ParseImageChanges(json::array(), &c).HttpStatus() == 400);
  json long_name = {{"name", std::string(256, 'x')}};
  BOOST_TEST(ParseImageChanges(long_name, &c).HttpStatus() == 400);
  json raw_bytes = {{"properties", {{"k", std::string("\xff")}}}};
  BOOST_TEST(ParseImageChanges(raw_bytes, &c).HttpStatus() == 400);
}

// Found by the registry_json fuzz target: json::value() throws on an entry
// that is not an object or a member of another type, and the exception
// escaped to the API worker.  test/fuzz/regressions/registry_json/ keeps the
// exact inputs.
BOOST_AUTO_TEST_CASE(registry_image_with_malformed_location_data) {
  Image image;
  BOOST_TEST(ImageFromRegistryJson(json::parse(R"({"location_data": [""]})"), &image).HttpStatus() ==
             500);
  json dict = json::parse(R"({"id": "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0", "status": "active",
      "location_data": [{"id": "active", "url": 7, "status": null, "metadata": {"k": 1}}]})");
  BOOST_TEST(ImageFromRegistryJson(dict, &image).ok());
  BOOST_TEST(image.locations.size() == 1u);
  BOOST_TEST(image.locations[0].id == 0);
  BOOST_TEST(image.locations[0].url == "");
  BOOST_TEST(image.locations[0].status == "active");
  BOOST_TEST(image.locations[0].metadata_json == R"({"k":1})");
  // A size beyond int64 is not read as a negative one.
  dict["size"] = json::parse("18446744073709551615");
  BOOST_TEST(ImageFromRegistryJson(dict, &image).ok());
  BOOST_TEST(!image.size.has_value());
}

BOOST_AUTO_TEST_CASE(json_bodies) {
  json out;
  BOOST_TEST(ParseJsonBody("{\"a\": 1}", &out).ok());
  BOOST_TEST(ParseJsonBody("{\"a\": ", &out).HttpStatus() == 400);
  BOOST_TEST(ParseJsonBody("", &out).HttpStatus() == 400);
  BOOST_TEST(ParseJsonBody(std::string(100000, '['), &out).HttpStatus() == 400);
  BOOST_TEST(ParseJsonBody("\"[[[[\"", &out).ok());
}

BOOST_AUTO_TEST_CASE(memberships) {
  std::vector<MembershipEntry> entries;
  BOOST_TEST(ParseMemberships(json::parse(R"({"memberships": [{"member_id": "t2",
      "can_share": true}, {"member_id": "t3"}]})"), &entries).ok());
  BOOST_TEST(entries.size() == 2u);
  BOOST_TEST(entries[0].can_share.value());
  BOOST_TEST(!entries[1].can_share);
  for (const char* bad : {R"({})", R"({"memberships": {}})", R"({"memberships": [{}]})",
                          R"({"memberships": [{"member_id": 5}]})",
                          R"({"memberships": [{"member_id": "a/b"}]})",
                          R"({"memberships": [{"member_id": ".."}]})",
                          R"({"memberships": [{"member_id": "t", "can_share": "yes"}]})"}) {
    BOOST_TEST(ParseMemberships(json::parse(bad), &entries).HttpStatus() == 400, bad);
  }
  std::optional<bool> can_share;
  BOOST_TEST(ParseMemberBody(json::parse(R"({"member": {"can_share": true}})"), &can_share).ok());
  BOOST_TEST(can_share.value());
  BOOST_TEST(ParseMemberBody(json::parse(R"({"other": 1})"), &can_share).ok());
  BOOST_TEST(!can_share);
  BOOST_TEST(ParseMemberBody(json::parse(R"({"member": {"can_share": 1}})"), &can_share)
                 .HttpStatus() == 400);
  BOOST_TEST(ParseMemberBody(json::parse("[1]"), &can_share).HttpStatus() == 400);
  BOOST_TEST(ValidateMemberId(std::string(255, 'm')).ok());
  BOOST_TEST(!ValidateMemberId(std::string(256, 'm')).ok());
  BOOST_TEST(!ValidateMemberId("").ok());
  BOOST_TEST(!ValidateMemberId(".").ok());
}

BOOST_AUTO_TEST_CASE(renders_registry_dict) {
  Image image;
  image.id = "id";
  image.status = "active";
  image.size = 3;
  image.properties["k"] = "v";
  image.locations.push_back({1, "http://h/x", "{}", "active"});
  json dict = ImageToRegistryJson(image);
  BOOST_TEST(dict["location"] == "http://h/x");
  BOOST_TEST(dict["name"].is_null());
  BOOST_TEST(dict["protected"] == false);
  BOOST_TEST(dict["properties"]["k"] == "v");
  BOOST_TEST(dict["visibility"] == "shared");
  BOOST_TEST(dict["is_public"] == false);
  BOOST_TEST(dict["tags"] == json::array());
  BOOST_TEST(dict.size() == 25u);
}

BOOST_AUTO_TEST_CASE(the_active_location_is_the_first_active_one) {
  Image image;
  BOOST_TEST(ActiveLocation(image) == nullptr);
  BOOST_TEST(ImageToRegistryJson(image)["location"].is_null());
  image.locations.push_back({1, "file:///old", "{}", "pending_delete"});
  BOOST_TEST(ActiveLocation(image) == nullptr);
  image.locations.push_back({2, "http://h/a", "{}", "active"});
  image.locations.push_back({3, "http://h/b", "{}", "active"});
  BOOST_TEST(ActiveLocation(image) == &image.locations[1]);
  BOOST_TEST(ImageToRegistryJson(image)["location"] == "http://h/a");
}

BOOST_AUTO_TEST_SUITE_END()
