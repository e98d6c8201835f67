// Spec §4.1, §5.1, §6, §10.1, §15, §20: bad input through the public API.
#include <boost/test/unit_test.hpp>

#include "e2e.h"

using namespace e2e;

namespace {

// POST without body; expects 400 with `message` in the body and no image.
void ExpectCreate400(const Headers& headers, const std::string& message) {
  Api api = NoAuthStack().api();
  std::string id = RandomUuid();
  Headers with_id = headers;
  with_id.push_back({"x-image-meta-id", id});
  Reply reply = api.Post("/v1/images", with_id, "", "");
  std::string shown;
  for (const auto& [k, v] : headers) shown += k + ": " + v + "; ";
  BOOST_TEST(reply.status == 400, shown << reply.Describe());
  BOOST_TEST(reply.body.find(message) != std::string::npos, shown << "body: " << reply.body);
  BOOST_TEST(reply.Has("x-openstack-request-id"), shown);
  BOOST_TEST(api.Head("/v1/images/" + id).status == 404, shown << "an image was created anyway");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(bad_input)

BOOST_AUTO_TEST_CASE(unknown_meta_header_is_a_bad_header) {
  ExpectCreate400({{"x-image-meta-name", "e2e-bad"}, {"x-image-meta-foo", "bar"}},
                  "Bad header: x-image-meta-foo");
  // Also on PUT.
  Api api = NoAuthStack().api();
  ImageRef image = ReserveImage(api, "e2e-bad-put");
  BOOST_TEST_REQUIRE(image.reply.status == 201);
  Reply put = api.Put("/v1/images/" + image.id, {{"x-image-meta-colour", "red"}}, "", "");
  BOOST_TEST(put.status == 400, put.Describe());
  BOOST_TEST(put.body.find("Bad header") != std::string::npos, put.body);
}

BOOST_AUTO_TEST_CASE(bad_integers) {
  ExpectCreate400({{"x-image-meta-size", "abc"}}, "size");
  ExpectCreate400({{"x-image-meta-size", "-1"}}, "negative");
  ExpectCreate400({{"x-image-meta-size", "1.5"}}, "size");
  ExpectCreate400({{"x-image-meta-min_ram", "-1"}}, "negative");
  ExpectCreate400({{"x-image-meta-min_ram", "lots"}}, "min_ram");
  ExpectCreate400({{"x-image-meta-min_disk", "-7"}}, "negative");
  ExpectCreate400({{"x-image-meta-min_disk", "2147483648"}}, "'min_disk' value out of range");
  ExpectCreate400({{"x-image-meta-min_ram", "2147483648"}}, "'min_ram' value out of range");
  ExpectCreate400({{"x-image-meta-size", "99999999999999999999999"}}, "size");
}

BOOST_AUTO_TEST_CASE(bad_formats) {
  ExpectCreate400({{"x-image-meta-disk_format", "floppy"}}, "Invalid disk format 'floppy' for image");
  ExpectCreate400({{"x-image-meta-container_format", "crate"}},
                  "Invalid container format 'crate' for image");
  ExpectCreate400({{"x-image-meta-disk_format", "aki"}, {"x-image-meta-container_format", "bare"}},
                  "Invalid mix of disk and container formats");
  // Every valid format is accepted.
  Api api = NoAuthStack().api();
  for (const char* disk : {"ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop"}) {
    Reply reply = api.Post("/v1/images", {{"x-image-meta-disk_format", disk}}, "", "");
    BOOST_TEST(reply.status == 201, disk << ": " << reply.Describe());
  }
  for (const char* container : {"ami", "ari", "aki", "bare", "ovf", "ova", "docker"}) {
    Reply reply = api.Post("/v1/images", {{"x-image-meta-container_format", container}}, "", "");
    BOOST_TEST(reply.status == 201, container << ": " << reply.Describe());
  }
  // Amazon formats fill in the other one.
  Reply amazon = api.Post("/v1/images", {{"x-image-meta-disk_format", "ami"}}, "", "");
  BOOST_TEST_REQUIRE(amazon.status == 201, amazon.Describe());
  BOOST_TEST(amazon.Json()["image"]["container_format"] == "ami");
  // And on PUT.
  Reply bad_put = api.Put("/v1/images/" + amazon.Json()["image"]["id"].get<std::string>(),
                          {{"x-image-meta-disk_format", "floppy"}}, "", "");
  BOOST_TEST(bad_put.status == 400, bad_put.Describe());
  BOOST_TEST(bad_put.body.find("Invalid disk format") != std::string::npos, bad_put.body);
}

BOOST_AUTO_TEST_CASE(other_field_validation) {
  ExpectCreate400({{"x-image-meta-name", std::string(256, 'n')}}, "Image name too long");
  ExpectCreate400({{"x-image-meta-checksum", std::string(33, 'a')}}, "Invalid checksum");
  ExpectCreate400({{"x-image-meta-created_at", "not a time"}}, "Invalid time format for created_at");
  ExpectCreate400({{"x-image-meta-store", "swift"}}, "swift");
  // 4-byte UTF-8 (U+1F600) and control characters are refused (§5.3, §20.1).
  ExpectCreate400({{"x-image-meta-property-emoji", "smile \xf0\x9f\x98\x80"}}, "");
  ExpectCreate400({{"x-image-meta-name", "tab\there"}}, "");
  // An invalid id on POST.
  Api api = NoAuthStack().api();
  Reply bad_id = api.Post("/v1/images", {{"x-image-meta-id", "not-a-uuid"}}, "", "");
  BOOST_TEST(bad_id.status == 400, bad_id.Describe());
  BOOST_TEST(bad_id.body.find("Invalid image id format") != std::string::npos, bad_id.body);
  // A duplicate id.
  std::string id = RandomUuid();
  BOOST_TEST(api.Post("/v1/images", {{"x-image-meta-id", id}}, "", "").status == 201);
  Reply duplicate = api.Post("/v1/images", {{"x-image-meta-id", id}}, "", "");
  BOOST_TEST(duplicate.status == 409, duplicate.Describe());
}

BOOST_AUTO_TEST_CASE(non_uuid_and_unknown_ids_are_404) {
  Api api = NoAuthStack().api();
  for (const std::string& id : {std::string("1"), std::string("not-a-uuid"),
                                std::string(37, 'a'), RandomUuid() + "0", RandomUuid()}) {
    std::string path = "/v1/images/" + id;
    BOOST_TEST(api.Head(path).status == 404, "HEAD " << path);
    BOOST_TEST(api.Get(path).status == 404, "GET " << path);
    Reply put = api.Put(path, {{"x-image-meta-name", "x"}}, "", "");
    BOOST_TEST(put.status == 404, "PUT " << path << ": " << put.Describe());
    BOOST_TEST(api.Delete(path).status == 404, "DELETE " << path);
  }
  // An upload to an unknown id leaves nothing behind.
  std::string id = RandomUuid();
  Reply put = api.Put("/v1/images/" + id, {}, "data for nobody");
  BOOST_TEST(put.status == 404, put.Describe());
  CheckNoDataLeft(NoAuthStack(), id);
}

BOOST_AUTO_TEST_CASE(upload_with_wrong_content_type_is_400) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  Reply reply = api.Post("/v1/images", ImageHeaders("e2e-text-plain"), "some text", "text/plain");
  BOOST_TEST(reply.status == 400, reply.Describe());
  BOOST_TEST(reply.body.find("Content-Type must be application/octet-stream") != std::string::npos,
             reply.body);
  BOOST_TEST(WaitIncomingEmpty(stack).empty());
  // On PUT to a queued image too; the data is not stored.
  ImageRef image = ReserveImage(api, "e2e-text-plain-put", {{"x-image-meta-disk_format", "raw"},
                                                            {"x-image-meta-container_format", "bare"}});
  BOOST_TEST_REQUIRE(image.reply.status == 201);
  Reply put = api.Put("/v1/images/" + image.id, {}, "some text", "text/plain");
  BOOST_TEST(put.status == 400, put.Describe());
  BOOST_TEST(HeadStatus(api, image.id) != "active");
  CheckNoDataLeft(stack, image.id);
}

BOOST_AUTO_TEST_CASE(server_owned_fields_cannot_be_changed) {
  Api api = NoAuthStack().api();
  ImageRef image = CreateImage(api, "e2e-owned-fields", "abc");
  BOOST_TEST_REQUIRE(image.reply.status == 201);
  std::string path = "/v1/images/" + image.id;
  Reply status = api.Put(path, {{"x-image-meta-status", "queued"}}, "", "");
  BOOST_TEST(status.status == 403, status.Describe());
  Reply same_status = api.Put(path, {{"x-image-meta-status", "active"}}, "", "");
  BOOST_TEST(same_status.status == 200, same_status.Describe());
  Reply id = api.Put(path, {{"x-image-meta-id", RandomUuid()}}, "", "");
  BOOST_TEST(id.status == 403, id.Describe());
  // x-image-meta-status on POST is ignored.
  Reply created = api.Post("/v1/images", {{"x-image-meta-status", "active"}}, "", "");
  BOOST_TEST_REQUIRE(created.status == 201, created.Describe());
  BOOST_TEST(created.Json()["image"]["status"] == "queued");
}

BOOST_AUTO_TEST_CASE(methods_not_served_answer_405_with_allow) {
  Api api = NoAuthStack().api();
  Reply images = api.Delete("/v1/images");
  BOOST_TEST(images.status == 405, images.Describe());
  BOOST_TEST(images.Header("Allow").find("POST") != std::string::npos, images.Describe());
  BOOST_TEST(images.Header("Allow").find("GET") != std::string::npos);
  Reply detail = api.Post("/v1/images/detail", {}, "", "");
  BOOST_TEST(detail.status == 405, detail.Describe());
  Reply head_detail = api.Head("/v1/images/detail");
  BOOST_TEST(head_detail.status == 405, head_detail.Describe());
  Reply post_image = api.Post("/v1/images/" + RandomUuid(), {}, "", "");
  BOOST_TEST(post_image.status == 405, post_image.Describe());
  std::string allow = post_image.Header("Allow");
  for (const char* m : {"GET", "HEAD", "PUT", "DELETE"}) {
    BOOST_TEST(allow.find(m) != std::string::npos, "Allow: " << allow);
  }
  Reply options = api.Send("OPTIONS", "/v1/images", {});
  BOOST_TEST(options.status == 405, options.Describe());
  Reply nowhere = api.Get("/v1/nowhere");
  BOOST_TEST(nowhere.status == 404, nowhere.Describe());
}

BOOST_AUTO_TEST_CASE(property_quota_is_413) {
  // image_property_quota defaults to 128 (spec §1, §10.5).
  Api api = NoAuthStack().api();
  Headers headers{{"x-image-meta-name", "e2e-prop-quota"}};
  for (int i = 0; i < 129; ++i) headers.push_back({"x-image-meta-property-p" + std::to_string(i), "v"});
  Reply over = api.Post("/v1/images", headers, "", "");
  BOOST_TEST(over.status == 413, over.Describe());
  BOOST_TEST(over.body.find("The limit has been exceeded on the number of allowed image properties") !=
                 std::string::npos,
             over.body);
  headers.pop_back();
  Reply at = api.Post("/v1/images", headers, "", "");
  BOOST_TEST(at.status == 201, at.Describe());
  if (at.status == 201) BOOST_TEST(at.Json()["image"]["properties"].size() == 128u);
}

BOOST_AUTO_TEST_CASE(oversized_header_is_refused) {
  // Spec §15: request header lines over ~8 KiB → 400, as upstream (nginx's
  // answer; 431 would also be acceptable, but 400 is what this server gives).
  Api api = NoAuthStack().api();
  Reply reply = api.Post("/v1/images", {{"x-image-meta-property-big", std::string(40000, 'b')}}, "", "");
  BOOST_TEST(reply.status == 400, reply.Describe());
}

BOOST_AUTO_TEST_CASE(deleted_flags_from_clients_are_ignored) {
  // Spec §4.1 recommendation, §20.6: no request makes an image deleted.
  Api api = NoAuthStack().api();
  Reply created = api.Post("/v1/images", {{"x-image-meta-name", "e2e-deleted-flag"},
                                          {"x-image-meta-deleted", "True"},
                                          {"x-image-meta-deleted_at", "2020-01-01T00:00:00"}},
                           "", "");
  BOOST_TEST_REQUIRE(created.status == 201, created.Describe());
  json body = created.Json()["image"];
  BOOST_TEST(body["deleted"] == false, body.dump());
  BOOST_TEST(body["deleted_at"].is_null(), body.dump());
  BOOST_TEST(body["status"] == "queued");
  std::string id = body["id"].get<std::string>();
  Reply put = api.Put("/v1/images/" + id, {{"x-image-meta-deleted", "True"}}, "", "");
  BOOST_TEST(put.status == 200, put.Describe());  // ignored, like on POST
  BOOST_TEST(put.Json()["image"]["deleted"] == false, put.body);
  Reply head = api.Head("/v1/images/" + id);
  BOOST_TEST(head.Header("x-image-meta-deleted") == "False", head.Describe());
  BOOST_TEST(head.Header("x-image-meta-status") == "queued");
}

BOOST_AUTO_TEST_SUITE_END()
