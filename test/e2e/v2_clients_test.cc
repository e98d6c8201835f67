// The real v2 clients of Debian 12 against the stacks: python3-openstackclient
// (openstacksdk 0.101, which discovers the version from GET /) and
// python3-glanceclient 4.1 with --os-image-api-version 2 (which validates
// every answer against /v2/schemas/*), in noauth mode with an explicit
// endpoint, and openstack in keystone mode with nothing but a user's openrc
// (an image shared by demo with alt_demo, accepted through
// `openstack image set --accept`).  Each invocation costs a Python start-up
// (1-2 s): the flows are the ones the issue lists, no more.
#include <filesystem>
#include <fstream>

#include <boost/test/unit_test.hpp>

#include "keystone.h"
#include "v2.h"

using namespace e2e;

namespace {

struct Run {
  int rc = -1;
  std::string out;  // stdout (with stderr for glance, which runs under script)
  std::string err;
  std::string Describe() const { return "exit " + std::to_string(rc) + "\nstdout: " + out + "\nstderr: " + err; }
};

std::string Quoted(const std::string& text) { return "'" + text + "'"; }

// Runs `command` under bash (after `prefix`, e.g. ". openrc && "), stdin on
// /dev/null.
Run Shell(const std::string& prefix, const std::string& command) {
  std::string base = RequireEnv("GLANCE_TEST_TMPDIR") + "/v2-cli-" + NewRunTag();
  Run run;
  run.rc = RunCommand({"/bin/bash", "-c", prefix + command + " > " + Quoted(base + ".out") + " 2> " + Quoted(base + ".err")},
                      {}, base + ".log", std::chrono::seconds(120));
  run.out = ReadFile(base + ".out");
  run.err = ReadFile(base + ".err") + ReadFile(base + ".log");
  for (const char* suffix : {".out", ".err", ".log"}) std::filesystem::remove(base + suffix);
  return run;
}

// `openstack <arguments>` against `url` without authentication.
Run OpenStack(const std::string& url, const std::string& arguments) {
  return Shell("", "openstack --os-auth-type none --os-endpoint " + Quoted(url) + " " + arguments);
}

// `glance --os-image-api-version 2 <arguments>` against `url` with a token
// noauth ignores.  Under `script`, so stdin is a terminal: glanceclient
// would otherwise take an empty stdin for image data.
Run Glance(const std::string& url, const std::string& arguments) {
  return Shell("", "script -qec \"glance --os-image-api-version 2 --os-image-url " + url +
                       " --os-auth-token not-checked " + arguments + "\" /dev/null < /dev/null");
}

json ParseJson(const Run& run) {
  json parsed = json::parse(run.out, nullptr, false);
  if (parsed.is_discarded()) throw std::runtime_error("not JSON: " + run.Describe());
  return parsed;
}

// A value of glanceclient's "| Property | Value |" table.
std::string Field(const std::string& table, const std::string& property) {
  std::string needle = "| " + property + " ";
  size_t at = table.find(needle);
  if (at == std::string::npos) return "";
  size_t start = table.find('|', at + 1) + 1, end = table.find('|', start);
  return Trim(table.substr(start, end - start));
}

std::string WriteData(const std::string& dir, const std::string& data) {
  std::string path = dir + "/cli-" + NewRunTag() + ".img";
  std::ofstream(path, std::ios::binary) << data;
  return path;
}

std::string Url(const Stack& stack) { return "http://127.0.0.1:" + std::to_string(stack.api_port()); }

bool ListedIn(const json& listing, const std::string& id) {
  for (const auto& row : listing) {
    if (row.value("ID", "") == id) return true;
  }
  return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(v2_clients)

// create --file, list, show, save (bytes checked), set --property, unset,
// add project, member list, delete.
BOOST_AUTO_TEST_CASE(openstack_cli_in_noauth_mode) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  const std::string url = Url(stack), tag = NewRunTag();
  const std::string data = RandomBytes((2 << 20) + 3, 61);
  const std::string file = WriteData(stack.var_dir(), data), saved = file + ".saved";

  Run created = OpenStack(url, "image create --file " + Quoted(file) +
                                   " --disk-format raw --container-format bare --property v2cli=" + tag +
                                   " osc-" + tag + " -f json");
  BOOST_TEST_REQUIRE(created.rc == 0, created.Describe());
  const std::string id = S(ParseJson(created), "id");
  BOOST_TEST_REQUIRE(LooksLikeUuid(id), created.Describe());
  json image = V2Get(api, id);
  BOOST_TEST(S(image, "status") == "active");
  BOOST_TEST(S(image, "checksum") == Md5Hex(data));
  BOOST_TEST(S(image, "size") == "<" + std::to_string(data.size()) + ">");
  BOOST_TEST(S(image, "v2cli") == tag);

  Run listed = OpenStack(url, "image list -f json");
  BOOST_TEST_REQUIRE(listed.rc == 0, listed.Describe());
  BOOST_TEST(ListedIn(ParseJson(listed), id), listed.out.substr(0, 2000));

  Run shown = OpenStack(url, "image show " + id + " -f json");
  BOOST_TEST_REQUIRE(shown.rc == 0, shown.Describe());
  json show = ParseJson(shown);
  BOOST_TEST(S(show, "name") == "osc-" + tag);
  BOOST_TEST(S(show, "status") == "active");
  BOOST_TEST(S(show, "checksum") == Md5Hex(data));
  BOOST_TEST(show.dump().find(tag) != std::string::npos, "the property is not shown: " << shown.out);

  // openstacksdk checks the download against the MD5 it is given.
  Run save = OpenStack(url, "image save --file " + Quoted(saved) + " " + id);
  BOOST_TEST_REQUIRE(save.rc == 0, save.Describe());
  BOOST_TEST(FileSize(saved) == static_cast<int64_t>(data.size()));
  BOOST_TEST(Md5Hex(ReadFile(saved)) == Md5Hex(data));

  Run set = OpenStack(url, "image set --property color=red --property hw_disk_bus=virtio --name osc-renamed-" + tag +
                               " --min-ram 64 " + id);
  BOOST_TEST_REQUIRE(set.rc == 0, set.Describe());
  image = V2Get(api, id);
  BOOST_TEST(S(image, "color") == "red");
  BOOST_TEST(S(image, "hw_disk_bus") == "virtio");
  BOOST_TEST(S(image, "name") == "osc-renamed-" + tag);
  BOOST_TEST(S(image, "min_ram") == "<64>");

  Run unset = OpenStack(url, "image unset --property color " + id);
  BOOST_TEST_REQUIRE(unset.rc == 0, unset.Describe());
  image = V2Get(api, id);
  BOOST_TEST(!image.contains("color"), image.dump());
  BOOST_TEST(S(image, "hw_disk_bus") == "virtio");

  // A UUID-like project, so the CLI asks no identity service to find it.
  const std::string project = RandomUuid();
  Run added = OpenStack(url, "image add project " + id + " " + project + " -f json");
  BOOST_TEST_REQUIRE(added.rc == 0, added.Describe());
  json member = ParseJson(added);
  BOOST_TEST(S(member, "member_id") == project, added.out);
  BOOST_TEST(S(member, "status") == "pending", added.out);
  Run members = OpenStack(url, "image member list " + id + " -f json");
  BOOST_TEST_REQUIRE(members.rc == 0, members.Describe());
  json rows = ParseJson(members);
  BOOST_TEST_REQUIRE(rows.size() == 1u, members.out);
  BOOST_TEST(S(rows[0], "Member ID") == project, members.out);
  BOOST_TEST(S(rows[0], "Status") == "pending", members.out);

  Run deleted = OpenStack(url, "image delete " + id);
  BOOST_TEST(deleted.rc == 0, deleted.Describe());
  BOOST_TEST(V2Show(api, id).status == 404);
  CheckNoDataLeft(stack, id);
  std::filesystem::remove(file);
  std::filesystem::remove(saved);
}

// create, upload, download (bytes checked), update, tags, members (create,
// accept, reject, delete), delete -- every answer validated by the client
// against the server's schemas.
BOOST_AUTO_TEST_CASE(glanceclient_v2_in_noauth_mode) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  const std::string url = Url(stack), tag = NewRunTag();
  const std::string data = RandomBytes((1 << 20) + 11, 62);
  const std::string file = WriteData(stack.var_dir(), data), saved = file + ".saved";

