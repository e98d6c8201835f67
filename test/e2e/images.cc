// The v1 API's image helpers the e2e suites share.
#include <filesystem>

#include <boost/test/unit_test.hpp>

#include "e2e.h"
#include "swift.h"

namespace e2e {

namespace fs = std::filesystem;

// ---------------------------------------------------------------- image helpers

Headers ImageHeaders(const std::string& name, const Headers& extra) {
  Headers headers{{"x-image-meta-name", name},
                  {"x-image-meta-disk_format", "raw"},
                  {"x-image-meta-container_format", "bare"}};
  for (const auto& h : extra) headers.push_back(h);
  return headers;
}

ImageRef CreateImage(const Api& api, const std::string& name, const std::string& data,
                     const Headers& extra) {
  ImageRef ref;
  ref.reply = api.Post("/v1/images", ImageHeaders(name, extra), data);
  if (ref.reply.status == 201) {
    json body = json::parse(ref.reply.body, nullptr, false);
    if (!body.is_discarded() && body.contains("image") && body["image"].contains("id")) {
      ref.id = body["image"]["id"].get<std::string>();
    }
  }
  return ref;
}

ImageRef ReserveImage(const Api& api, const std::string& name, const Headers& extra) {
  ImageRef ref;
  Headers headers{{"x-image-meta-name", name}};
  for (const auto& h : extra) headers.push_back(h);
  ref.reply = api.Post("/v1/images", headers, "", "");
  if (ref.reply.status == 201) {
    json body = json::parse(ref.reply.body, nullptr, false);
    if (!body.is_discarded() && body.contains("image") && body["image"].contains("id")) {
      ref.id = body["image"]["id"].get<std::string>();
    }
  }
  return ref;
}

std::vector<std::string> WaitIncomingEmpty(const Stack& stack, std::chrono::milliseconds limit) {
  std::vector<std::string> left;
  WaitFor(
      [&] {
        left = FilesUnder(stack.IncomingDir());
        return left.empty();
      },
      limit);
  return left;
}

std::set<std::string> StoreEntries(const Stack& stack) {
  std::set<std::string> out;
  if (stack.UsesSwift()) {
    Swift& swift = SwiftOf(stack);
    for (const std::string& name : swift.Names(stack.SwiftContainer())) out.insert(name);
    for (const std::string& name : swift.Names(stack.SwiftSegmentContainer())) {
      out.insert(name.substr(0, name.find('/')));
    }
  }
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(stack.StoreDir(), ec)) {
    std::string name = entry.path().filename().string();
    if (name != "_incoming") out.insert(name);
  }
  return out;
}

int64_t StoredSize(const Stack& stack, const std::string& id) {
  if (!stack.UsesSwift()) return FileSize(stack.StorePath(id));
  Reply head = SwiftOf(stack).Request("HEAD", "/" + stack.SwiftContainer() + "/" + id);
  if (head.status == 404) return -1;
  if (head.status != 200) throw std::runtime_error("Swift HEAD of " + id + ": " + head.Describe());
  return std::stoll(head.Header("Content-Length"));
}

bool HasStoredData(const Stack& stack, const std::string& id) {
  if (!stack.UsesSwift()) return PathExists(stack.StorePath(id));
  return StoredSize(stack, id) >= 0 || !SwiftOf(stack).Names(stack.SwiftSegmentContainer(), id + "/").empty();
}

bool RemoveStoredData(const Stack& stack, const std::string& id) {
  if (!stack.UsesSwift()) {
    std::error_code ec;
    return fs::remove(stack.StorePath(id), ec);
  }
  Swift& swift = SwiftOf(stack);
  bool removed = false;
  for (const std::string& segment : swift.Names(stack.SwiftSegmentContainer(), id + "/")) {
    Reply gone = swift.Request("DELETE", "/" + stack.SwiftSegmentContainer() + "/" + segment);
    if (gone.status != 204) throw std::runtime_error("Swift DELETE of " + segment + ": " + gone.Describe());
    removed = true;
  }
  Reply gone = swift.Request("DELETE", "/" + stack.SwiftContainer() + "/" + id);
  if (gone.status != 204 && gone.status != 404) {
    throw std::runtime_error("Swift DELETE of " + id + ": " + gone.Describe());
  }
  return removed || gone.status == 204;
}

std::string HeadStatus(const Api& api, const std::string& id) {
  Reply reply = api.Head("/v1/images/" + id);
  return reply.status == 200 ? reply.Header("x-image-meta-status") : "";
}

void CheckNoDataLeft(const Stack& stack, const std::string& id) {
  BOOST_TEST(!PathExists(stack.StorePath(id)), "store still holds " << stack.StorePath(id));
  if (stack.UsesSwift()) {
    Swift& swift = SwiftOf(stack);
    std::vector<std::string> objects = swift.Names(stack.SwiftContainer(), id);
    std::vector<std::string> segments = swift.Names(stack.SwiftSegmentContainer(), id + "/");
    BOOST_TEST(objects.empty(), "Swift still holds " << stack.SwiftContainer() << "/" << id);
    BOOST_TEST(segments.empty(), "Swift still holds " << segments.size() << " segments of " << id);
  }
  std::vector<std::string> left = WaitIncomingEmpty(stack);
  std::string listing;
  for (const auto& f : left) listing += " " + f + " (" + std::to_string(FileSize(f)) + " bytes)";
  BOOST_TEST(left.empty(), "upload temp dir not empty:" << listing);
}

}  // namespace e2e
