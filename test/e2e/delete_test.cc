// Spec §6.6, §12: deleting images, protected images, what a deleted image
// looks like afterwards.
#include <boost/test/unit_test.hpp>

#include "e2e.h"

using namespace e2e;

BOOST_AUTO_TEST_SUITE(delete_image)

BOOST_AUTO_TEST_CASE(delete_removes_the_data_and_get_answers_404) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  std::string data = RandomBytes(50000, 31);
  ImageRef image = CreateImage(api, "e2e-delete", data);
  BOOST_TEST_REQUIRE(image.reply.status == 201, image.reply.Describe());
  BOOST_TEST_REQUIRE(HasStoredData(stack, image.id));
  Reply deleted = api.Delete("/v1/images/" + image.id);
  BOOST_TEST(deleted.status == 200, deleted.Describe());
  BOOST_TEST(deleted.body.empty(), deleted.body);
  BOOST_TEST(deleted.Has("x-openstack-request-id"));
  Reply get = api.Get("/v1/images/" + image.id);
  BOOST_TEST(get.status == 404, get.Describe());
  BOOST_TEST(!HasStoredData(stack, image.id), "the store still holds the data after DELETE");
  // noauth is admin: HEAD still shows the deleted record (spec §12).
  Reply head = api.Head("/v1/images/" + image.id);
  BOOST_TEST(head.status == 200, head.Describe());
  BOOST_TEST(head.Header("x-image-meta-status") == "deleted");
  BOOST_TEST(head.Header("x-image-meta-deleted") == "True");
  BOOST_TEST(head.Has("x-image-meta-deleted_at"));
  Reply again = api.Delete("/v1/images/" + image.id);
  BOOST_TEST(again.status == 404, again.Describe());
}

BOOST_AUTO_TEST_CASE(deleted_image_cannot_be_updated_and_has_no_members) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  ImageRef image = CreateImage(api, "e2e-delete-update", "bytes");
  BOOST_TEST_REQUIRE(image.reply.status == 201, image.reply.Describe());
  BOOST_TEST_REQUIRE(api.Delete("/v1/images/" + image.id).status == 200);
  Reply put = api.Put("/v1/images/" + image.id, {{"x-image-meta-name", "zombie"}}, "", "");
  BOOST_TEST(put.status == 403, put.Describe());
  Reply members = api.Get("/v1/images/" + image.id + "/members");
  BOOST_TEST(members.status == 404, members.Describe());
  Reply add = api.Put("/v1/images/" + image.id + "/members/tenant-x", {}, "", "");
  BOOST_TEST(add.status == 404, add.Describe());
}

BOOST_AUTO_TEST_CASE(protected_image_cannot_be_deleted) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  std::string data = RandomBytes(2048, 32);
  ImageRef image = CreateImage(api, "e2e-protected", data, {{"x-image-meta-protected", "True"}});
  BOOST_TEST_REQUIRE(image.reply.status == 201, image.reply.Describe());
  BOOST_TEST(image.reply.Json()["image"]["protected"] == true);
  Reply refused = api.Delete("/v1/images/" + image.id);
  BOOST_TEST(refused.status == 403, refused.Describe());
  BOOST_TEST(refused.body.find("protected") != std::string::npos, refused.body);
  Reply get = api.Get("/v1/images/" + image.id);
  BOOST_TEST(get.status == 200, get.Describe());
  BOOST_TEST((get.body == data));
  BOOST_TEST(HasStoredData(stack, image.id));
  // Unprotect, then delete.
  Reply put = api.Put("/v1/images/" + image.id, {{"x-image-meta-protected", "False"}}, "", "");
  BOOST_TEST_REQUIRE(put.status == 200, put.Describe());
  Reply deleted = api.Delete("/v1/images/" + image.id);
  BOOST_TEST(deleted.status == 200, deleted.Describe());
  BOOST_TEST(!HasStoredData(stack, image.id));
}

BOOST_AUTO_TEST_CASE(queued_and_killed_images_can_be_deleted) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  ImageRef queued = ReserveImage(api, "e2e-delete-queued");
  BOOST_TEST_REQUIRE(queued.reply.status == 201, queued.reply.Describe());
  BOOST_TEST(api.Delete("/v1/images/" + queued.id).status == 200);
  BOOST_TEST(HeadStatus(api, queued.id) == "deleted");

  std::string id = RandomUuid();
  Reply killed = api.Post("/v1/images", ImageHeaders("e2e-delete-killed", {{"x-image-meta-id", id},
                                                                         {"x-image-meta-size", "1"}}),
                          "two");
  BOOST_TEST_REQUIRE(killed.status == 400, killed.Describe());
  BOOST_TEST_REQUIRE(HeadStatus(api, id) == "killed");
  Reply deleted = api.Delete("/v1/images/" + id);
  BOOST_TEST(deleted.status == 200, deleted.Describe());
  BOOST_TEST(HeadStatus(api, id) == "deleted");
}

BOOST_AUTO_TEST_CASE(deleted_images_leave_the_lists) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  std::string tag = NewRunTag();
  ImageRef image = CreateImage(api, "e2e-delete-list-" + tag, "x",
                               {{"x-image-meta-is_public", "true"},
                                {"x-image-meta-property-e2e_delete", tag}});
  BOOST_TEST_REQUIRE(image.reply.status == 201, image.reply.Describe());
  std::string query = "/v1/images/detail?property-e2e_delete=" + tag;
  BOOST_TEST(api.Get(query).Json()["images"].size() == 1u);
  BOOST_TEST_REQUIRE(api.Delete("/v1/images/" + image.id).status == 200);
  Reply after = api.Get(query);
  BOOST_TEST(after.status == 200);
  BOOST_TEST(after.Json()["images"].size() == 0u, after.body);
  // changes-since includes deleted images (spec §7.1); the properties went
  // with the image, so look it up by name.
  Reply since = api.Get("/v1/images/detail?name=e2e-delete-list-" + tag +
                        "&changes-since=2000-01-01T00:00:00Z");
  BOOST_TEST(since.status == 200, since.Describe());
  if (since.status == 200) {
    json images = since.Json()["images"];
    BOOST_TEST(images.size() == 1u, since.body);
    if (images.size() == 1u) {
      BOOST_TEST(images[0]["deleted"] == true);
      BOOST_TEST(images[0]["status"] == "deleted");
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
