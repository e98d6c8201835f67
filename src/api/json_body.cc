#include "json_body.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "glance/image/image_json.h"

namespace glance::api {

Status ReadBodyFile(const HttpRequest& request, std::string* body) {
  body->clear();
  if (request.body_file.empty()) return Status::Ok();
  int fd = open(request.body_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Ok();  // no body was written
  struct stat st {};
  fstat(fd, &st);
  if (st.st_size > static_cast<off_t>(kMaxJsonBodyBytes)) {
    close(fd);
    return Status::TooLarge("Request body too large.");
  }
  body->resize(static_cast<size_t>(st.st_size));
  ssize_t n = st.st_size > 0 ? read(fd, body->data(), body->size()) : 0;
  close(fd);
  if (n != st.st_size) return Status::InvalidArgument("Could not read the request body.");
  return Status::Ok();
}

Status ReadJsonBody(const HttpRequest& request, nlohmann::json* body) {
  std::string text;
  Status s = ReadBodyFile(request, &text);
  if (!s.ok()) return s;
  if (text.empty()) return Status::InvalidArgument("Body expected in request.");
  return ParseJsonBody(text, body);
}

Status PreflightJsonBody(const HttpRequest& request) {
  if (request.content_length &&
      *request.content_length > static_cast<long long>(kMaxJsonBodyBytes)) {
    return Status::TooLarge("Request body too large.");
  }
  return Status::Ok();
}

}  // namespace glance::api
