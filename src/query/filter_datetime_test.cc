#include "query/filter_datetime.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sextant::query::internal {
namespace {

constexpr int64_t kSecond = 1'000'000;
constexpr int64_t kJan2 = 1767323045 * kSecond;  // 2026-01-02T03:04:05Z

TEST(FilterDatetimeTest, AcceptedForms) {
  struct Case {
    std::string text;
    int64_t micros;
  };
  const std::vector<Case> cases = {
      {"1970-01-01", 0},
      {"1970-01-01T00:00:00Z", 0},
      {"2026-01-02T03:04:05Z", kJan2},
      {"2026-01-02t03:04:05z", kJan2},
      {"2026-01-02 03:04:05", kJan2},  // no offset: UTC
      {"2026-01-02T03:04Z", kJan2 - 5 * kSecond},
      {"2026-01-02T03:04:05.5Z", kJan2 + 500'000},
      {"2026-01-02T03:04:05,123456Z", kJan2 + 123'456},
      {"2026-01-02T03:04:05.123456789Z", kJan2 + 123'456},  // truncated
      {"2026-01-02T05:04:05+02:00", kJan2},
      {"2026-01-02T05:04:05+0200", kJan2},
      {"2026-01-02T05:04:05+02", kJan2},
      {"2026-01-01T22:34:05-04:30", kJan2},
      {"1969-12-31T23:59:59.999999Z", -1},
      {"2024-02-29", 1709164800 * kSecond},
      {"0000-01-01", -62167219200 * kSecond},
      {"9999-12-31T23:59:59.999999Z", 253402300800 * kSecond - 1},
  };
  for (const Case& c : cases) {
    Result<int64_t> us = ParseDatetime(c.text);
    ASSERT_TRUE(us.ok()) << c.text << ": " << us.status().ToString();
    EXPECT_EQ(us.value(), c.micros) << c.text;
  }
}

TEST(FilterDatetimeTest, RejectedForms) {
  struct Case {
    std::string text;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"", "expected a date like 2026-01-02"},
      {"2026-1-02", "expected a date like 2026-01-02"},
      {"26-01-02", "expected a date like 2026-01-02"},
      {"2026-13-01", "month must be 01 to 12"},
      {"2026-00-01", "month must be 01 to 12"},
      {"2026-02-29", "no such day in that month"},
      {"2026-04-31", "no such day in that month"},
      {"2026-01-02X03:04", "expected 'T' and a time after the date"},
      {"2026-01-02T3:04", "expected a time like 03:04:05"},
      {"2026-01-02T24:00", "hour must be 00 to 23"},
      {"2026-01-02T23:60", "minute must be 00 to 59"},
      {"2026-01-02T23:59:60Z", "second must be 00 to 59"},
      {"2026-01-02T23:59:5", "expected two digits of seconds"},
      {"2026-01-02T23:59:59.Z", "expected 1 to 9 digits of fractional seconds"},
      {"2026-01-02T23:59:59.1234567890Z", "expected 1 to 9 digits of fractional seconds"},
      {"2026-01-02T23:59:59+2", "expected a UTC offset like +02:00"},
      {"2026-01-02T23:59:59+02:", "expected a UTC offset like +02:00"},
      {"2026-01-02T23:59:59+24:00", "UTC offset out of range"},
      {"2026-01-02T23:59:59Z ", "unexpected text after the time"},
      {"2026-01-02T23:59:59+02:00:00", "unexpected text after the time"},
      {"0000-01-01T00:00:00+01:00", "datetime must be in the years 0000 to 9999 UTC"},
      {"9999-12-31T23:59:59-01:00", "datetime must be in the years 0000 to 9999 UTC"},
  };
  for (const Case& c : cases) {
    Result<int64_t> us = ParseDatetime(c.text);
    ASSERT_FALSE(us.ok()) << c.text;
    EXPECT_EQ(us.status().message(), c.message) << c.text;
  }
}

TEST(FilterDatetimeTest, FormatRoundTrips) {
  const std::vector<std::pair<int64_t, std::string>> cases = {
      {0, "1970-01-01T00:00:00Z"},
      {kJan2, "2026-01-02T03:04:05Z"},
      {kJan2 + 500'000, "2026-01-02T03:04:05.5Z"},
      {kJan2 + 1, "2026-01-02T03:04:05.000001Z"},
      {-1, "1969-12-31T23:59:59.999999Z"},
      {-86'400 * kSecond, "1969-12-31T00:00:00Z"},
      {-62167219200 * kSecond, "0000-01-01T00:00:00Z"},
  };
  for (const auto& [micros, text] : cases) {
    EXPECT_EQ(FormatDatetime(micros), text);
    Result<int64_t> back = ParseDatetime(text);
    ASSERT_TRUE(back.ok()) << text;
    EXPECT_EQ(back.value(), micros);
  }
}

}  // namespace
}  // namespace sextant::query::internal