  Run created = Glance(url, "image-create --name gl2-" + tag + " --disk-format raw --container-format bare"
                            " --property v2cli=" + tag);
  BOOST_TEST_REQUIRE(created.rc == 0, created.Describe());
  const std::string id = Field(created.out, "id");
  BOOST_TEST_REQUIRE(LooksLikeUuid(id), created.Describe());
  BOOST_TEST(Field(created.out, "status") == "queued", created.out);
  BOOST_TEST(Field(created.out, "visibility") == "shared", created.out);
  BOOST_TEST(Field(created.out, "v2cli") == tag, created.out);

  Run uploaded = Glance(url, "image-upload --file " + file + " " + id);
  BOOST_TEST_REQUIRE(uploaded.rc == 0, uploaded.Describe());
  json image = V2Get(api, id);
  BOOST_TEST(S(image, "status") == "active");
  BOOST_TEST(S(image, "checksum") == Md5Hex(data));
  BOOST_TEST(S(image, "os_hash_value") == Sha512Hex(data));

  Run downloaded = Glance(url, "image-download --file " + saved + " " + id);
  BOOST_TEST_REQUIRE(downloaded.rc == 0, downloaded.Describe());
  BOOST_TEST(Md5Hex(ReadFile(saved)) == Md5Hex(data));

