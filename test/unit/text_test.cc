#include "glance/common/text.h"

#include <boost/test/unit_test.hpp>

#include "glance/common/time_format.h"
#include "glance/common/uuid.h"

using namespace glance;

BOOST_AUTO_TEST_SUITE(text)

BOOST_AUTO_TEST_CASE(parse_int64_accepts_only_plain_integers) {
  BOOST_TEST(ParseInt64("0").value() == 0);
  BOOST_TEST(ParseInt64("-5").value() == -5);
  BOOST_TEST(ParseInt64("+7").value() == 7);
  BOOST_TEST(ParseInt64("9223372036854775807").value() == INT64_MAX);
  BOOST_TEST(!ParseInt64("9223372036854775808"));
  BOOST_TEST(!ParseInt64(""));
  BOOST_TEST(!ParseInt64("12a"));
  BOOST_TEST(!ParseInt64(" 1"));
  BOOST_TEST(!ParseInt64("1.5"));
  BOOST_TEST(!ParseInt64("+-1"));
  BOOST_TEST(!ParseInt64("+"));
}

BOOST_AUTO_TEST_CASE(bool_from_string_follows_glance) {
  for (const char* yes : {"1", "t", "True", "TRUE", "on", "y", "yes"}) BOOST_TEST(BoolFromString(yes));
  for (const char* no : {"0", "f", "false", "off", "no", "", "maybe"}) BOOST_TEST(!BoolFromString(no));
  BOOST_TEST(ParseStrictBool("TRUE").value());
  BOOST_TEST(!ParseStrictBool("0").value());
  BOOST_TEST(!ParseStrictBool("yes"));
}

BOOST_AUTO_TEST_CASE(metadata_text_rules) {
  BOOST_TEST(ValidateMetadataText("ubuntu 24.04 'x'; --", 255, "name").ok());
  BOOST_TEST(ValidateMetadataText("caf\xc3\xa9 \xe2\x82\xac", 255, "name").ok());
  BOOST_TEST(!ValidateMetadataText(std::string("a\0b", 3), 255, "name").ok());
  BOOST_TEST(!ValidateMetadataText("tab\there", 255, "name").ok());
  BOOST_TEST(!ValidateMetadataText("del\x7f", 255, "name").ok());
  BOOST_TEST(!ValidateMetadataText("\xff\xfe", 255, "name").ok());
  BOOST_TEST(!ValidateMetadataText("\xc0\xaf", 255, "name").ok());          // overlong '/'
  BOOST_TEST(!ValidateMetadataText("\xed\xa0\x80", 255, "name").ok());      // surrogate
  BOOST_TEST(!ValidateMetadataText("\xf0\x9f\x98\x80", 255, "name").ok());  // 4-byte emoji
  BOOST_TEST(ValidateMetadataText(std::string(255, 'a'), 255, "name").ok());
  BOOST_TEST(!ValidateMetadataText(std::string(256, 'a'), 255, "name").ok());
  // Characters, not bytes, count against the limit.
  std::string accented;
  for (int i = 0; i < 255; ++i) accented += "\xc3\xa9";
  BOOST_TEST(ValidateMetadataText(accented, 255, "name").ok());
}

BOOST_AUTO_TEST_CASE(url_encode_round_trips) {
  BOOST_TEST(UrlEncode("a b/c%d~") == "a%20b%2Fc%25d~");
  std::string raw = "caf\xc3\xa9 &=?#";
  BOOST_TEST(UrlDecode(UrlEncode(raw), true).value() == raw);
}

BOOST_AUTO_TEST_CASE(url_decode) {
  BOOST_TEST(UrlDecode("a%20b+c", true).value() == "a b c");
  BOOST_TEST(UrlDecode("a+b", false).value() == "a+b");
  BOOST_TEST(UrlDecode("%41%7e", true).value() == "A~");
  BOOST_TEST(!UrlDecode("%4", true));
  BOOST_TEST(!UrlDecode("%", true));
  BOOST_TEST(!UrlDecode("%zz", true));
  BOOST_TEST(UrlDecode("%00", true).value() == std::string(1, '\0'));
}

BOOST_AUTO_TEST_CASE(uuid_like) {
  BOOST_TEST(IsUuidLike(NewUuid()));
  BOOST_TEST(IsUuidLike("0DDF0A3E-6B3B-4B6F-9C8E-1234567890AB"));
  BOOST_TEST(!IsUuidLike("0ddf0a3e6b3b4b6f9c8e1234567890ab"));
  BOOST_TEST(!IsUuidLike("../../etc/passwd"));
  BOOST_TEST(!IsUuidLike("0ddf0a3e-6b3b-4b6f-9c8e-1234567890ag"));
  BOOST_TEST(!IsUuidLike(""));
  BOOST_TEST(NewUuid() != NewUuid());
}

BOOST_AUTO_TEST_CASE(iso_time_parsing) {
  BOOST_TEST(ParseIsoTimeToUtc("2026-11-25T22:18:59.004127").value() == "2026-11-25 22:18:59.004127");
  BOOST_TEST(ParseIsoTimeToUtc("2026-11-25T22:18:59Z").value() == "2026-11-25 22:18:59.000000");
  BOOST_TEST(ParseIsoTimeToUtc("2026-11-25").value() == "2026-11-25 00:00:00.000000");
  BOOST_TEST(ParseIsoTimeToUtc("2026-11-25 22:18").value() == "2026-11-25 22:18:00.000000");
  BOOST_TEST(ParseIsoTimeToUtc("2026-11-25T23:30:00+02:00").value() == "2026-11-25 21:30:00.000000");
  BOOST_TEST(ParseIsoTimeToUtc("2026-11-25T01:00:00-0130").value() == "2026-11-25 02:30:00.000000");
  BOOST_TEST(ParseIsoTimeToUtc("2026-01-01T00:00:00+01").value() == "2025-12-31 23:00:00.000000");
  BOOST_TEST(!ParseIsoTimeToUtc("1899-12-31"));
  BOOST_TEST(!ParseIsoTimeToUtc("2026-02-31"));
  BOOST_TEST(!ParseIsoTimeToUtc("2026-13-01"));
  BOOST_TEST(!ParseIsoTimeToUtc("2023-02-31T10:00:60"));  // a leap second hid the bad date
  BOOST_TEST(ParseIsoTimeToUtc("2024-02-29").value() == "2024-02-29 00:00:00.000000");
  BOOST_TEST(ParseIsoTimeToUtc("2016-12-31T23:59:60Z").value() == "2017-01-01 00:00:00.000000");
  BOOST_TEST(!ParseIsoTimeToUtc("yesterday"));
  BOOST_TEST(!ParseIsoTimeToUtc("2026-11-25T25:00"));
  BOOST_TEST(!ParseIsoTimeToUtc("2026-11-25T10:00:00junk"));
  BOOST_TEST(!ParseIsoTimeToUtc(""));
  // What it returns it must accept again: an offset may not carry the
  // instant out of the years it accepts (found by the image_headers fuzz
  // target's round trip).
  BOOST_TEST(!ParseIsoTimeToUtc("1900-01-01T00:00:00+01:00"));
  BOOST_TEST(!ParseIsoTimeToUtc("9999-12-31T23:00:00-05:00"));
  BOOST_TEST(ParseIsoTimeToUtc("1900-01-01T00:00:00-01:00").value() == "1900-01-01 01:00:00.000000");
  std::string now = NowIsoTime();
  BOOST_TEST(now.size() == 26u);
  BOOST_TEST(now[10] == 'T');
}

BOOST_AUTO_TEST_SUITE_END()
