// The tenancy matrix (issue 5; spec §3, §8, §14, §19.1, §20): every v1
// route, tried by each kind of caller on a private image its owner shares
// and on a public one, through nginx on the trusted-auth stack and again
// with real tokens on the keystone stack, each cell's
// status asserted.  Callers:
//   admin   the admin role, another tenant
//   owner   the image's tenant
//   member  a tenant the image is shared with (can_share false)
//   sharer  a tenant the image is shared with, can_share true
//   other   any other tenant
//   anon    no confirmed identity (401 here; the read-only anonymous
//           context of allow_anonymous_access has its own test below)
// Mutating cells get a fresh image each, so no cell depends on another.
// Over 400 lines for a reason: the matrix is one table of cells per route
// and caller, read best in one place; its callers and images are set up
// once for all of it.
#include <filesystem>
#include <functional>
#include <mutex>
#include <tuple>

#include <boost/test/unit_test.hpp>

#include "e2e.h"
#include "keystone.h"
#include "v2.h"

using namespace e2e;

namespace {

enum Actor { kAdmin, kOwner, kMember, kSharer, kOther, kAnon, kActors };
const char* const kActorNames[kActors] = {"admin", "owner", "member", "sharer", "other", "anon"};

// The callers of one test: their tenants, and an API client for each.
struct World {
  std::string tag = NewRunTag();
  std::string owner, member, sharer, other;  // tenant (project) ids
  std::function<Api(Actor)> as;

  Api As(Actor actor) const { return as(actor); }