  Run updated = Glance(url, "image-update --name gl2-renamed-" + tag + " --property color=blue --min-disk 3 " + id);
  BOOST_TEST_REQUIRE(updated.rc == 0, updated.Describe());
  BOOST_TEST(Field(updated.out, "name") == "gl2-renamed-" + tag, updated.out);
  BOOST_TEST(Field(updated.out, "color") == "blue", updated.out);
  BOOST_TEST(Field(updated.out, "min_disk") == "3", updated.out);
  BOOST_TEST(S(V2Get(api, id), "color") == "blue");

  Run tagged = Glance(url, "image-tag-update " + id + " web");
  BOOST_TEST_REQUIRE(tagged.rc == 0, tagged.Describe());
  BOOST_TEST((V2Get(api, id)["tags"] == json::array({"web"})));
  Run untagged = Glance(url, "image-tag-delete " + id + " web");
  BOOST_TEST_REQUIRE(untagged.rc == 0, untagged.Describe());
  BOOST_TEST((V2Get(api, id)["tags"] == json::array()));

  const std::string project = "gl2-project-" + tag;
  auto status_of_member = [&] {
    json members = api.Get("/v2/images/" + id + "/members").Json()["members"];
    return members.size() == 1u ? S(members[0], "member_id") + " " + S(members[0], "status") : members.dump();
  };
  Run member = Glance(url, "member-create " + id + " " + project);
  BOOST_TEST_REQUIRE(member.rc == 0, member.Describe());
  BOOST_TEST(member.out.find(project) != std::string::npos, member.out);
  BOOST_TEST(status_of_member() == project + " pending");
  Run accepted = Glance(url, "member-update " + id + " " + project + " accepted");
  BOOST_TEST_REQUIRE(accepted.rc == 0, accepted.Describe());
  BOOST_TEST(accepted.out.find("accepted") != std::string::npos, accepted.out);
  BOOST_TEST(status_of_member() == project + " accepted");
  Run rejected = Glance(url, "member-update " + id + " " + project + " rejected");
  BOOST_TEST_REQUIRE(rejected.rc == 0, rejected.Describe());
  BOOST_TEST(status_of_member() == project + " rejected");
  Run removed = Glance(url, "member-delete " + id + " " + project);
  BOOST_TEST_REQUIRE(removed.rc == 0, removed.Describe());
  BOOST_TEST(api.Get("/v2/images/" + id + "/members").Json()["members"].size() == 0u);

