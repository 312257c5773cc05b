#include "storage/chunkenc/bitstream.h"

#include <gtest/gtest.h>

#include <random>
#include <utility>
#include <vector>

namespace sextant::chunkenc {
namespace {

uint64_t Mask(int n) { return n == 0 ? 0 : ~uint64_t{0} >> (64 - n); }

TEST(BitStreamTest, RandomWidthsRoundTrip) {
  std::mt19937_64 rng(42);
  for (int iter = 0; iter < 200; ++iter) {
    std::vector<std::pair<uint64_t, int>> fields;
    std::string out = "xy";  // the writer appends after existing bytes
    BitWriter w(&out);
    uint64_t total = 0;
    int n_fields = static_cast<int>(rng() % 300);
    for (int i = 0; i < n_fields; ++i) {
      int n = static_cast<int>(rng() % 65);
      uint64_t v = rng() & Mask(n);
      fields.emplace_back(v, n);
      w.Write(v | (n < 64 ? rng() << n : 0), n);  // high garbage must be ignored
      total += n;
    }
    EXPECT_EQ(w.bits_written(), total);
    w.Finish();
    ASSERT_EQ(out.size(), 2 + (total + 7) / 8);
    BitReader r(std::string_view(out).substr(2));
    for (auto [v, n] : fields) ASSERT_EQ(r.Read(n), v) << n;
    EXPECT_FALSE(r.overrun());
    EXPECT_EQ(r.bit_position(), total);
  }
}

TEST(BitStreamTest, PeekExposesAtLeast57Bits) {
  std::string out;
  BitWriter w(&out);
  for (int i = 0; i < 16; ++i) w.Write(0xA5, 8);
  w.Finish();
  BitReader r(out);
  for (int skip = 0; skip < 8; ++skip) {
    BitReader q = r;
    q.Skip(skip);
    uint64_t expect = 0;
    for (int b = 0; b < 57; ++b) {
      int bit = skip + b;
      expect = expect << 1 | ((0xA5 >> (7 - bit % 8)) & 1);
    }
    EXPECT_EQ(q.Peek() >> 7, expect) << skip;
  }
}

TEST(BitStreamTest, ReadingPastTheEndIsZeroAndFlagged) {
  std::string out = "\xff\xff\xff";
  BitReader r(out);
  EXPECT_EQ(r.Read(20), 0xFFFFFu);
  EXPECT_FALSE(r.overrun());
  EXPECT_EQ(r.Read(4), 0xFu);
  EXPECT_FALSE(r.overrun());
  EXPECT_EQ(r.Read(64), 0u);
  EXPECT_TRUE(r.overrun());
  BitReader empty{std::string_view()};
  EXPECT_EQ(empty.Read(1), 0u);
  EXPECT_TRUE(empty.overrun());
}

TEST(BitStreamTest, FinishPadsAndRestarts) {
  std::string out;
  BitWriter w(&out);
  w.Write(0b101, 3);
  w.Finish();
  w.Write(0b1, 1);
  w.Finish();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(static_cast<uint8_t>(out[0]), 0b10100000);
  EXPECT_EQ(static_cast<uint8_t>(out[1]), 0b10000000);
}

}  // namespace
}  // namespace sextant::chunkenc
