#include "glance/common/status.h"

namespace glance {

int Status::HttpStatus() const {
  switch (code_) {
    case Code::kOk: return 200;
    case Code::kInvalidArgument: return 400;
    case Code::kUnauthorized: return 401;
    case Code::kForbidden: return 403;
    case Code::kNotFound: return 404;
    case Code::kMethodNotAllowed: return 405;
    case Code::kConflict: return 409;
    case Code::kGone: return 410;
    case Code::kPreconditionFailed: return 412;
    case Code::kTooLarge: return 413;
    case Code::kUnsupportedMediaType: return 415;
    case Code::kRangeNotSatisfiable: return 416;
    case Code::kInternal: return 500;
    case Code::kUnavailable: return 503;
  }
  return 500;
}

const char* Status::Title() const { return HttpReasonPhrase(HttpStatus()); }

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::to_string(HttpStatus()) + " " + Title() + ": " + message_;
}

const char* HttpReasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 300: return "Multiple Choices";
    case 302: return "Found";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Request Entity Too Large";
    case 414: return "Request-URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Requested Range Not Satisfiable";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
  }
}

}  // namespace glance
