// Float32 bit-packing (for32.h) and the per-block value codec of kFloat
// chunks: bit-exact round trips against a brute-force reference, the
// encoder's choice, old kFloatXor chunks still read, corrupt columns refused.
#include "storage/chunkenc/for32.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>

#include "storage/chunkenc/chunk.h"
#include "storage/chunkenc/coding.h"
#include "storage/chunkenc/crc32c.h"
#include "storage/chunkenc/dod.h"
#include "storage/chunkenc/summary.h"
#include "storage/chunkenc/test_codecs.h"
#include "storage/chunkenc/xor.h"

namespace sextant::chunkenc {
namespace {

double F32(uint32_t bits) { return static_cast<double>(std::bit_cast<float>(bits)); }
uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }

// The reference: each value's float32 pattern, written out in full.
std::vector<uint32_t> Patterns(const std::vector<double>& v) {
  std::vector<uint32_t> out;
  for (double x : v) out.push_back(std::bit_cast<uint32_t>(static_cast<float>(x)));
  return out;
}

void ExpectRoundTrip(const std::vector<double>& v) {
  ASSERT_TRUE(AllFloat32(v));
  std::string enc;
  EncodeFor32Column(v, &enc);
  EXPECT_EQ(enc.size(), For32ColumnSize(v));
  std::vector<double> got(v.size());
  ASSERT_TRUE(DecodeFor32Column(enc, v.size(), got.data()).ok());
  for (size_t i = 0; i < v.size(); ++i) EXPECT_EQ(Bits(got[i]), Bits(v[i])) << i;
  EXPECT_EQ(Patterns(got), Patterns(v));
}

TEST(For32Test, SpecialValuesRoundTripBitExactly) {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<double> v = {
      0.0, -0.0, F32(1), F32(0x007fffff) /* largest subnormal */, F32(0x80000001) /* -smallest */,
      inf, -inf, std::numeric_limits<float>::max(), std::numeric_limits<float>::lowest(),
      F32(0x7fc00001) /* quiet NaN with a payload */, F32(0xffc12345), 1.5, -2.25, 0.1f};
  ExpectRoundTrip(v);
  ExpectRoundTrip({0.5f});                    // one value
  ExpectRoundTrip(std::vector<double>(128, -0.0));  // width 0
  ExpectRoundTrip({F32(0), F32(0xffffffff) /* a NaN */});  // width 32
}

TEST(For32Test, RandomPatternsAndWidths) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 500; ++round) {
    const int width = static_cast<int>(rng() % 33);
    const uint32_t base = static_cast<uint32_t>(rng());
    const size_t n = 1 + rng() % 128;
    std::vector<double> v;
    for (size_t i = 0; i < n; ++i) {
      uint32_t delta = width == 0 ? 0 : static_cast<uint32_t>(rng() >> (64 - width));
      uint32_t bits = base + delta;
      double x = F32(bits);
      if (!AllFloat32(std::vector<double>{x})) continue;  // a signalling NaN: not float32-exact as a double
      v.push_back(x);
    }
    if (!v.empty()) ExpectRoundTrip(v);
  }
}

TEST(For32Test, OnlyWidenedFloat32Qualifies) {
  EXPECT_TRUE(AllFloat32(std::vector<double>{0.1f, -3.0, 1e30f}));
  EXPECT_FALSE(AllFloat32(std::vector<double>{0.1}));
  EXPECT_FALSE(AllFloat32(std::vector<double>{1e300}));
  EXPECT_FALSE(AllFloat32(std::vector<double>{0.5f, 1e-320}));  // a double subnormal
  // A NaN payload in the low 29 bits cannot survive float32.
  EXPECT_FALSE(AllFloat32(std::vector<double>{std::bit_cast<double>(uint64_t{0x7ff8000000000001})}));
}

