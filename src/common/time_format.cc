#include "glance/common/time_format.h"

#include <sys/time.h>

#include <cstdio>
#include <ctime>

namespace glance {

namespace {

bool Digits(std::string_view text, size_t pos, size_t count, int* value) {
  if (pos + count > text.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    v = v * 10 + (text[i] - '0');
  }
  *value = v;
  return true;
}

int DaysInMonth(int year, int month) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

struct Instant {
  time_t seconds;  // since the epoch, UTC
  long micros;
};

std::optional<Instant> ParseIsoTime(std::string_view text) {
  int year, month, day, hour = 0, minute = 0, second = 0;
  long micros = 0;
  size_t pos = 0;
  if (!Digits(text, 0, 4, &year) || text.size() < 10 || text[4] != '-' ||
      !Digits(text, 5, 2, &month) || text[7] != '-' || !Digits(text, 8, 2, &day)) {
    return std::nullopt;
  }
  pos = 10;
  int offset_seconds = 0;
  if (pos < text.size() && (text[pos] == 'T' || text[pos] == 't' || text[pos] == ' ')) {
    ++pos;
    if (!Digits(text, pos, 2, &hour) || pos + 2 >= text.size() || text[pos + 2] != ':' ||
        !Digits(text, pos + 3, 2, &minute)) {
      return std::nullopt;
    }
    pos += 5;
    if (pos < text.size() && text[pos] == ':') {
      if (!Digits(text, pos + 1, 2, &second)) return std::nullopt;
      pos += 3;
      if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
        ++pos;
        size_t start = pos;
        long scale = 100000;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
          micros += (text[pos] - '0') * scale;
          scale /= 10;
          ++pos;
        }
        if (pos == start) return std::nullopt;
      }
    }
    if (pos < text.size()) {
      char zone = text[pos];
      if ((zone == 'Z' || zone == 'z') && pos + 1 == text.size()) {
        pos = text.size();
      } else if (zone == '+' || zone == '-') {
        int oh, om = 0;
        if (!Digits(text, pos + 1, 2, &oh)) return std::nullopt;
        size_t after = pos + 3;
        if (after < text.size()) {
          if (text[after] == ':') ++after;
          if (!Digits(text, after, 2, &om)) return std::nullopt;
          after += 2;
        }
        if (after != text.size() || oh > 23 || om > 59) return std::nullopt;
        offset_seconds = (oh * 3600 + om * 60) * (zone == '+' ? 1 : -1);
        pos = text.size();
      }
    }
  }
  if (pos != text.size()) return std::nullopt;
  if (year < 1900 || month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) ||
      hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  time_t t = timegm(&tm);
  // timegm normalises 31 February into March: refuse dates that moved.
  if (tm.tm_mday != day && second != 60) return std::nullopt;
  t -= offset_seconds;
  return Instant{t, micros};
}

}  // namespace

std::optional<int64_t> ParseIsoTimeToEpochSeconds(std::string_view text) {
  std::optional<Instant> instant = ParseIsoTime(text);
  if (!instant) return std::nullopt;
  return static_cast<int64_t>(instant->seconds);
}

std::optional<std::string> ParseIsoTimeToUtc(std::string_view text) {
  std::optional<Instant> instant = ParseIsoTime(text);
  if (!instant) return std::nullopt;
  time_t t = instant->seconds;
  long micros = instant->micros;
  std::tm utc{};
  gmtime_r(&t, &utc);
  // The offset or a leap second can carry the instant out of the years
  // accepted above; the result must be a timestamp this function accepts,
  // since it is parsed again wherever it travels (registry, headers).
  if (utc.tm_year + 1900 < 1900 || utc.tm_year + 1900 > 9999) return std::nullopt;
  char buffer[96];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d %02d:%02d:%02d.%06ld", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, micros);
  return std::string(buffer);
}

std::string NowIsoTime() {
  timeval now{};
  gettimeofday(&now, nullptr);
  std::tm utc{};
  gmtime_r(&now.tv_sec, &utc);
  char buffer[96];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%06ld", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<long>(now.tv_usec));
  return buffer;
}

}  // namespace glance
