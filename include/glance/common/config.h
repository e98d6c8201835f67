// Config: an oslo.config-style INI file ([DEFAULT], [database], ...).
//
// Options keep Glance's names and sections.  Lookups take a section and a
// key; a missing option yields the caller's default.  A value of the wrong
// type throws ConfigError, which the programs report at start-up and exit.
// A loaded Config is immutable and safe to read from many threads.
#ifndef GLANCE_COMMON_CONFIG_H_
#define GLANCE_COMMON_CONFIG_H_

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace glance {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Config {
 public:
  Config() = default;

  // Parses an INI file; throws ConfigError naming the file and line on a
  // syntax error or an unreadable file.
  static Config LoadFile(const std::string& path);
  // Parses INI text (used by tests and for in-memory defaults).
  static Config LoadString(const std::string& text, const std::string& origin = "<string>");

  bool Has(const std::string& section, const std::string& key) const;
  std::string GetString(const std::string& section, const std::string& key,
                        const std::string& fallback = "") const;
  int64_t GetInt(const std::string& section, const std::string& key, int64_t fallback) const;
  bool GetBool(const std::string& section, const std::string& key, bool fallback) const;
  // Comma separated values, each trimmed; empty items dropped.
  std::vector<std::string> GetList(const std::string& section, const std::string& key,
                                   const std::vector<std::string>& fallback) const;

  void Set(const std::string& section, const std::string& key, const std::string& value);
  // Copies every option of `other` over this one's.
  void MergeFrom(const Config& other);

  // One line per option that differs in `newer` ("[DEFAULT] workers: 2 ->
  // 4", "... added", "... removed"), for a reload to say what changed.
  // Values of secret options (database URLs, passwords, keys) are never
  // shown, only that they changed.
  std::vector<std::string> DescribeChanges(const Config& newer) const;

 private:
  // section -> key -> value; keys lower-cased as oslo.config does.
  std::map<std::string, std::map<std::string, std::string>> values_;
  std::string origin_;
};

}  // namespace glance

#endif  // GLANCE_COMMON_CONFIG_H_