TEST(For32Test, CorruptColumnsAreDataLoss) {
  std::string enc;
  EncodeFor32Column(std::vector<double>{1.0f, 2.0f, 3.5f}, &enc);
  std::vector<double> out(3);
  for (size_t len = 0; len < enc.size(); ++len)
    EXPECT_EQ(DecodeFor32Column(enc.substr(0, len), 3, out.data()).code(), Code::kDataLoss) << len;
  EXPECT_EQ(DecodeFor32Column(enc + '\0', 3, out.data()).code(), Code::kDataLoss);
  std::string header;
  PutVarint(&header, std::bit_cast<uint32_t>(1.0f));  // the base: the smallest pattern
  std::string wide = enc;
  wide[header.size()] = 33;
  EXPECT_EQ(DecodeFor32Column(wide, 3, out.data()).code(), Code::kDataLoss);
  std::string big;
  PutVarint(&big, uint64_t{1} << 32);
  big.push_back(0);
  EXPECT_EQ(DecodeFor32Column(big, 3, out.data()).code(), Code::kDataLoss);
  EXPECT_EQ(DecodeFor32Column(enc, 0, out.data()).code(), Code::kDataLoss);
}

// A noisy float32 loss, and the same as float64: the encoder picks packing
// for the first (smaller than XOR) and XOR for the second, per block.
struct Series {
  std::vector<int64_t> steps, ts;
  std::vector<double> values;
};

Series Loss(size_t n, bool float64, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  Series s;
  for (size_t i = 0; i < n; ++i) {
    s.steps.push_back(static_cast<int64_t>(i) * 1'000'000);
    s.ts.push_back(1'763'800'000'000'000 + static_cast<int64_t>(i) * 100'000 + rng() % 7000);
    float loss = 2.3f * std::exp(-static_cast<float>(i) / 20000.0f) + 0.4f;
    float v = loss * (1.0f + 0.05f * noise(rng));
    s.values.push_back(float64 ? static_cast<double>(v) + 1e-12 * static_cast<double>(i % 7)
                               : static_cast<double>(v));
  }
  return s;
}

// The value codec byte of each block of a kFloat chunk.
std::vector<uint8_t> Codecs(const EncodedChunk& c) {
  std::vector<uint8_t> out;
  for (const BlockCodec& b : BlockCodecs(c)) out.push_back(b.codec);
  return out;
}

// An index of `enc` over these summaries, sizes and checksums as given.
std::string BuildIndex(Encoding enc, const std::vector<BlockSummary>& sums) {
  std::string out;
  out.push_back(static_cast<char>(enc));
  out.push_back(static_cast<char>(kFormatVersion));
  PutVarint(&out, sums.size());
  for (size_t b = 0; b < sums.size(); ++b)
    PutSummary(enc, sums[b], b == 0 ? nullptr : &sums[b - 1], &out);
  PutFixed32(&out, Crc32c(out));
  return out;
}

// What encoding 1 wrote: the same keys and summaries, every value column
// XOR without a codec byte.
EncodedChunk LegacyXorChunk(const Series& s) {
  EncodedChunk now = EncodeFloatChunk(s.steps, s.ts, s.values).value();
  std::vector<BlockSummary> sums = ChunkIndex::Parse(now.index).value().blocks();
  EncodedChunk old;
  for (size_t b = 0; b < sums.size(); ++b) {
    const size_t lo = b * kBlockPoints, n = sums[b].count, start = old.data.size();
    EncodeIntColumn(std::span(s.steps).subspan(lo, n), &old.data);
    EncodeIntColumn(std::span(s.ts).subspan(lo, n), &old.data);
    EncodeXorColumn(std::span(s.values).subspan(lo, n), &old.data);
    sums[b].size = static_cast<uint32_t>(old.data.size() - start);
    sums[b].crc = Crc32c(std::string_view(old.data).substr(start));
  }
  old.index = BuildIndex(Encoding::kFloatXor, sums);
  return old;
}

void ExpectDecodes(const EncodedChunk& c, const Series& s) {
  ChunkIndex idx = ChunkIndex::Parse(c.index).value();
  std::vector<int64_t> steps, ts;
  std::vector<double> values;
  ASSERT_TRUE(idx.DecodeAllFloat(c.data, &steps, &ts, &values).ok());
  EXPECT_EQ(steps, s.steps);
  EXPECT_EQ(ts, s.ts);
  ASSERT_EQ(values.size(), s.values.size());
  for (size_t i = 0; i < values.size(); ++i) ASSERT_EQ(Bits(values[i]), Bits(s.values[i])) << i;
}

