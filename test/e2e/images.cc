// The v1 API's image helpers the e2e suites share.
#include <filesystem>

#include <boost/test/unit_test.hpp>

#include "e2e.h"

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
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(stack.StoreDir(), ec)) {
    std::string name = entry.path().filename().string();
    if (name != "_incoming") out.insert(name);
  }
  return out;
}

std::string HeadStatus(const Api& api, const std::string& id) {
  Reply reply = api.Head("/v1/images/" + id);
  return reply.status == 200 ? reply.Header("x-image-meta-status") : "";
}

void CheckNoDataLeft(const Stack& stack, const std::string& id) {
  BOOST_TEST(!PathExists(stack.StorePath(id)), "store still holds " << stack.StorePath(id));
  std::vector<std::string> left = WaitIncomingEmpty(stack);
  std::string listing;
  for (const auto& f : left) listing += " " + f + " (" + std::to_string(FileSize(f)) + " bytes)";
  BOOST_TEST(left.empty(), "upload temp dir not empty:" << listing);
}

}  // namespace e2e