  // A private image of `owner` with data, shared with member and sharer;
  // or a public one, shared with nobody.
  std::string NewImage(bool is_public, bool with_data = true) const {
    Api api = As(kOwner);
    Headers extra{{"x-image-meta-property-mx", tag}};
    ImageRef image = with_data ? CreateImage(api, "mx", "matrix-data", extra)
                               : ReserveImage(api, "mx-queued", extra);
    if (image.id.empty()) throw std::runtime_error("create: " + image.reply.Describe());
    if (is_public) {
      // Publicizing is admin-only (spec §3.4).
      Reply made_public = As(kAdmin).Put("/v1/images/" + image.id,
                                         {{"x-image-meta-is_public", "true"}}, "", "");
      if (made_public.status != 200) throw std::runtime_error("publicize: " + made_public.Describe());
      return image.id;
    }
    Reply shared = api.Put("/v1/images/" + image.id + "/members",
                           {{"Content-Type", "application/json"}},
                           json{{"memberships", {{{"member_id", member}, {"can_share", false}},
                                                 {{"member_id", sharer}, {"can_share", true}}}}}
                               .dump(),
                           "application/json");
    if (shared.status != 204) throw std::runtime_error("share: " + shared.Describe());
    return image.id;
  }
};

// trusted-auth: identity headers of tenants made up for this test.
World TrustedWorld() {
  World w;
  w.owner = "mx-owner-" + w.tag;
  w.member = "mx-member-" + w.tag;
  w.sharer = "mx-sharer-" + w.tag;
  w.other = "mx-other-" + w.tag;
  w.as = [w = w](Actor actor) {
    switch (actor) {
      case kAdmin: return TrustedStack().api(ForTenant("mx-admin-" + w.tag, "admin"));
      case kOwner: return TrustedStack().api(ForTenant(w.owner));
      case kMember: return TrustedStack().api(ForTenant(w.member));
      case kSharer: return TrustedStack().api(ForTenant(w.sharer));
      case kOther: return TrustedStack().api(ForTenant(w.other));
      default: return TrustedStack().api();
    }
  };
  return w;
}

// keystone: real tokens of Keystone's admin, demo (the owner) and alt_demo
// (the member), and of two projects made once per run for the sharer and
// the other tenant; anonymous sends no token.
World KeystoneWorld() {
  static std::once_flag once;
  static std::string sharer, sharer_token, other, other_token;
  Keystone& ks = TheKeystone();
  KeystoneStack();
  std::call_once(once, [&ks] {
    std::string tag = NewRunTag();
    sharer = ks.NewProjectUser("mx_sharer_" + tag, &sharer_token);
    other = ks.NewProjectUser("mx_other_" + tag, &other_token);
  });
  World w;
  w.owner = ks.Var("DEMO_PROJECT_ID");
  w.member = ks.Var("ALT_DEMO_PROJECT_ID");
  w.sharer = sharer;
  w.other = other;
  std::array<std::string, kActors> tokens = {ks.Token("admin"), ks.Token("demo"), ks.Token("alt_demo"),
                                             sharer_token, other_token, ""};
  w.as = [tokens](Actor actor) {
    return actor == kAnon ? KeystoneStack().api() : KeystoneStack().api(TokenHeaders(tokens[actor]));
  };
  return w;
}

struct Cell {
  std::string route;
  std::function<Reply(const World&, Api&)> call;
  std::array<int, kActors> expected;
};

// Runs every cell for every actor; reports each mismatch with its reply.
void RunMatrix(const World& world, const std::vector<Cell>& cells) {
  for (const Cell& cell : cells) {
    for (int actor = 0; actor < kActors; ++actor) {
      Api api = world.As(static_cast<Actor>(actor));
      Reply reply = cell.call(world, api);
      BOOST_TEST(reply.status == cell.expected[actor],
                 cell.route << " as " << kActorNames[actor] << ": expected "
                            << cell.expected[actor] << ", got " << reply.Describe());
    }
  }
}

bool Lists(const Api& api, const World& world, const std::string& path, const std::string& id) {
  Reply reply = api.Get(path + "?is_public=none&limit=1000&property-mx=" + world.tag);
  if (reply.status != 200) return false;
  const json body = reply.Json();  // kept: the loop must not walk a temporary
  for (const auto& image : body["images"]) {
    if (image["id"] == id) return true;
  }
  return false;
}

Reply MembersPut(Api& api, const std::string& id, const json& body) {
  return api.Put("/v1/images/" + id + "/members", {{"Content-Type", "application/json"}},
                 body.dump(), "application/json");
}

void PrivateSharedImage(const World& w) {
  const std::string kept = w.NewImage(false);  // for the cells that change nothing
  auto fresh = [&w] { return w.NewImage(false); };
  //                                                        admin owner member sharer other anon
  std::vector<Cell> cells = {
      {"HEAD image", [&](const World&, Api& a) { return a.Head("/v1/images/" + kept); },
       {200, 200, 200, 200, 404, 401}},
      {"GET image (download)", [&](const World&, Api& a) { return a.Get("/v1/images/" + kept); },
       {200, 200, 200, 200, 404, 401}},
      {"GET members", [&](const World&, Api& a) { return a.Get("/v1/images/" + kept + "/members"); },
       {200, 200, 200, 200, 404, 401}},
      {"GET member path (405)",
       [&](const World& world, Api& a) {
         return a.Get("/v1/images/" + kept + "/members/" + world.member);
       },
       {405, 405, 405, 405, 405, 401}},
      {"PUT image metadata",
       [&](const World&, Api& a) {
         return a.Put("/v1/images/" + fresh(), {{"x-image-meta-name", "renamed"}}, "", "");
       },
       {200, 200, 404, 404, 404, 401}},
      {"PUT image data (queued image)",
       [&](const World& world, Api& a) {
         std::string queued = world.NewImage(false, false);
         return a.Put("/v1/images/" + queued,
                      {{"x-image-meta-disk_format", "raw"}, {"x-image-meta-container_format", "bare"}},
                      "uploaded");
       },
       {200, 200, 404, 404, 404, 401}},
      {"DELETE image", [&](const World&, Api& a) { return a.Delete("/v1/images/" + fresh()); },
       {200, 200, 404, 404, 404, 401}},
      {"PUT members (replace)",
       [&](const World& world, Api& a) {
         return MembersPut(a, fresh(), {{"memberships", {{{"member_id", world.member}}}}});
       },
       {204, 204, 404, 204, 404, 401}},
      {"PUT member", [&](const World& world, Api& a) {
         return a.Put("/v1/images/" + fresh() + "/members/mx-new-" + world.tag, {}, "", "");
       },
       {204, 204, 404, 204, 404, 401}},
      {"DELETE member", [&](const World& world, Api& a) {
         return a.Delete("/v1/images/" + fresh() + "/members/" + world.member);
       },
       {204, 204, 404, 204, 404, 401}},
      {"GET shared-images of the member",
       [&](const World& world, Api& a) { return a.Get("/v1/shared-images/" + world.member); },
       {200, 200, 200, 200, 200, 401}},
      {"POST image", [&](const World& world, Api& a) {
         return a.Post("/v1/images", ImageHeaders("mx-post", {{"x-image-meta-property-mx", world.tag}}));
       },
       {201, 201, 201, 201, 201, 401}},
  };
  RunMatrix(w, cells);

  // shared-images of the member: the member's memberships as far as the
  // caller may see them (spec §14.2); another tenant sees none of them.
  const bool expected_shared[kActors] = {true, true, true, false, false, false};
  for (int actor = 0; actor < kAnon; ++actor) {
    Reply reply = w.As(static_cast<Actor>(actor)).Get("/v1/shared-images/" + w.member);
    BOOST_TEST_REQUIRE(reply.status == 200, kActorNames[actor] << ": " << reply.Describe());
    const json body = reply.Json();
    bool found = false;
    for (const auto& entry : body["shared_images"]) found = found || entry["image_id"] == kept;
    BOOST_TEST(found == expected_shared[actor], "shared-images as " << kActorNames[actor] << ": " << reply.body);
    if (actor == kOther) {
      BOOST_TEST(body["shared_images"].empty(), "shared-images as other: " << reply.body);
    }
  }

  // Lists: exactly the callers that may see the image find it, in both shapes.
  const bool expected_listed[kActors] = {true, true, true, true, false, false};
  for (int actor = 0; actor < kActors; ++actor) {
    Api api = w.As(static_cast<Actor>(actor));
    for (const char* path : {"/v1/images/detail", "/v1/images"}) {
      BOOST_TEST(Lists(api, w, path, kept) == expected_listed[actor],
                 path << " as " << kActorNames[actor]);
    }
  }
  // Nothing any refused caller did changed the kept image.
  Reply after = w.As(kOwner).Get("/v1/images/" + kept);
  BOOST_TEST(after.status == 200);
  BOOST_TEST(after.body == "matrix-data");
  BOOST_TEST(after.Header("x-image-meta-name") == "mx");
}

void PublicImage(const World& w) {
  const std::string kept = w.NewImage(true);
  auto fresh = [&w] { return w.NewImage(true); };
  //                                                        admin owner member sharer other anon
  std::vector<Cell> cells = {
      {"HEAD image", [&](const World&, Api& a) { return a.Head("/v1/images/" + kept); },
       {200, 200, 200, 200, 200, 401}},
      {"GET image (download)", [&](const World&, Api& a) { return a.Get("/v1/images/" + kept); },
       {200, 200, 200, 200, 200, 401}},
      {"GET members", [&](const World&, Api& a) { return a.Get("/v1/images/" + kept + "/members"); },
       {200, 200, 200, 200, 200, 401}},
      {"PUT image metadata",
       [&](const World&, Api& a) {
         return a.Put("/v1/images/" + fresh(), {{"x-image-meta-name", "renamed"}}, "", "");
       },
       {200, 200, 403, 403, 403, 401}},
      {"DELETE image", [&](const World&, Api& a) { return a.Delete("/v1/images/" + fresh()); },
       {200, 200, 403, 403, 403, 401}},
      {"PUT member", [&](const World& world, Api& a) {
         return a.Put("/v1/images/" + fresh() + "/members/mx-new-" + world.tag, {}, "", "");
       },
       {204, 204, 404, 404, 404, 401}},
      {"PUT members (replace)",
       [&](const World& world, Api& a) {
         return MembersPut(a, fresh(), {{"memberships", {{{"member_id", world.member}}}}});
       },
       {204, 204, 404, 404, 404, 401}},
  };
  RunMatrix(w, cells);
}

// Only an admin may give an image away, publish it, or mark it deleted.
void AdminOnlyFields(const World& w) {
  Api owner = w.As(kOwner), admin = w.As(kAdmin);
  ImageRef mine = ReserveImage(owner, "mx-owner-field", {{"x-image-meta-owner", w.other}});
  BOOST_TEST_REQUIRE(mine.reply.status == 201, mine.reply.Describe());
  BOOST_TEST(mine.reply.Json()["image"]["owner"] == w.owner, "a POST gave the image away");
  Reply give = owner.Put("/v1/images/" + mine.id, {{"x-image-meta-owner", w.other}}, "", "");
  BOOST_TEST(give.status == 200, give.Describe());
  BOOST_TEST(owner.Head("/v1/images/" + mine.id).Header("x-image-meta-owner") == w.owner);
  BOOST_TEST(w.As(kOther).Head("/v1/images/" + mine.id).status == 404);

  Reply publish = owner.Put("/v1/images/" + mine.id, {{"x-image-meta-is_public", "true"}}, "", "");
  BOOST_TEST(publish.status == 403, publish.Describe());
  ImageRef public_post = ReserveImage(owner, "mx-public", {{"x-image-meta-is_public", "true"}});
  BOOST_TEST(public_post.reply.status == 403, public_post.reply.Describe());

  // status: 403 (spec §4.1); deleted: ignored (§4.1, §20.6).
  for (const auto& [header, value, status, message] :
       std::vector<std::tuple<std::string, std::string, int, std::string>>{
           {"x-image-meta-status", "active", 403, "Forbidden to modify 'status' of image."},
           {"x-image-meta-deleted", "true", 200, ""}}) {
    Reply forced = owner.Put("/v1/images/" + mine.id, {{header, value}}, "", "");
    BOOST_TEST(forced.status == status, header << ": " << forced.Describe());
    BOOST_TEST(forced.body.find(message) != std::string::npos, header << ": " << forced.body);
    Reply head = owner.Head("/v1/images/" + mine.id);
    BOOST_TEST(head.Header("x-image-meta-status") == "queued", header);
    BOOST_TEST(head.Header("x-image-meta-deleted") == "False", header);
  }

  Reply handed = admin.Put("/v1/images/" + mine.id, {{"x-image-meta-owner", w.other}}, "", "");
  BOOST_TEST(handed.status == 200, handed.Describe());
  BOOST_TEST(w.As(kOther).Head("/v1/images/" + mine.id).status == 200, "the admin handed it over");
  BOOST_TEST(owner.Head("/v1/images/" + mine.id).status == 404);
}

// shared-images lists exactly the memberships of that member, no more.
}  // namespace

