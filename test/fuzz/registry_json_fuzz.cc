// Fuzz target: the registry's JSON parsing.
//
// Input: a request or response body.  It goes through every reader the
// registry and its client have: image create/update bodies, membership
// lists, member bodies, and image dicts as the API reads them back.  What is
// accepted must serialize and read back to the same value.
#include "fuzz_target.h"
#include "glance/image/image_json.h"

namespace glance::fuzz {

namespace {

using nlohmann::json;

json Reparse(const json& value, const char* what) {
  // Strict dump: text that was accepted must already be valid UTF-8.
  json out;
  Status s = ParseJsonBody(value.dump(), &out);
  Check(s.ok(), std::string(what) + " does not parse back: " + s.ToString());
  return out;
}

// Reads `in` with `read`; what it accepts must be written by `write` as
// JSON that reads back to the same value.  A refusal must carry `refusal`.
template <typename Value>
void CheckReadBack(const json& in, Status (*read)(const json&, Value*),
                   json (*write)(const Value&), Status::Code refusal, const char* what) {
  Value value;
  Status s = read(in, &value);
  CheckCleanRefusal(s, refusal, what);
  if (!s.ok()) return;
  json written = write(value);
  Value again;
  s = read(Reparse(written, what), &again);
  Check(s.ok(), std::string(what) + " refuses what was written: " + s.ToString());
  Check(write(again) == written, std::string(what) + " differs after a round trip");
}

void CheckImageChanges(const json& object) {
  CheckReadBack<ImageChanges>(object, ParseImageChanges, ImageChangesToJson,
                              Status::Code::kInvalidArgument, "ParseImageChanges");
}

void CheckMemberships(const json& body) {
  std::vector<MembershipEntry> entries;
  Status s = ParseMemberships(body, &entries);
  CheckCleanRefusal(s, Status::Code::kInvalidArgument, "ParseMemberships");
  if (!s.ok()) return;
  json list = json::array();
  for (const MembershipEntry& entry : entries) {
    Check(ValidateMemberId(entry.member).ok(), "accepted an invalid member id");
    json item = {{"member_id", entry.member}};
    if (entry.can_share) item["can_share"] = *entry.can_share;
    list.push_back(std::move(item));
  }
  std::vector<MembershipEntry> again;
  Check(ParseMemberships(Reparse(json{{"memberships", list}}, "memberships"), &again).ok() &&
            again.size() == entries.size(),
        "memberships differ after a round trip");
}

void CheckMemberBody(const json& body) {
  std::optional<bool> can_share;
  CheckCleanRefusal(ParseMemberBody(body, &can_share), Status::Code::kInvalidArgument,
                    "ParseMemberBody");
}

// The API's side: a registry answer it cannot read is the registry's fault,
// a 500 (kInternal), never a crash.
void CheckRegistryImage(const json& dict) {
  CheckReadBack<Image>(dict, ImageFromRegistryJson, ImageToRegistryJson, Status::Code::kInternal,
                       "ImageFromRegistryJson");
}

}  // namespace

void RegistryJsonInput(std::string_view input) {
  json body;
  Status s = ParseJsonBody(std::string(input), &body);
  CheckCleanRefusal(s, Status::Code::kInvalidArgument, "ParseJsonBody");
  if (!s.ok()) return;
  const json& b = body;
  CheckImageChanges(b);
  CheckMemberships(b);
  CheckMemberBody(b);
  CheckRegistryImage(b);
  if (b.is_object() && b.contains("image")) {
    CheckImageChanges(b["image"]);
    CheckRegistryImage(b["image"]);
  }
}

}  // namespace glance::fuzz

GLANCE_FUZZ_ENTRY_POINT(glance::fuzz::RegistryJsonInput)
