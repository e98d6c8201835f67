#include "glance/common/text.h"

#include <charconv>

namespace glance {

std::optional<int64_t> ParseInt64(std::string_view text) {
  if (text.empty()) return std::nullopt;
  size_t start = text[0] == '+' ? 1 : 0;
  if (start == text.size()) return std::nullopt;
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data() + start, text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (start == 1 && text[1] == '-') return std::nullopt;
  return value;
}

std::string ToLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string Trim(std::string_view text) {
  const char* space = " \t\r\n";
  size_t first = text.find_first_not_of(space);
  if (first == std::string_view::npos) return "";
  size_t last = text.find_last_not_of(space);
  return std::string(text.substr(first, last - first + 1));
}

std::vector<std::string> SplitAndTrim(std::string_view text, char separator) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(separator, start);
    if (end == std::string_view::npos) end = text.size();
    std::string item = Trim(text.substr(start, end - start));
    if (!item.empty()) out.push_back(std::move(item));
    start = end + 1;
  }
  return out;
}

bool BoolFromString(std::string_view text) {
  std::string v = ToLower(Trim(text));
  return v == "1" || v == "t" || v == "true" || v == "on" || v == "y" || v == "yes";
}

std::optional<bool> ParseStrictBool(std::string_view text) {
  std::string v = ToLower(text);
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  return std::nullopt;
}

namespace {

// Decodes one UTF-8 sequence at text[i]; returns its length (1-4) and the
// code point, or 0 for an invalid sequence (overlong, surrogate, > U+10FFFF).
size_t DecodeUtf8(std::string_view text, size_t i, char32_t* code_point) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char lead = byte(i);
  size_t length;
  char32_t cp;
  if (lead < 0x80) {
    *code_point = lead;
    return 1;
  } else if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, cp = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, cp = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, cp = lead & 0x07;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if ((length == 3 && cp < 0x800) || (length == 4 && cp < 0x10000) || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  *code_point = cp;
  return length;
}

}  // namespace

std::optional<size_t> Utf8Length(std::string_view text) {
  size_t count = 0;
  for (size_t i = 0; i < text.size();) {
    char32_t cp;
    size_t n = DecodeUtf8(text, i, &cp);
    if (n == 0) return std::nullopt;
    i += n;
    ++count;
  }
  return count;
}

Status ValidateMetadataText(std::string_view value, size_t max_chars, std::string_view what) {
  size_t count = 0;
  for (size_t i = 0; i < value.size();) {
    char32_t cp;
    size_t n = DecodeUtf8(value, i, &cp);
    if (n == 0) return Status::InvalidArgument(std::string(what) + " is not valid UTF-8.");
    if (cp < 0x20 || cp == 0x7F) {
      return Status::InvalidArgument(std::string(what) + " contains a control character.");
    }
    if (n == 4) {
      return Status::InvalidArgument(std::string(what) +
                                     " contains a 4-byte UTF-8 character, which is not supported.");
    }
    i += n;
    ++count;
  }
  if (count > max_chars) {
    return Status::InvalidArgument(std::string(what) + " is too long: at most " +
                                   std::to_string(max_chars) + " characters.");
  }
  return Status::Ok();
}

std::string UrlEncode(std::string_view text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::optional<std::string> UrlDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int hi = hex(text[i + 1]), lo = hex(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace glance
