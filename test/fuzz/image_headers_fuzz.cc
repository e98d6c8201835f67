// Fuzz target: request headers -> image metadata, and metadata -> response
// headers -> metadata again.
//
// Input: lines "name:value" (the first ':' splits; no ':' means an empty
// value).  The names are given to the parser once as they are, since a
// FastCGI environment can hold any bytes, and once in the CGI form nginx
// produces, which is the form that must round-trip.
#include <algorithm>
#include <tuple>
#include <vector>

#include "fuzz_target.h"
#include "glance/api/http.h"
#include "glance/common/text.h"
#include "glance/image/image_headers.h"

namespace glance::fuzz {

namespace {

HeaderPairs SplitHeaders(std::string_view input) {
  HeaderPairs headers;
  while (!input.empty()) {
    size_t end = std::min(input.find('\n'), input.size());
    std::string_view line = input.substr(0, end);
    input.remove_prefix(std::min(end + 1, input.size()));
    size_t colon = std::min(line.find(':'), line.size());
    std::string_view value = colon < line.size() ? line.substr(colon + 1) : std::string_view();
    headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  return headers;
}

// What a client can set through headers, as the stored image would carry it.
Image Apply(const ImageChanges& c) {
  Image image;
  image.id = "00000000-0000-0000-0000-000000000000";
  image.status = "queued";
  if (c.name) image.name = *c.name;
  if (c.disk_format) image.disk_format = *c.disk_format;
  if (c.container_format) image.container_format = *c.container_format;
  if (c.size) image.size = *c.size;
  if (c.virtual_size) image.virtual_size = *c.virtual_size;
  if (c.checksum) image.checksum = *c.checksum;
  if (c.owner) image.owner = *c.owner;
  image.visibility = c.is_public.value_or(false) ? "public" : "shared";
  image.is_protected = c.is_protected.value_or(false);
  image.min_disk = c.min_disk.value_or(0);
  image.min_ram = c.min_ram.value_or(0);
  image.created_at = c.created_at.value_or("");
  image.updated_at = c.updated_at.value_or("");
  if (c.properties) image.properties = *c.properties;
  return image;
}

// A value that reaches a response header must not be able to end it.
void CheckAcceptedText(const ImageChanges& c) {
  auto text = [](const std::optional<std::optional<std::string>>& field, const char* what) {
    if (field && *field) Check(ValidateMetadataText(**field, SIZE_MAX, what).ok(), what);
  };
  text(c.name, "name");
  text(c.disk_format, "disk_format");
  text(c.container_format, "container_format");
  text(c.checksum, "checksum");
  text(c.owner, "owner");
  for (const auto& [key, value] : c.properties.value_or(std::map<std::string, std::string>())) {
    Check(!key.empty() && ValidateMetadataText(key, SIZE_MAX, "key").ok(), "bad property key");
    Check(ValidateMetadataText(value, SIZE_MAX, "value").ok(), "bad property value");
  }
  for (const auto& n : {c.size.value_or(std::nullopt), c.virtual_size.value_or(std::nullopt),
                        c.min_disk, c.min_ram}) {
    Check(n.value_or(0) >= 0, "negative integer accepted");
  }
}

// Serializes, passes the names through nginx's CGI mapping and parses again.
Image RoundTrip(const Image& image) {
  HeaderPairs cgi;
  for (const auto& [name, value] : ImageToMetaHeaders(image)) {
    Check(name.rfind("x-image-meta-", 0) == 0, "unexpected response header " + name);
    Check(value.find_first_of(std::string("\r\n\0", 3)) == std::string::npos,
          "response header " + name + " would break the header block");
    cgi.emplace_back(api::CgiHeaderName(name), value);
  }
  ImageMetaHeaders meta;
  Status s = ParseImageMetaHeaders(cgi, &meta);
  Check(s.ok(), "serialized metadata does not parse back: " + s.ToString());
  Check(meta.raw_id == image.id && meta.raw_status == image.status, "id or status changed");
  return Apply(meta.changes);
}

bool SameImage(const Image& a, const Image& b) {
  auto fields = [](const Image& i) {
    return std::tie(i.id, i.name, i.disk_format, i.container_format, i.size, i.virtual_size,
                    i.status, i.visibility, i.checksum, i.min_disk, i.min_ram, i.owner,
                    i.is_protected, i.created_at, i.updated_at, i.properties);
  };
  return fields(a) == fields(b);
}

}  // namespace

void ImageHeadersInput(std::string_view input) {
  HeaderPairs raw = SplitHeaders(input);
  HeaderPairs cgi = raw;
  for (auto& header : cgi) header.first = api::CgiHeaderName(header.first);

  for (const HeaderPairs* headers : {&raw, &cgi}) {
    ImageMetaHeaders meta;
    Status s = ParseImageMetaHeaders(*headers, &meta);
    CheckCleanRefusal(s, Status::Code::kInvalidArgument, "ParseImageMetaHeaders");
    if (!s.ok()) continue;
    CheckAcceptedText(meta.changes);

    Image first = Apply(meta.changes);
    Image second = RoundTrip(first);
    // Header names fold '-' into '_' on the way through nginx, so a key
    // that has a '-' comes back with '_'; everything else comes back as is.
    Image expected = first;
    expected.properties.clear();
    for (const auto& [key, value] : first.properties) {
      std::string folded = key;
      std::replace(folded.begin(), folded.end(), '-', '_');
      expected.properties[folded] = value;
    }
    bool folded_keys_collide = expected.properties.size() != first.properties.size();
    Check(folded_keys_collide || SameImage(second, expected),
          "metadata changed on the way through headers");
    Check(SameImage(RoundTrip(second), second), "header round trip is not stable");
  }
}

}  // namespace glance::fuzz

GLANCE_FUZZ_ENTRY_POINT(glance::fuzz::ImageHeadersInput)