TEST(For32Test, EncoderChoosesPerBlockAndOldChunksStillRead) {
  const size_t n = 128 * 40;
  Series f32 = Loss(n, false, 1), f64 = Loss(n, true, 1);
  EncodedChunk packed = EncodeFloatChunk(f32.steps, f32.ts, f32.values).value();
  EncodedChunk xored = EncodeFloatChunk(f64.steps, f64.ts, f64.values).value();
  for (uint8_t c : Codecs(packed)) EXPECT_EQ(c, static_cast<uint8_t>(ValueCodec::kFloat32));
  for (uint8_t c : Codecs(xored)) EXPECT_EQ(c, static_cast<uint8_t>(ValueCodec::kXor));
  ExpectDecodes(packed, f32);
  ExpectDecodes(xored, f64);

  EncodedChunk old = LegacyXorChunk(f32);
  EXPECT_EQ(ChunkIndex::Parse(old.index)->encoding(), Encoding::kFloatXor);
  ExpectDecodes(old, f32);
  // Packing beats XOR on float32 values by well over the codec bytes.
  EXPECT_LT(packed.data.size() + 0.3 * n, old.data.size());

  // One float64 value in a block sends that block alone back to XOR.
  Series mixed = f32;
  mixed.values[128 * 3 + 5] = 0.1;
  EncodedChunk m = EncodeFloatChunk(mixed.steps, mixed.ts, mixed.values).value();
  std::vector<uint8_t> codecs = Codecs(m);
  for (size_t b = 0; b < codecs.size(); ++b)
    EXPECT_EQ(codecs[b], static_cast<uint8_t>(b == 3 ? ValueCodec::kXor : ValueCodec::kFloat32)) << b;
  ExpectDecodes(m, mixed);
}

TEST(For32Test, UnknownCodecAndSummaryMismatchAreDataLoss) {
  Series s = Loss(200, false, 3);
  EncodedChunk c = EncodeFloatChunk(s.steps, s.ts, s.values).value();
  ChunkIndex idx = ChunkIndex::Parse(c.index).value();
  // Find block 0's codec byte, then change it (and fix the block's checksum
  // in a rebuilt index so that the codec check itself is reached).
  ByteCursor in(std::string_view(c.data).substr(0, idx.blocks()[0].size));
  std::vector<int64_t> keys(idx.blocks()[0].count);
  ASSERT_TRUE(DecodeIntColumn(&in, keys.size(), keys.data()).ok());
  ASSERT_TRUE(DecodeIntColumn(&in, keys.size(), keys.data()).ok());
  const size_t at = idx.blocks()[0].size - in.remaining();
  auto with_block0 = [&](std::string data) {
    std::vector<BlockSummary> sums = idx.blocks();
    for (BlockSummary& sum : sums) sum.crc = Crc32c(std::string_view(data).substr(sum.offset, sum.size));
    return EncodedChunk{BuildIndex(Encoding::kFloat, sums), data};
  };
  std::string data = c.data;
  data[at] = 7;
  EncodedChunk bad = with_block0(data);
  ChunkIndex bidx = ChunkIndex::Parse(bad.index).value();
  std::vector<int64_t> steps, ts;
  std::vector<double> values;
  Status st = bidx.DecodeFloatBlock(0, bad.data, &steps, &ts, &values);
  EXPECT_EQ(st.code(), Code::kDataLoss);
  EXPECT_NE(st.ToString().find("unknown value codec 7"), std::string::npos) << st.ToString();
  EXPECT_TRUE(values.empty());
  // The last packed value of block 0 changed: it no longer matches the summary.
  data = c.data;
  data[idx.blocks()[0].size - 1] ^= 0x10;
  bad = with_block0(data);
  bidx = ChunkIndex::Parse(bad.index).value();
  st = bidx.DecodeFloatBlock(0, bad.data, &steps, &ts, &values);
  EXPECT_EQ(st.code(), Code::kDataLoss) << st.ToString();
  // Block 1 is untouched and still reads.
  EXPECT_TRUE(bidx.DecodeFloatBlock(1, bad.data, &steps, &ts, &values).ok());
}

}  // namespace
}  // namespace sextant::chunkenc
