// PATCH /v2/images/{id}: the media type, the JSON-patch syntax and its
// effect on an image (v2 contract §5).
#include <set>
#include <utility>

#include "glance/common/text.h"
#include "glance/image/v2_request.h"
#include "v2_fields.h"

namespace glance::v2 {

using nlohmann::json;
using namespace internal;

namespace {

constexpr char kWhitespace[] = " \t\n\r\f\v";

std::string StripWhitespace(const std::string& text) {
  size_t first = text.find_first_not_of(kWhitespace);
  if (first == std::string::npos) return "";
  size_t last = text.find_last_not_of(kWhitespace);
  return text.substr(first, last - first + 1);
}

Status BadPointer(const std::string& pointer, const char* why) {
  return Status::InvalidArgument("Pointer `" + Printable(pointer) + "` " + why);
}

// Splits a JSON pointer into decoded tokens, refusing the forms upstream
// refuses plus "//" anywhere and the empty token of "/" (§15.3).
Status DecodePointer(const std::string& pointer, std::vector<std::string>* tokens) {
  if (pointer.empty() || pointer[0] != '/') {
    return BadPointer(pointer, "does not start with \"/\".");
  }
  if (pointer.size() > 1 && pointer.back() == '/') {
    return BadPointer(pointer, "ends with \"/\".");
  }
  tokens->clear();
  std::string token;
  for (size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      // Upstream strips each token, so "/ name" is "name"; a token that is
      // empty after that ("/", "//x", "/ /x") addresses nothing we keep.
      token = StripWhitespace(token);
      if (token.empty()) {
        // A trailing "/" is refused above, so an empty token that is not
        // followed by one is the whole of "/" (or "/ ").
        return BadPointer(pointer, i < pointer.size() ? "contains adjacent \"/\"."
                                                      : "does not contain a valid token.");
      }
      tokens->push_back(std::move(token));
      token.clear();
      continue;
    }
    if (pointer[i] != '~') {
      token += pointer[i];
      continue;
    }
    char next = i + 1 < pointer.size() ? pointer[i + 1] : '\0';
    if (next != '0' && next != '1') {
      return BadPointer(pointer, "contains \"~\" not part of a recognized escape sequence.");
    }
    token += next == '0' ? '~' : '/';
    ++i;
  }
  return Status::Ok();
}

const char* OpName(PatchOp::Kind kind) {
  switch (kind) {
    case PatchOp::Kind::kAdd: return "add";
    case PatchOp::Kind::kRemove: return "remove";
    case PatchOp::Kind::kReplace: return "replace";
  }
  return "";
}

Status ParseOne(const json& raw, PatchOp* op) {
  static const std::string kAvailable = "It must be one of the following: add, remove, replace.";
  if (!raw.is_object()) return Status::InvalidArgument("Operations must be JSON objects.");
  auto op_it = raw.find("op");
  if (op_it == raw.end()) {
    return Status::InvalidArgument("Unable to find `op` in JSON Schema change. " + kAvailable);
  }
  const std::string name = op_it->is_string() ? op_it->get<std::string>() : std::string();
  if (name == "add") {
    op->kind = PatchOp::Kind::kAdd;
  } else if (name == "remove") {
    op->kind = PatchOp::Kind::kRemove;
  } else if (name == "replace") {
    op->kind = PatchOp::Kind::kReplace;
  } else {
    // dump() of a non-string op may meet invalid UTF-8; replace, not throw.
    std::string shown = op_it->is_string()
                            ? Printable(name)
                            : op_it->dump(-1, ' ', false, json::error_handler_t::replace);
    return Status::InvalidArgument("Invalid operation: `" + shown + "`. " + kAvailable);
  }
  auto path_it = raw.find("path");
  if (path_it == raw.end()) {
    return Status::InvalidArgument("Unable to find 'path' in JSON Schema change");
  }
  if (!path_it->is_string()) return Status::InvalidArgument("'path' must be a string.");
  const std::string& pointer = path_it->get_ref<const std::string&>();
  std::vector<std::string> tokens;
  Status s = DecodePointer(pointer, &tokens);
  if (!s.ok()) return s;
  // One token, except the locations API's "/locations/N" for add and
  // remove: kept by its root so that it is refused as reserved (403), as
  // an install without show_multiple_locations refuses it.
  size_t depth = tokens[0] == "locations" && op->kind != PatchOp::Kind::kReplace ? 2 : 1;
  if (tokens.size() != depth) {
    return Status::InvalidArgument("Invalid JSON pointer for this resource: '" +
                                   Printable(pointer) + "'");
  }
  op->path = tokens[0];
  op->value = nullptr;
  if (op->kind != PatchOp::Kind::kRemove) {
    auto value_it = raw.find("value");
    if (value_it == raw.end()) {
      return Status::InvalidArgument(std::string("Operation \"") + OpName(op->kind) +
                                     "\" requires a member named \"value\".");
    }
    op->value = *value_it;
  }
  return Status::Ok();
}

bool MayChangeFormats(const Image& image) {
  return image.status == "queued" || image.status == "importing";
}

// One op's effect on the working copy, after the syntax and schema checks.
Status Apply(const PatchOp& op, const RequestContext& context, const V2Limits& limits,
             Image* work) {
  const std::string& key = op.path;
  if (op.kind == PatchOp::Kind::kRemove) {
    if (IsCoreAttribute(key)) return Status::Forbidden("Property " + key + " may not be removed.");
    if (work->properties.erase(key) == 0) {
      return Status::Conflict("Property " + Printable(key) + " does not exist.");
    }
    return Status::Ok();
  }
  const json& value = op.value;
  if (!IsCoreAttribute(key)) {
    auto it = work->properties.find(key);
    if (op.kind == PatchOp::Kind::kReplace && it == work->properties.end()) {
      return Status::Conflict("Property " + Printable(key) + " does not exist.");
    }
    // A null kernel_id/ramdisk_id is "no such property" (we store strings).
    if (value.is_null()) {
      if (it != work->properties.end()) work->properties.erase(it);
    } else {
      work->properties[key] = value.get<std::string>();
    }
    return Status::Ok();
  }
  if (key == "owner" && !context.is_admin) {
    return Status::Forbidden("Owner can't be updated by non admin.");
  }
  if (key == "visibility") {
    Status s = CheckVisibilityAllowed(value.get<std::string>(), context);
    if (!s.ok()) return s;
    work->visibility = value.get<std::string>();
  } else if ((key == "disk_format" || key == "container_format") && !MayChangeFormats(*work)) {
    return Status::Forbidden("Attribute " + key + " can be only replaced for a queued image.");
  } else if (key == "disk_format") {
    work->disk_format = NullableString(value);
  } else if (key == "container_format") {
    work->container_format = NullableString(value);
  } else if (key == "name") {
    work->name = NullableString(value);
  } else if (key == "owner") {
    work->owner = NullableString(value);
  } else if (key == "protected") {
    work->is_protected = value.get<bool>();
  } else if (key == "os_hidden") {
    work->os_hidden = value.get<bool>();
  } else if (key == "min_ram") {
    work->min_ram = value.get<int64_t>();
  } else if (key == "min_disk") {
    work->min_disk = value.get<int64_t>();
  } else if (key == "tags") {
    std::vector<std::string> tags = TagSet(value);
    Status s = TagQuota(tags.size(), limits.tag_quota);
    if (!s.ok()) return s;
    work->tags = std::move(tags);
  }
  return Status::Ok();
}

template <typename T>
void IfChanged(const T& before, const T& after, std::optional<T>* out) {
  if (before != after) *out = after;
}

ImageChanges Difference(const Image& before, const Image& after) {
  ImageChanges c;
  IfChanged(before.name, after.name, &c.name);
  IfChanged(before.owner, after.owner, &c.owner);
  IfChanged(before.disk_format, after.disk_format, &c.disk_format);
  IfChanged(before.container_format, after.container_format, &c.container_format);
  IfChanged(before.visibility, after.visibility, &c.visibility);
  IfChanged(before.is_protected, after.is_protected, &c.is_protected);
  IfChanged(before.os_hidden, after.os_hidden, &c.os_hidden);
  IfChanged(before.min_ram, after.min_ram, &c.min_ram);
  IfChanged(before.min_disk, after.min_disk, &c.min_disk);
  IfChanged(before.tags, after.tags, &c.tags);
  IfChanged(before.properties, after.properties, &c.properties);
  return c;
}

bool AddsProperties(const Image& before, const Image& after) {
  for (const auto& entry : after.properties) {
    if (before.properties.count(entry.first) == 0) return true;
  }
  return false;
}

}  // namespace

