// Status: the outcome of an operation that crosses a module boundary.
//
// Each code maps to exactly one HTTP status, so a handler can turn any
// failure into a response without knowing where it came from.  Third-party
// exceptions (SOCI, nlohmann::json) are caught at the edge and converted.
// A Status is a small value type; copying it is cheap and thread-safe.
#ifndef GLANCE_COMMON_STATUS_H_
#define GLANCE_COMMON_STATUS_H_

#include <string>
#include <utility>

namespace glance {

class Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,   // 400
    kUnauthorized,      // 401
    kForbidden,         // 403
    kNotFound,          // 404
    kMethodNotAllowed,  // 405
    kConflict,          // 409
    kGone,              // 410
    kPreconditionFailed,// 412
    kTooLarge,          // 413
    kUnsupportedMediaType,  // 415
    kRangeNotSatisfiable,   // 416
    kInternal,          // 500
    kUnavailable,       // 503
  };

  Status() = default;

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status Unauthorized(std::string m) { return {Code::kUnauthorized, std::move(m)}; }
  static Status Forbidden(std::string m) { return {Code::kForbidden, std::move(m)}; }
  static Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status MethodNotAllowed(std::string m) { return {Code::kMethodNotAllowed, std::move(m)}; }
  static Status Conflict(std::string m) { return {Code::kConflict, std::move(m)}; }
  static Status Gone(std::string m) { return {Code::kGone, std::move(m)}; }
  static Status PreconditionFailed(std::string m) { return {Code::kPreconditionFailed, std::move(m)}; }
  static Status TooLarge(std::string m) { return {Code::kTooLarge, std::move(m)}; }
  static Status UnsupportedMediaType(std::string m) {
    return {Code::kUnsupportedMediaType, std::move(m)};
  }
  static Status RangeNotSatisfiable(std::string m) {
    return {Code::kRangeNotSatisfiable, std::move(m)};
  }
  static Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }
  static Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // The HTTP status this code stands for (200 for kOk).
  int HttpStatus() const;
  // "Not Found", "Bad Request", ...: the reason phrase of HttpStatus().
  const char* Title() const;
  std::string ToString() const;

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  Code code_ = Code::kOk;
  std::string message_;
};

// The reason phrase of any HTTP status code.
const char* HttpReasonPhrase(int status);

}  // namespace glance

#endif  // GLANCE_COMMON_STATUS_H_