BOOST_AUTO_TEST_SUITE(tenancy_matrix)

BOOST_AUTO_TEST_CASE(private_shared_image) { PrivateSharedImage(TrustedWorld()); }
BOOST_AUTO_TEST_CASE(public_image) { PublicImage(TrustedWorld()); }
BOOST_AUTO_TEST_CASE(admin_only_fields) { AdminOnlyFields(TrustedWorld()); }

BOOST_AUTO_TEST_CASE(shared_images_lists_exactly_what_is_shared) {
  World w = TrustedWorld();
  std::string one = w.NewImage(false), two = w.NewImage(false);
  std::string unshared = w.NewImage(true);
  Reply removed = w.As(kOwner).Delete("/v1/images/" + two + "/members/" + w.member);
  BOOST_TEST_REQUIRE(removed.status == 204, removed.Describe());
  for (Actor actor : {kAdmin, kMember}) {
    Reply reply = w.As(actor).Get("/v1/shared-images/" + w.member);
    BOOST_TEST_REQUIRE(reply.status == 200, reply.Describe());
    std::set<std::string> ids;
    const json body = reply.Json();
    for (const auto& entry : body["shared_images"]) {
      ids.insert(entry["image_id"].get<std::string>());
      BOOST_TEST(entry["can_share"] == false);
    }
    BOOST_TEST((ids == std::set<std::string>{one}),
               kActorNames[actor] << " sees " << reply.body << "; one " << one << ", two " << two);
  }
  Reply sharer = w.As(kAdmin).Get("/v1/shared-images/" + w.sharer);
  std::set<std::string> sharer_ids;
  const json sharer_body = sharer.Json();
  for (const auto& entry : sharer_body["shared_images"]) {
    sharer_ids.insert(entry["image_id"].get<std::string>());
    BOOST_TEST(entry["can_share"] == true);
  }
  BOOST_TEST((sharer_ids == std::set<std::string>{one, two}), sharer.body);
}

