#include "query/filter_datetime.h"

#include <chrono>
#include <cstdio>

namespace sextant::query::internal {
namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

// Reads fixed-width fields left to right; every method either consumes what
// it was asked for or leaves the position unchanged and returns false.
class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}

  bool AtEnd() const { return pos_ == s_.size(); }
  char Peek() const { return AtEnd() ? '\0' : s_[pos_]; }

  bool Consume(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }

  // Exactly `n` decimal digits.
  bool Digits(int n, int* out) {
    if (s_.size() - pos_ < static_cast<size_t>(n)) return false;
    int v = 0;
    for (int k = 0; k < n; ++k) {
      char c = s_[pos_ + k];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    pos_ += n;
    *out = v;
    return true;
  }

  // One to nine digits of a decimal fraction, as microseconds (truncated).
  bool Fraction(int64_t* micros) {
    size_t start = pos_;
    int64_t v = 0;
    int n = 0;
    while (!AtEnd() && Peek() >= '0' && Peek() <= '9') {
      if (n < 6) v = v * 10 + (Peek() - '0');
      ++n;
      ++pos_;
    }
    if (n == 0 || n > 9) {
      pos_ = start;
      return false;
    }
    for (int k = n; k < 6; ++k) v *= 10;
    *micros = v;
    return true;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

int64_t DayMicros(std::chrono::year_month_day ymd) {
  return std::chrono::sys_days(ymd).time_since_epoch().count() * kMicrosPerDay;
}

Status Bad(std::string_view why) { return Status::InvalidArgument(std::string(why)); }

}  // namespace

Result<int64_t> ParseDatetime(std::string_view text) {
  Cursor c(text);
  int year = 0, month = 0, day = 0;
  if (!c.Digits(4, &year) || !c.Consume('-') || !c.Digits(2, &month) || !c.Consume('-') ||
      !c.Digits(2, &day)) {
    return Bad("expected a date like 2026-01-02");
  }
  if (month < 1 || month > 12) return Bad("month must be 01 to 12");
  std::chrono::year_month_day ymd{std::chrono::year(year), std::chrono::month(month),
                                  std::chrono::day(day)};
  if (!ymd.ok()) return Bad("no such day in that month");
  int64_t micros = DayMicros(ymd);
  if (c.AtEnd()) return micros;

  if (!c.Consume('T') && !c.Consume('t') && !c.Consume(' ')) {
    return Bad("expected 'T' and a time after the date");
  }
  int hour = 0, minute = 0, second = 0;
  if (!c.Digits(2, &hour) || !c.Consume(':') || !c.Digits(2, &minute)) {
    return Bad("expected a time like 03:04:05");
  }
  if (hour > 23) return Bad("hour must be 00 to 23");
  if (minute > 59) return Bad("minute must be 00 to 59");
  if (c.Consume(':')) {
    if (!c.Digits(2, &second)) return Bad("expected two digits of seconds");
    // Leap seconds are rejected rather than folded: nothing we store has one.
    if (second > 59) return Bad("second must be 00 to 59");
    if (c.Consume('.') || c.Consume(',')) {
      int64_t fraction = 0;
      if (!c.Fraction(&fraction)) return Bad("expected 1 to 9 digits of fractional seconds");
      micros += fraction;
    }
  }
  micros += ((hour * 60 + minute) * 60 + second) * kMicrosPerSecond;

  if (c.Consume('Z') || c.Consume('z')) {
    // UTC.
  } else if (c.Peek() == '+' || c.Peek() == '-') {
    int sign = c.Peek() == '+' ? 1 : -1;
    c.Consume(c.Peek());
    int off_hour = 0, off_minute = 0;
    if (!c.Digits(2, &off_hour)) return Bad("expected a UTC offset like +02:00");
    if (c.Consume(':')) {
      if (!c.Digits(2, &off_minute)) return Bad("expected a UTC offset like +02:00");
    } else {
      c.Digits(2, &off_minute);  // "+0200"; "+02" alone is also ISO 8601
    }
    if (off_hour > 23 || off_minute > 59) return Bad("UTC offset out of range");
    // Local time = UTC + offset, so UTC = local - offset.
    micros -= sign * (off_hour * 60 + off_minute) * 60 * kMicrosPerSecond;
  }
  if (!c.AtEnd()) return Bad("unexpected text after the time");
  // An offset can push an instant out of the years that FormatDatetime (and
  // so ToString) can write back.
  static const int64_t kMin = DayMicros(std::chrono::year(0) / 1 / 1);
  static const int64_t kMax = DayMicros(std::chrono::year(10000) / 1 / 1) - 1;
  if (micros < kMin || micros > kMax) return Bad("datetime must be in the years 0000 to 9999 UTC");
  return micros;
}

std::string FormatDatetime(int64_t micros) {
  // Floor division, so that instants before 1970 land on the right day.
  int64_t days = micros / kMicrosPerDay;
  int64_t rest = micros % kMicrosPerDay;
  if (rest < 0) {
    rest += kMicrosPerDay;
    --days;
  }
  std::chrono::year_month_day ymd{std::chrono::sys_days(std::chrono::days(days))};
  int64_t seconds = rest / kMicrosPerSecond;
  int64_t fraction = rest % kMicrosPerSecond;
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", int(ymd.year()),
                        unsigned(ymd.month()), unsigned(ymd.day()), int(seconds / 3600),
                        int(seconds / 60 % 60), int(seconds % 60));
  std::string out(buf, n);
  if (fraction != 0) {
    std::snprintf(buf, sizeof buf, ".%06d", int(fraction));
    std::string f(buf);
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  out += 'Z';
  return out;
}

}  // namespace sextant::query::internal
