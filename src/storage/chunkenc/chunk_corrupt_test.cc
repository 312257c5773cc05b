// Corrupt, truncated and random input must give DataLoss, never a crash or
// an out-of-bounds read (run these under ASan/UBSan when touching decoders).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "storage/chunkenc/chunk.h"
#include "storage/chunkenc/coding.h"
#include "storage/chunkenc/crc32c.h"
#include "storage/chunkenc/summary.h"

namespace sextant::chunkenc {
namespace {

EncodedChunk MakeChunk(std::mt19937_64& rng, size_t n) {
  std::vector<int64_t> steps, ts;
  std::vector<double> values;
  int64_t t = 1'700'000'000'000'000;
  for (size_t i = 0; i < n; ++i) {
    steps.push_back(static_cast<int64_t>(i) * 1'000'000 + (rng() % 8 == 0 ? 1 : 0));
    t += 100'000 + static_cast<int64_t>(rng() % 5000);
    ts.push_back(t);
    values.push_back(rng() % 16 == 0 ? std::nan("") : std::sin(0.01 * i) + 1e-3 * (rng() % 100));
  }
  return EncodeFloatChunk(steps, ts, values).value();
}

// Decoding must either succeed with self-consistent output or fail with
// DataLoss; anything else (a crash, another code) fails the test.
void ExpectDataLossOrOk(std::string_view index, std::string_view data) {
  auto idx = ChunkIndex::Parse(index);
  if (!idx.ok()) {
    EXPECT_EQ(idx.status().code(), Code::kDataLoss) << idx.status().ToString();
    return;
  }
  std::vector<int64_t> steps, ts;
  std::vector<double> values;
  Status s = idx->DecodeAllFloat(data, &steps, &ts, &values);
  if (s.ok()) {
    EXPECT_EQ(steps.size(), idx->num_points());
  } else {
    EXPECT_EQ(s.code(), Code::kDataLoss) << s.ToString();
    EXPECT_TRUE(steps.empty() && ts.empty() && values.empty());  // rolled back
  }
}

std::string WithIndexCrc(std::string index_without_crc) {
  PutFixed32(&index_without_crc, Crc32c(index_without_crc));
  return index_without_crc;
}

// Rewrites `index` so its block checksums match `data`, letting a corrupt
// payload reach the codecs instead of being stopped by the checksum.
std::string ReindexForData(std::string_view index, std::string_view data) {
  ChunkIndex idx = ChunkIndex::Parse(index).value();
  std::string out;
  out.push_back(static_cast<char>(idx.encoding()));
  out.push_back(static_cast<char>(kFormatVersion));
  PutVarint(&out, idx.blocks().size());
  const BlockSummary* prev = nullptr;
  for (const BlockSummary& b : idx.blocks()) {
    BlockSummary s = b;
    s.crc = Crc32c(data.substr(s.offset, s.size));
    PutSummary(idx.encoding(), s, prev, &out);
    prev = &b;
  }
  return WithIndexCrc(out);
}

TEST(ChunkCorruptTest, TruncatedIndexAndData) {
  std::mt19937_64 rng(1);
  EncodedChunk c = MakeChunk(rng, 300);
  for (size_t len = 0; len < c.index.size(); ++len) {
    EXPECT_EQ(ChunkIndex::Parse(c.index.substr(0, len)).status().code(), Code::kDataLoss) << len;
  }
  ChunkIndex idx = ChunkIndex::Parse(c.index).value();
  for (size_t len = 0; len < c.data.size(); len += 7) {
    std::vector<int64_t> steps, ts;
    std::vector<double> values;
    EXPECT_EQ(idx.DecodeAllFloat(c.data.substr(0, len), &steps, &ts, &values).code(),
              Code::kDataLoss);
    EXPECT_EQ(idx.DecodeFloatBlock(0, c.data.substr(0, len), &steps, &ts, &values).code(),
              Code::kDataLoss);
  }
}

TEST(ChunkCorruptTest, FlippedBitsAreCaughtByChecksums) {
  std::mt19937_64 rng(2);
  EncodedChunk c = MakeChunk(rng, 1000);
  for (int iter = 0; iter < 2000; ++iter) {
    std::string index = c.index, data = c.data;
    std::string& victim = iter % 2 ? index : data;
    victim[rng() % victim.size()] ^= static_cast<char>(1 << (rng() % 8));
    auto idx = ChunkIndex::Parse(index);
    if (!idx.ok()) {
      EXPECT_EQ(idx.status().code(), Code::kDataLoss);
      continue;
    }
    std::vector<int64_t> steps, ts;
    std::vector<double> values;
    EXPECT_EQ(idx->DecodeAllFloat(data, &steps, &ts, &values).code(), Code::kDataLoss);
  }
}

TEST(ChunkCorruptTest, RandomBytes) {
  std::mt19937_64 rng(3);
  for (int iter = 0; iter < 20000; ++iter) {
    std::string junk(rng() % 120, '\0');
    for (char& ch : junk) ch = static_cast<char>(rng());
    if (iter % 2 && junk.size() >= 2) {
      junk[0] = static_cast<char>(1 + rng() % 2);
      junk[1] = static_cast<char>(kFormatVersion);
    }
    // With a valid checksum the parser's own checks are what stand guard.
    ExpectDataLossOrOk(iter % 4 < 2 ? junk : WithIndexCrc(junk), junk);
  }
}

TEST(ChunkCorruptTest, MutatedIndexWithValidChecksum) {
  std::mt19937_64 rng(4);
  EncodedChunk c = MakeChunk(rng, 700);
  std::string body = c.index.substr(0, c.index.size() - 4);
  for (int iter = 0; iter < 20000; ++iter) {
    std::string m = body;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) m[rng() % m.size()] = static_cast<char>(rng());
    ExpectDataLossOrOk(WithIndexCrc(m), c.data);
  }
}

TEST(ChunkCorruptTest, MutatedPayloadWithValidChecksums) {
  std::mt19937_64 rng(5);
  EncodedChunk c = MakeChunk(rng, 700);
  for (int iter = 0; iter < 5000; ++iter) {
    std::string data = c.data;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) data[rng() % data.size()] = static_cast<char>(rng());
    ExpectDataLossOrOk(ReindexForData(c.index, data), data);
  }
}

TEST(ChunkCorruptTest, UnknownEncodingAndVersion) {
  std::mt19937_64 rng(6);
  EncodedChunk c = MakeChunk(rng, 10);
  std::string body = c.index.substr(0, c.index.size() - 4);
  std::string bad = body;
  bad[0] = 4;
  EXPECT_EQ(ChunkIndex::Parse(WithIndexCrc(bad)).status().code(), Code::kDataLoss);
  bad = body;
  bad[1] = kFormatVersion + 1;
  auto r = ChunkIndex::Parse(WithIndexCrc(bad));
  EXPECT_EQ(r.status().code(), Code::kDataLoss);
  EXPECT_NE(r.status().message().find("version"), std::string::npos);
}

}  // namespace
}  // namespace sextant::chunkenc