// allow_anonymous_access: a read-only context that sees only public images
// and may change nothing (spec §3.2, §3.5).
BOOST_AUTO_TEST_CASE(anonymous_read_only_context) {
  Stack scratch("anonymous", "trusted-auth", {{"GLANCE_ALLOW_ANONYMOUS", "true"}});
  struct Cleanup {
    Stack& stack;
    ~Cleanup() {
      stack.Stop();
      stack.DropDatabase();
      std::error_code ec;
      if (!stack.var_dir().empty()) std::filesystem::remove_all(stack.var_dir(), ec);
    }
  } cleanup{scratch};
  scratch.Start();
  BOOST_TEST_REQUIRE(scratch.started(), scratch.start_error());
  std::string tag = NewRunTag();
  Api owner = scratch.api(ForTenant("anon-owner-" + tag)), admin = scratch.api(ForTenant("a", "admin"));
  Api anonymous = scratch.api();
  ImageRef hidden = CreateImage(owner, "anon-private", "private-bytes");
  ImageRef shown = CreateImage(owner, "anon-public", "public-bytes");
  BOOST_TEST_REQUIRE(hidden.reply.status == 201);
  BOOST_TEST_REQUIRE(shown.reply.status == 201);
  BOOST_TEST_REQUIRE(
      admin.Put("/v1/images/" + shown.id, {{"x-image-meta-is_public", "true"}}, "", "").status == 200);

  BOOST_TEST(anonymous.Head("/v1/images/" + shown.id).status == 200);
  Reply download = anonymous.Get("/v1/images/" + shown.id);
  BOOST_TEST(download.status == 200);
  BOOST_TEST(download.body == "public-bytes");
  BOOST_TEST(anonymous.Head("/v1/images/" + hidden.id).status == 404);
  Reply listed = anonymous.Get("/v1/images/detail");
  BOOST_TEST_REQUIRE(listed.status == 200, listed.Describe());
  std::set<std::string> ids;
  const json listed_body = listed.Json();
  for (const auto& image : listed_body["images"]) ids.insert(image["id"].get<std::string>());
  BOOST_TEST((ids == std::set<std::string>{shown.id}), listed.body << "; public " << shown.id);

  std::vector<std::pair<std::string, Reply>> refused = {
      {"POST", anonymous.Post("/v1/images", ImageHeaders("anon-new"))},
      {"PUT", anonymous.Put("/v1/images/" + shown.id, {{"x-image-meta-name", "x"}}, "", "")},
      {"DELETE", anonymous.Delete("/v1/images/" + shown.id)},
      {"PUT member", anonymous.Put("/v1/images/" + shown.id + "/members/t", {}, "", "")},
      {"DELETE member", anonymous.Delete("/v1/images/" + shown.id + "/members/t")},
  };
  for (const auto& [what, reply] : refused) {
    BOOST_TEST(reply.status == 403, what << ": " << reply.Describe());
    BOOST_TEST(reply.body.find("Read-only access") != std::string::npos, what << ": " << reply.body);
  }
  BOOST_TEST(owner.Head("/v1/images/" + shown.id).Header("x-image-meta-name") == "anon-public");
}

