// Router: maps (method, path) to a handler, and tells apart "no such path"
// (404) from "path exists, method not served" (405 with Allow), which
// Glance's routers do and a plain regex table does not.
//
// Patterns are literal segments and "{name}" placeholders that match one
// non-empty segment.  Routes are added at start-up; Match() is const and
// safe to call from many threads.
#ifndef GLANCE_COMMON_ROUTER_H_
#define GLANCE_COMMON_ROUTER_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace glance {

using PathParams = std::vector<std::string>;  // placeholder values, in order

template <typename Handler>
class Router {
 public:
  struct Match {
    enum class Kind { kFound, kNoPath, kNoMethod } kind = Kind::kNoPath;
    const Handler* handler = nullptr;
    PathParams params;
    std::string allow;  // for kNoMethod: "GET, PUT"
  };

  void Add(std::string method, std::string_view pattern, Handler handler) {
    std::vector<std::string> segments = Split(pattern);
    for (auto& route : routes_) {
      if (route.segments == segments) {
        route.methods.emplace_back(std::move(method), std::move(handler));
        return;
      }
    }
    routes_.push_back(Route{std::move(segments), {}, {}});
    routes_.back().methods.emplace_back(std::move(method), std::move(handler));
  }

  // An Allow header value to answer on this path instead of the listed
  // methods (Glance answers some paths with a narrower Allow than it serves).
  void SetAllow(std::string_view pattern, std::string allow) {
    std::vector<std::string> segments = Split(pattern);
    for (auto& route : routes_) {
      if (route.segments == segments) route.allow_override = std::move(allow);
    }
  }

  Match Find(std::string_view method, std::string_view path) const {
    Match result;
    std::vector<std::string> segments = Split(path);
    for (const auto& route : routes_) {
      PathParams params;
      if (!SegmentsMatch(route.segments, segments, &params)) continue;
      for (const auto& [m, handler] : route.methods) {
        if (m == method) {
          result.kind = Match::Kind::kFound;
          result.handler = &handler;
          result.params = std::move(params);
          return result;
        }
      }
      result.kind = Match::Kind::kNoMethod;
      if (!route.allow_override.empty()) {
        result.allow = route.allow_override;
      } else {
        for (const auto& [m, handler] : route.methods) {
          if (!result.allow.empty()) result.allow += ", ";
          result.allow += m;
        }
      }
      return result;
    }
    return result;
  }

 private:
  struct Route {
    std::vector<std::string> segments;
    std::vector<std::pair<std::string, Handler>> methods;
    std::string allow_override;
  };

  static std::vector<std::string> Split(std::string_view path) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= path.size()) {
      size_t slash = path.find('/', start);
      if (slash == std::string_view::npos) slash = path.size();
      if (slash > start) out.emplace_back(path.substr(start, slash - start));
      start = slash + 1;
    }
    return out;
  }

  static bool SegmentsMatch(const std::vector<std::string>& pattern,
                            const std::vector<std::string>& path, PathParams* params) {
    if (pattern.size() != path.size()) return false;
    for (size_t i = 0; i < pattern.size(); ++i) {
      const std::string& p = pattern[i];
      if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
        params->push_back(path[i]);
      } else if (p != path[i]) {
        return false;
      }
    }
    return true;
  }

  std::vector<Route> routes_;
};

}  // namespace glance

#endif  // GLANCE_COMMON_ROUTER_H_