  Run deleted = Glance(url, "image-delete " + id);
  BOOST_TEST(deleted.rc == 0, deleted.Describe());
  BOOST_TEST(V2Show(api, id).status == 404);
  CheckNoDataLeft(stack, id);
  std::filesystem::remove(file);
  std::filesystem::remove(saved);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(v2_clients_keystone)

// `. openrc.demo && openstack image list`, then an image demo shares with
// alt_demo, which alt_demo lists only once it accepted it with
// `openstack image set --accept`, and downloads.
BOOST_AUTO_TEST_CASE(openstack_cli_shares_through_the_catalog) {
  Stack& stack = KeystoneStack();
  Keystone& ks = TheKeystone();
  ks.Script("register-image", {Url(stack)});
  const std::string etc = stack.var_dir() + "/openrc";
  std::filesystem::create_directories(etc);
  ks.Script("openrc", {etc});
  const std::string demo = ". " + Quoted(etc + "/openrc.demo") + " && ";
  const std::string alt = ". " + Quoted(etc + "/openrc.alt_demo") + " && ";
  // The openrc files may select image API v1 for the v1 clients; these
  // commands are about v2.
  const std::string v2 = "openstack --os-image-api-version 2 ";
  const std::string data = RandomBytes((1 << 20) + 5, 63), tag = NewRunTag();
  const std::string file = WriteData(stack.var_dir(), data), saved = file + ".saved";
  Api as_demo = stack.api(TokenHeaders(ks.Token("demo")));

  Run plain = Shell(demo, "openstack image list -f json");
  BOOST_TEST_REQUIRE(plain.rc == 0, plain.Describe());

  Run created = Shell(demo, v2 + "image create --file " + Quoted(file) +
                                " --disk-format raw --container-format bare ks-osc-" + tag + " -f json");
  BOOST_TEST_REQUIRE(created.rc == 0, created.Describe());
  const std::string id = S(ParseJson(created), "id");
  BOOST_TEST_REQUIRE(LooksLikeUuid(id), created.Describe());
  json image = V2Get(as_demo, id);
  BOOST_TEST(S(image, "owner") == ks.Var("DEMO_PROJECT_ID"));
  BOOST_TEST(S(image, "checksum") == Md5Hex(data));
  BOOST_TEST(S(image, "visibility") == "shared");

  Run listed = Shell(demo, v2 + "image list -f json");
  BOOST_TEST_REQUIRE(listed.rc == 0, listed.Describe());
  BOOST_TEST(ListedIn(ParseJson(listed), id), listed.out.substr(0, 2000));

  Run shared = Shell(demo, v2 + "image add project " + id + " " + ks.Var("ALT_DEMO_PROJECT_ID") + " -f json");
  BOOST_TEST_REQUIRE(shared.rc == 0, shared.Describe());
  BOOST_TEST(S(ParseJson(shared), "status") == "pending", shared.out);

  Run before = Shell(alt, v2 + "image list -f json");
  BOOST_TEST_REQUIRE(before.rc == 0, before.Describe());
  BOOST_TEST(!ListedIn(ParseJson(before), id), "listed before it was accepted: " << before.out.substr(0, 2000));

  Run accept = Shell(alt, v2 + "image set --accept " + id);
  BOOST_TEST_REQUIRE(accept.rc == 0, accept.Describe());
  json members = as_demo.Get("/v2/images/" + id + "/members").Json()["members"];
  BOOST_TEST_REQUIRE(members.size() == 1u, members.dump());
  BOOST_TEST(S(members[0], "member_id") == ks.Var("ALT_DEMO_PROJECT_ID"));
  BOOST_TEST(S(members[0], "status") == "accepted");

  Run after = Shell(alt, v2 + "image list -f json");
  BOOST_TEST_REQUIRE(after.rc == 0, after.Describe());
  BOOST_TEST(ListedIn(ParseJson(after), id), "not listed once accepted: " << after.out.substr(0, 2000));

  Run save = Shell(alt, v2 + "image save --file " + Quoted(saved) + " " + id);
  BOOST_TEST_REQUIRE(save.rc == 0, save.Describe());
  BOOST_TEST(Md5Hex(ReadFile(saved)) == Md5Hex(data));

  // A member may not delete it; the owner may.
  Run refused = Shell(alt, v2 + "image delete " + id);
  BOOST_TEST(refused.rc != 0, refused.Describe());
  BOOST_TEST(S(V2Get(as_demo, id), "status") == "active");
  Run deleted = Shell(demo, v2 + "image delete " + id);
  BOOST_TEST(deleted.rc == 0, deleted.Describe());
  BOOST_TEST(V2Show(as_demo, id).status == 404);
  std::filesystem::remove(file);
  std::filesystem::remove(saved);
}

BOOST_AUTO_TEST_SUITE_END()
