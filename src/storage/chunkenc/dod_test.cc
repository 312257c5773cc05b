#include "storage/chunkenc/dod.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>
#include <vector>

namespace sextant::chunkenc {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

std::string Encode(const std::vector<int64_t>& v) {
  std::string out;
  EncodeIntColumn(v, &out);
  return out;
}

void ExpectRoundTrip(const std::vector<int64_t>& v) {
  std::string enc = Encode(v) + "tail";
  ByteCursor in(enc);
  std::vector<int64_t> got(v.size());
  ASSERT_TRUE(DecodeIntColumn(&in, v.size(), got.data()).ok());
  EXPECT_EQ(got, v);
  EXPECT_EQ(in.remaining(), 4u);  // stopped exactly at the column's end
}

TEST(DodTest, EdgeSequencesRoundTrip) {
  ExpectRoundTrip({0});
  ExpectRoundTrip({kMin});
  ExpectRoundTrip({kMax});
  ExpectRoundTrip({kMin, kMax});
  ExpectRoundTrip({kMax, kMin, kMax, kMin});
  ExpectRoundTrip({kMin, kMin + 1, kMax - 1, kMax});
  ExpectRoundTrip({kMin, 0, kMax});  // deltas of exactly 2^63 - 1 and 2^63
  ExpectRoundTrip({-5, -5, -5});
  ExpectRoundTrip({0, kMin, 0, kMin});  // every delta is -2^63
  ExpectRoundTrip({3, 1, 4, 1, 5, 9, 2, 6});
  ExpectRoundTrip({-9'000'000'000'000'000'000, -1, 9'000'000'000'000'000'000});
}

TEST(DodTest, SteadyStepsCostNoPerPointBits) {
  std::vector<int64_t> steps;
  for (int i = 0; i < 128; ++i) steps.push_back(40'000'000'000 + i * 1'000'000);
  std::string enc = Encode(steps);
  EXPECT_LE(enc.size(), 12u);
  EXPECT_EQ(enc[6], static_cast<char>(IntMode::kConstDelta));
  ExpectRoundTrip(steps);
}

TEST(DodTest, JitteredTimestampsUseFewBits) {
  std::mt19937_64 rng(1);
  std::vector<int64_t> ts = {1'760'000'000'000'000};
  for (int i = 1; i < 128; ++i) ts.push_back(ts.back() + 100'000 + int64_t(rng() % 6001) - 3000);
  // Jitter of +-3 ms needs 13 bits; allow the header and a little slack.
  EXPECT_LE(Encode(ts).size(), 127 * 13 / 8 + 20);
  ExpectRoundTrip(ts);
  // Millisecond-resolution clocks: the GCD removes the trailing zeros.
  for (int64_t& t : ts) t -= t % 1000;
  EXPECT_LE(Encode(ts).size(), 127 * 4 / 8 + 20);
  ExpectRoundTrip(ts);
}

TEST(DodTest, RandomSequencesRoundTrip) {
  std::mt19937_64 rng(7);
  for (int iter = 0; iter < 3000; ++iter) {
    size_t n = 1 + rng() % 130;
    std::vector<int64_t> v(n);
    int kind = iter % 5;
    int64_t x = static_cast<int64_t>(rng());
    for (size_t i = 0; i < n; ++i) {
      switch (kind) {
        case 0: v[i] = static_cast<int64_t>(rng()); break;               // anything
        case 1: x += 1 + rng() % 1000; v[i] = x; break;                  // increasing
        case 2: x += 1'000'000 * (1 + rng() % 3); v[i] = x; break;       // scaled
        case 3: x += (rng() % 50 == 0) ? int64_t(rng() >> 20) : 100; v[i] = x; break;
        default: v[i] = (rng() & 1) ? kMin : kMax; break;
      }
    }
    ExpectRoundTrip(v);
  }
}

TEST(DodTest, StrictlyIncreasingIsEnforced) {
  auto decode = [](const std::vector<int64_t>& v) {
    std::string enc = Encode(v);
    ByteCursor in(enc);
    std::vector<int64_t> out(v.size());
    return DecodeIntColumn(&in, v.size(), out.data(), /*strictly_increasing=*/true).code();
  };
  // Every mode, increasing: accepted, including deltas past INT64_MAX.
  EXPECT_EQ(decode({5}), Code::kOk);
  EXPECT_EQ(decode({kMin, kMax}), Code::kOk);
  EXPECT_EQ(decode({kMin, -1, kMax - 1}), Code::kOk);
  EXPECT_EQ(decode({1, 2, 4, 8, 16, 32, 64}), Code::kOk);
  EXPECT_EQ(decode({1, 2, 3, 5, 6, 7, 9}), Code::kOk);
  EXPECT_EQ(decode({kMin, kMin + 1, kMax - 1, kMax}), Code::kOk);
  // Equal, decreasing, or wrapping past INT64_MAX: refused.
  EXPECT_EQ(decode({3, 3}), Code::kDataLoss);
  EXPECT_EQ(decode({3, 2, 1}), Code::kDataLoss);
  EXPECT_EQ(decode({kMax - 1, kMax, kMin}), Code::kDataLoss);
  EXPECT_EQ(decode({1, 2, 4, 8, 7, 9, 10}), Code::kDataLoss);
  EXPECT_EQ(decode({1, 5, 3, 7, 5, 9, 7}), Code::kDataLoss);
}

TEST(DodTest, GarbageNeverCrashes) {
  std::mt19937_64 rng(3);
  for (int iter = 0; iter < 20000; ++iter) {
    std::string junk(rng() % 40, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    if (iter % 2) junk[1] = static_cast<char>(rng() % 3);  // a valid mode, often
    ByteCursor in(junk);
    size_t n = 1 + rng() % 128;
    std::vector<int64_t> out(n);
    Status s = DecodeIntColumn(&in, n, out.data());
    if (!s.ok()) {
      EXPECT_EQ(s.code(), Code::kDataLoss);
    }
  }
}

TEST(DodTest, TruncationIsDataLoss) {
  std::mt19937_64 rng(5);
  std::vector<int64_t> ts = {0};
  for (int i = 1; i < 100; ++i) ts.push_back(ts.back() + 1000 + int64_t(rng() % 300));
  std::string enc = Encode(ts);
  for (size_t len = 0; len < enc.size(); ++len) {
    ByteCursor in(std::string_view(enc).substr(0, len));
    std::vector<int64_t> out(ts.size());
    EXPECT_EQ(DecodeIntColumn(&in, ts.size(), out.data()).code(), Code::kDataLoss) << len;
  }
}

}  // namespace
}  // namespace sextant::chunkenc