BOOST_AUTO_TEST_SUITE_END()

// The same matrix with real Keystone tokens (issue 12): every cell holds
// unchanged in keystone mode.
BOOST_AUTO_TEST_SUITE(tenancy_matrix_keystone)

BOOST_AUTO_TEST_CASE(private_shared_image) { PrivateSharedImage(KeystoneWorld()); }
BOOST_AUTO_TEST_CASE(public_image) { PublicImage(KeystoneWorld()); }
BOOST_AUTO_TEST_CASE(admin_only_fields) { AdminOnlyFields(KeystoneWorld()); }

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------- v2

// The tenancy matrix of Image API v2 (v2 contract §4.2, §5, §6, §7, §8,
// §10), through nginx on the trusted-auth stack and again with real tokens
// on the keystone stack: every v2 route by each caller on a public, a
// private, a shared and a community image of `owner`.  For v2 `member` has
// accepted the share of the shared image and `sharer` is a member that has
// not answered yet (pending); neither is a member of the other images.
// Who sees an image gets 403 where it may not act; who does not, 404.
namespace {

const char* const kV2ActorNames[kActors] = {"admin", "owner", "member", "pending", "other", "anon"};
// A cell where the contract names neither: a member reading or answering
// for another member's membership.
constexpr int k403or404 = -1;

struct V2Cell {
  std::string route;
  std::function<Reply(Api&)> call;
  std::array<int, kActors> expected;
};

void RunV2Matrix(const World& world, const std::string& kind, const std::vector<V2Cell>& cells) {
  for (const V2Cell& cell : cells) {
    for (int actor = 0; actor < kActors; ++actor) {
      Api api = world.As(static_cast<Actor>(actor));
      Reply reply = cell.call(api);
      int expected = cell.expected[actor];
      bool ok = expected == k403or404 ? (reply.status == 403 || reply.status == 404) : reply.status == expected;
      BOOST_TEST(ok, kind << " image, " << cell.route << " as " << kV2ActorNames[actor] << ": expected "
                          << (expected == k403or404 ? std::string("403 or 404") : std::to_string(expected))
                          << ", got " << reply.Describe());
    }
  }
}

// An image of `owner` with the given v2 visibility (public: made so by the
// admin), with data unless `with_data` is false, tagged `kept`; a shared
// one has `member` (accepted) and `sharer` (pending) as members.
std::string V2NewImage(const World& w, const std::string& visibility, bool with_data = true) {
  Api owner = w.As(kOwner);
  std::string id = V2CreateId(owner, {{"name", "mx2"},
                                      {"disk_format", "raw"},
                                      {"container_format", "bare"},
                                      {"mx2", w.tag},
                                      {"tags", {"kept"}},
                                      {"visibility", visibility == "public" ? "shared" : visibility}});
  if (with_data) {
    Reply uploaded = V2Upload(owner, id, "matrix-data");
    if (uploaded.status != 204) throw std::runtime_error("upload: " + uploaded.Describe());
  }
  if (visibility == "public") {
    Reply made_public =
        V2Patch(w.As(kAdmin), id, json::array({{{"op", "replace"}, {"path", "/visibility"}, {"value", "public"}}}));
    if (made_public.status != 200) throw std::runtime_error("publicize: " + made_public.Describe());
  }
  if (visibility == "shared") {
    for (const std::string& project : {w.member, w.sharer}) {
      Reply added = V2AddMember(owner, id, project);
      if (added.status != 200) throw std::runtime_error("share: " + added.Describe());
    }
    Reply accepted = V2SetMember(w.As(kMember), id, w.member, "accepted");
    if (accepted.status != 200) throw std::runtime_error("accept: " + accepted.Describe());
  }
  return id;
}

bool V2Lists(const Api& api, const World& w, const std::string& id, const std::string& query = "") {
  Reply reply = api.Get("/v2/images?limit=1000&mx2=" + w.tag + (query.empty() ? "" : "&" + query));
  if (reply.status != 200) return false;
  const json body = reply.Json();
  for (const auto& image : body["images"]) {
    if (image["id"] == id) return true;
  }
  return false;
}

void V2Matrix(const World& w, const std::string& kind) {
  const std::string kept = V2NewImage(w, kind);
  auto fresh = [&w, kind] { return V2NewImage(w, kind); };
  const bool shared = kind == "shared";
  // Who sees the image: everybody, the owner's side only, or its members.
  const bool member_sees = kind != "private";
  const bool other_sees = kind == "public" || kind == "community";
  const int seen_by_member = member_sees ? 200 : 404, seen_by_other = other_sees ? 200 : 404;
  //                     admin owner member                 pending                 other                anon
  const std::array<int, kActors> read = {200, 200, seen_by_member, seen_by_member, seen_by_other, 401};
  auto acting = [&](int ok) {
    return std::array<int, kActors>{ok, ok, member_sees ? 403 : 404, member_sees ? 403 : 404,
                                    other_sees ? 403 : 404, 401};
  };
  json rename = json::array({{{"op", "replace"}, {"path", "/name"}, {"value", "renamed"}}});
  std::vector<V2Cell> cells = {
      {"GET image", [&](Api& a) { return V2Show(a, kept); }, read},
      {"GET file", [&](Api& a) { return a.Get("/v2/images/" + kept + "/file"); }, read},
      {"PATCH image", [&](Api& a) { return V2Patch(a, fresh(), rename); }, acting(200)},
      {"DELETE image", [&](Api& a) { return a.Delete("/v2/images/" + fresh()); }, acting(204)},
      {"PUT tag", [&](Api& a) { return a.Put("/v2/images/" + fresh() + "/tags/new", {}, "", ""); }, acting(204)},
      {"DELETE tag", [&](Api& a) { return a.Delete("/v2/images/" + fresh() + "/tags/kept"); }, acting(204)},
      {"PUT file (queued image)",
       [&](Api& a) { return V2Upload(a, V2NewImage(w, kind, false), "uploaded"); }, acting(204)},
  };
  if (shared) {
    const std::string members = "/v2/images/" + kept + "/members";
    cells.insert(cells.end(), {
        {"GET members", [&, members](Api& a) { return a.Get(members); }, {200, 200, 200, 200, 404, 401}},
        {"GET the member's membership", [&, members](Api& a) { return a.Get(members + "/" + w.member); },
         {200, 200, 200, k403or404, 404, 401}},
        {"POST member", [&](Api& a) { return V2AddMember(a, fresh(), "mx2-new-" + w.tag); },
         {200, 200, 403, 403, 404, 401}},
        {"PUT the member's membership",
         [&](Api& a) { return V2SetMember(a, fresh(), w.member, "rejected"); },
         {200, 403, 200, k403or404, 404, 401}},
        {"DELETE the member's membership",
         [&](Api& a) { return a.Delete("/v2/images/" + fresh() + "/members/" + w.member); },
         {204, 204, 403, 403, 404, 401}},
    });
  } else {
    const std::string members = "/v2/images/" + kept + "/members";
    const std::array<int, kActors> not_shared = {403, 403, member_sees ? 403 : 404, member_sees ? 403 : 404,
                                                 other_sees ? 403 : 404, 401};
    cells.insert(cells.end(), {
        {"GET members", [&, members](Api& a) { return a.Get(members); }, not_shared},
        {"POST member", [&](Api& a) { return V2AddMember(a, kept, "mx2-new-" + w.tag); }, not_shared},
    });
  }
  RunV2Matrix(w, kind, cells);

  // Each member answers for itself (pending ones too); a project that is
  // no member has no membership to answer (404), or no image to see.
  if (shared) {
    const std::array<std::string, kActors> self = {"", w.owner, w.member, w.sharer, w.other, ""};
    const std::array<int, kActors> own = {0, 404, 200, 200, 404, 401};
    for (int actor = kOwner; actor < kActors; ++actor) {
      std::string project = actor == kAnon ? w.member : self[actor];
      Reply reply = V2SetMember(w.As(static_cast<Actor>(actor)), fresh(), project, "accepted");
      BOOST_TEST(reply.status == own[actor],
                 "shared image, PUT own membership as " << kV2ActorNames[actor] << ": " << reply.Describe());
    }
  }

  // Lists: default, and the member_status and visibility selectors.
  std::array<bool, kActors> listed;
  if (kind == "public") listed = {true, true, true, true, true, false};
  if (kind == "private") listed = {true, true, false, false, false, false};
  if (kind == "shared") listed = {true, true, true, false, false, false};
  if (kind == "community") listed = {false, true, false, false, false, false};
  for (int actor = 0; actor < kActors; ++actor) {
    Api api = w.As(static_cast<Actor>(actor));
    BOOST_TEST(V2Lists(api, w, kept) == listed[actor], kind << " image listed for " << kV2ActorNames[actor]);
    if (kind == "community") {
      BOOST_TEST(V2Lists(api, w, kept, "visibility=community") == (actor != kAnon),
                 "community image listed with visibility=community for " << kV2ActorNames[actor]);
    }
  }
  if (shared) {
    BOOST_TEST(V2Lists(w.As(kSharer), w, kept, "member_status=pending"));
    BOOST_TEST(V2Lists(w.As(kSharer), w, kept, "member_status=all"));
    BOOST_TEST(!V2Lists(w.As(kMember), w, kept, "member_status=pending"));
    BOOST_TEST(V2Lists(w.As(kMember), w, kept, "member_status=accepted"));
    BOOST_TEST(!V2Lists(w.As(kOther), w, kept, "member_status=all"));
    BOOST_TEST(!V2Lists(w.As(kOther), w, kept, "visibility=shared"));
  }
  // Nothing a refused caller did changed the kept image.
  json after = V2Get(w.As(kOwner), kept);
  BOOST_TEST(S(after, "name") == "mx2");
  BOOST_TEST((after["tags"] == json::array({"kept"})), after.dump());
  BOOST_TEST(S(after, "visibility") == kind);
  BOOST_TEST(w.As(kOwner).Get("/v2/images/" + kept + "/file").body == "matrix-data");
}

// Publicizing and giving an image away are the admin's (v2 contract §3,
// §5, §10); community, private, shared and os_hidden are the owner's.
void V2AdminOnlyFields(const World& w) {
  Api owner = w.As(kOwner), admin = w.As(kAdmin);
  Reply public_post = V2Create(owner, {{"name", "mx2-public"}, {"visibility", "public"}, {"mx2", w.tag}});
  BOOST_TEST(public_post.status == 403, public_post.Describe());
  Reply given_post = V2Create(owner, {{"name", "mx2-given"}, {"owner", w.other}, {"mx2", w.tag}});
  BOOST_TEST((given_post.status == 403 || (given_post.status == 201 && S(given_post.Json(), "owner") == w.owner)),
             "a POST gave the image away: " << given_post.Describe());
  Reply by_admin = V2Create(admin, {{"name", "mx2-admin-public"}, {"visibility", "public"}, {"owner", w.owner}});
  BOOST_TEST_REQUIRE(by_admin.status == 201, by_admin.Describe());
  BOOST_TEST(S(by_admin.Json(), "owner") == w.owner);
  BOOST_TEST(S(by_admin.Json(), "visibility") == "public");

  std::string mine = V2CreateId(owner, {{"name", "mx2-fields"}, {"visibility", "private"}, {"mx2", w.tag}});
  BOOST_TEST(S(V2Get(owner, mine), "owner") == w.owner);
  auto set = [&](const Api& api, const std::string& key, const json& value) {
    return V2Patch(api, mine, json::array({{{"op", "replace"}, {"path", "/" + key}, {"value", value}}}));
  };
  BOOST_TEST(set(owner, "visibility", "public").status == 403);
  BOOST_TEST(set(owner, "owner", w.other).status == 403);
  for (const char* visibility : {"community", "shared", "private"}) {
    Reply changed = set(owner, "visibility", visibility);
    BOOST_TEST(changed.status == 200, visibility << ": " << changed.Describe());
  }
  BOOST_TEST(set(owner, "os_hidden", true).status == 200);
  json unchanged = V2Get(owner, mine);
  BOOST_TEST(S(unchanged, "owner") == w.owner);
  BOOST_TEST(S(unchanged, "visibility") == "private");
  BOOST_TEST(V2Show(w.As(kOther), mine).status == 404);

  BOOST_TEST(set(admin, "visibility", "public").status == 200);
  BOOST_TEST(V2Show(w.As(kOther), mine).status == 200);
  BOOST_TEST(set(admin, "visibility", "private").status == 200);
  Reply handed = set(admin, "owner", w.other);
  BOOST_TEST(handed.status == 200, handed.Describe());
  BOOST_TEST(V2Show(w.As(kOther), mine).status == 200, "the admin handed it over");
  BOOST_TEST(V2Show(owner, mine).status == 404);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tenancy_matrix_v2)

BOOST_AUTO_TEST_CASE(public_image) { V2Matrix(TrustedWorld(), "public"); }
BOOST_AUTO_TEST_CASE(private_image) { V2Matrix(TrustedWorld(), "private"); }
BOOST_AUTO_TEST_CASE(shared_image) { V2Matrix(TrustedWorld(), "shared"); }
BOOST_AUTO_TEST_CASE(community_image) { V2Matrix(TrustedWorld(), "community"); }
BOOST_AUTO_TEST_CASE(admin_only_fields) { V2AdminOnlyFields(TrustedWorld()); }

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(tenancy_matrix_v2_keystone)

BOOST_AUTO_TEST_CASE(public_image) { V2Matrix(KeystoneWorld(), "public"); }
BOOST_AUTO_TEST_CASE(private_image) { V2Matrix(KeystoneWorld(), "private"); }
BOOST_AUTO_TEST_CASE(shared_image) { V2Matrix(KeystoneWorld(), "shared"); }
BOOST_AUTO_TEST_CASE(community_image) { V2Matrix(KeystoneWorld(), "community"); }
BOOST_AUTO_TEST_CASE(admin_only_fields) { V2AdminOnlyFields(KeystoneWorld()); }

BOOST_AUTO_TEST_SUITE_END()
