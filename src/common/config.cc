#include "glance/common/config.h"

#include <fstream>
#include <sstream>

#include "glance/common/text.h"

namespace glance {

// oslo.config reads "key = value" and "key: value" lines; lines starting with
// '#' or ';' are comments, and a value runs to the end of its line (so a '#'
// inside a password or URL is kept).
Config Config::LoadString(const std::string& text, const std::string& origin) {
  Config config;
  config.origin_ = origin;
  std::istringstream in(text);
  std::string line;
  std::string section = "DEFAULT";
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::string trimmed = Trim(line);
    if (trimmed.empty() || trimmed[0] == '#' || trimmed[0] == ';') continue;
    if (trimmed.front() == '[') {
      if (trimmed.back() != ']' || trimmed.size() < 3) {
        throw ConfigError(origin + ":" + std::to_string(number) + ": malformed section header");
      }
      section = Trim(trimmed.substr(1, trimmed.size() - 2));
      continue;
    }
    size_t eq = trimmed.find_first_of("=:");
    if (eq == std::string::npos || eq == 0) {
      throw ConfigError(origin + ":" + std::to_string(number) + ": expected 'key = value'");
    }
    std::string key = ToLower(Trim(trimmed.substr(0, eq)));
    config.values_[section][key] = Trim(trimmed.substr(eq + 1));
  }
  return config;
}

Config Config::LoadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError("cannot read config file " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return LoadString(buffer.str(), path);
}

bool Config::Has(const std::string& section, const std::string& key) const {
  auto s = values_.find(section);
  return s != values_.end() && s->second.count(key) > 0;
}

std::string Config::GetString(const std::string& section, const std::string& key,
                              const std::string& fallback) const {
  auto s = values_.find(section);
  if (s == values_.end()) return fallback;
  auto v = s->second.find(key);
  return v == s->second.end() ? fallback : v->second;
}

int64_t Config::GetInt(const std::string& section, const std::string& key,
                       int64_t fallback) const {
  if (!Has(section, key)) return fallback;
  std::string text = GetString(section, key);
  auto value = ParseInt64(text);
  if (!value) {
    throw ConfigError(origin_ + ": [" + section + "] " + key + " = '" + text +
                      "' is not an integer");
  }
  return *value;
}

bool Config::GetBool(const std::string& section, const std::string& key, bool fallback) const {
  if (!Has(section, key)) return fallback;
  std::string text = ToLower(GetString(section, key));
  if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "0" || text == "no" || text == "off") return false;
  throw ConfigError(origin_ + ": [" + section + "] " + key + " = '" + text +
                    "' is not a boolean");
}

std::vector<std::string> Config::GetList(const std::string& section, const std::string& key,
                                         const std::vector<std::string>& fallback) const {
  if (!Has(section, key)) return fallback;
  return SplitAndTrim(GetString(section, key), ',');
}

void Config::Set(const std::string& section, const std::string& key, const std::string& value) {
  values_[section][ToLower(key)] = value;
}

void Config::MergeFrom(const Config& other) {
  for (const auto& [section, options] : other.values_) {
    for (const auto& [key, value] : options) values_[section][key] = value;
  }
  if (origin_.empty()) origin_ = other.origin_;
  else origin_ += ", " + other.origin_;
}

namespace {

// Option names whose values may hold credentials (oslo.config marks these
// `secret`): a reload log must not copy them into log files.
bool IsSecret(const std::string& key) {
  for (const char* word : {"connection", "password", "secret", "_key", "token"}) {
    if (key.find(word) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> Config::DescribeChanges(const Config& newer) const {
  std::vector<std::string> lines;
  auto show = [](const std::string& key, const std::string& value) {
    return IsSecret(key) ? std::string("<secret>") : "'" + value + "'";
  };
  std::map<std::string, std::map<std::string, std::string>> all = values_;
  for (const auto& [section, options] : newer.values_) {
    for (const auto& [key, value] : options) all[section].emplace(key, value);
  }
  for (const auto& [section, options] : all) {
    for (const auto& [key, ignored] : options) {
      bool before = Has(section, key), after = newer.Has(section, key);
      std::string name = "[" + section + "] " + key;
      std::string old_value = GetString(section, key), new_value = newer.GetString(section, key);
      if (before && !after) {
        lines.push_back(name + " removed (was " + show(key, old_value) + ")");
      } else if (!before && after) {
        lines.push_back(name + " added: " + show(key, new_value));
      } else if (old_value != new_value) {
        lines.push_back(IsSecret(key) ? name + " changed"
                                      : name + ": " + show(key, old_value) + " -> " +
                                            show(key, new_value));
      }
    }
  }
  return lines;
}

}  // namespace glance