Status CheckPatchMediaType(const std::string& content_type) {
  std::string type = ToLower(Trim(content_type.substr(0, content_type.find(';'))));
  if (type == kPatchMediaType) return Status::Ok();
  return Status::UnsupportedMediaType(
      "The request media type " + (type.empty() ? std::string("(none)") : type) +
      " is not supported; a PATCH body must be " + kPatchMediaType + ".");
}

Status ParsePatch(const json& body, std::vector<PatchOp>* ops) {
  if (!body.is_array()) {
    return Status::InvalidArgument("Request body must be a JSON array of operation objects.");
  }
  std::vector<PatchOp> parsed;
  parsed.reserve(body.size());
  for (const json& raw : body) {
    PatchOp op;
    Status s = ParseOne(raw, &op);
    if (!s.ok()) return s;
    parsed.push_back(std::move(op));
  }
  *ops = std::move(parsed);
  return Status::Ok();
}

Status ApplyPatch(const Image& current, const std::vector<PatchOp>& ops,
                  const RequestContext& context, const V2Limits& limits, ImageChanges* changes,
                  bool* purge_properties) {
  // What upstream's request deserializer checks for the whole body before
  // the controller applies anything: forbidden paths, then the schema.
  for (const PatchOp& op : ops) {
    if (IsReadOnly(op.path, Request::kPatch)) return ReadOnlyError(op.path);
    if (IsReserved(op.path)) return ReservedError(op.path);
    if (op.kind != PatchOp::Kind::kRemove) {
      Status s = CheckValue(op.path, op.value);
      if (!s.ok()) return s;
    }
  }
  // Then the ops in order, each seeing the ones before it, on a copy: a
  // failure anywhere leaves the caller's outputs untouched.
  Image work = current;
  for (const PatchOp& op : ops) {
    Status s = Apply(op, context, limits, &work);
    if (!s.ok()) return s;
  }
  // Like upstream's save(): the quota binds only a patch that adds keys, so
  // an image already over it (through v1) can still be edited or trimmed.
  if (AddsProperties(current, work)) {
    Status s = PropertyQuota(work.properties, limits.property_quota);
    if (!s.ok()) return s;
  }
  *changes = Difference(current, work);
  *purge_properties = changes->properties.has_value();
  return Status::Ok();
}

}  // namespace glance::v2
