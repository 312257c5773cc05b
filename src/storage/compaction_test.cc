// The compactor's merge of one group: appended chunks are joined block by
// block (copied, not re-encoded), small blocks are packed into dense ones,
// and anything that overlaps is merged last-write-wins as before. Each case
// checks the points against a brute-force reference and the cost counters.
#include "storage/compaction.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>

#include "storage/series_merge.h"

namespace sextant::storage {
namespace {

// Points logged as one request each: `sizes[k]` consecutive steps from where
// the previous request ended, values of a float32-like curve.
struct Logged {
  std::vector<ChunkRow> rows;
  std::map<int64_t, std::pair<int64_t, double>> reference;  // step -> (ts, value)
  int64_t next_id = 1;

  void Add(int64_t first, size_t n, double offset = 0) {
    std::vector<int64_t> steps, ts;
    std::vector<double> values;
    for (size_t i = 0; i < n; ++i) {
      int64_t s = first + static_cast<int64_t>(i);
      steps.push_back(s);
      ts.push_back(1'700'000'000'000'000 + s * 1000 + (s * 7919) % 5000);
      values.push_back(static_cast<double>(static_cast<float>(std::exp(-s / 5e3) + 0.01 * (s % 7))) + offset);
      reference[s] = {ts.back(), values.back()};
    }
    auto c = chunkenc::EncodeFloatChunk(steps, ts, values);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    ChunkRow r;
    r.id = next_id++;
    r.first_step = steps.front();
    r.last_step = steps.back();
    r.count = static_cast<int64_t>(n);
    r.index = std::move(c->index);
    r.data = std::move(c->data);
    rows.push_back(std::move(r));
  }
  void Append(const std::vector<size_t>& sizes) {
    int64_t s = reference.empty() ? 0 : reference.rbegin()->first + 1;
    for (size_t n : sizes) {
      Add(s, n);
      s += static_cast<int64_t>(n);
    }
  }
};

// Decodes the group's chunks, checks them against the reference, and
// returns the block sizes of each chunk.
std::vector<std::vector<uint32_t>> CheckGroup(const CompactionGroup& g, const Logged& l) {
  std::vector<int64_t> steps, ts;
  std::vector<double> values;
  std::vector<std::vector<uint32_t>> sizes;
  EXPECT_EQ(g.chunks.size(), g.stats.size());
  for (size_t c = 0; c < g.chunks.size(); ++c) {
    auto idx = chunkenc::ChunkIndex::Parse(g.chunks[c].index);
    EXPECT_TRUE(idx.ok()) << idx.status().ToString();
    if (!idx.ok()) return sizes;
    EXPECT_LE(idx->num_points(), kSealedChunkPoints);
    EXPECT_EQ(g.stats[c].count, idx->num_points());
    EXPECT_TRUE(idx->DecodeAllFloat(g.chunks[c].data, &steps, &ts, &values).ok());
    sizes.emplace_back();
    for (const auto& b : idx->blocks()) sizes.back().push_back(b.count);
  }
  EXPECT_EQ(steps.size(), l.reference.size());
  size_t i = 0;
  for (const auto& [s, tv] : l.reference) {
    if (i >= steps.size()) break;
    EXPECT_EQ(steps[i], s);
    EXPECT_EQ(ts[i], tv.first) << "step " << s;
    EXPECT_EQ(std::memcmp(&values[i], &tv.second, 8), 0) << "step " << s;
    ++i;
  }
  return sizes;
}

size_t EncodedPointsOfAMerge(const std::vector<ChunkRow>& rows) {
  std::vector<const ChunkRow*> ptrs;
  for (const auto& r : rows) ptrs.push_back(&r);
  Points p;
  EXPECT_TRUE(MergeChunks(ptrs, INT64_MIN, INT64_MAX, &p).ok());
  return p.size();
}

TEST(CompactionJoinTest, AppendedRequestsAreCopiedBlockByBlock) {
  Logged l;
  l.Append(std::vector<size_t>(40, 1000));  // 40 requests of 1,000 steps: 7 x 128 + 104 each
  auto g = MergeCompactionGroup(l.rows);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  auto sizes = CheckGroup(*g, l);
  EXPECT_EQ(g->copied_blocks, 40u * 8);
  EXPECT_EQ(g->encoded_points, 0u);  // a merge would encode all 40,000 again
  ASSERT_EQ(sizes.size(), 3u);       // 40,000 points in chunks of at most 16,384
  for (size_t c = 0; c + 1 < sizes.size(); ++c) {
    uint64_t n = 0;
    for (uint32_t b : sizes[c]) n += b;
    EXPECT_GT(n + chunkenc::kBlockPoints, kSealedChunkPoints) << "chunk " << c << " is not full";
  }
}

TEST(CompactionJoinTest, SmallRequestsArePackedIntoDenseBlocks) {
  for (std::vector<size_t> pattern : {std::vector<size_t>(300, 10), std::vector<size_t>(100, 150),
                                      std::vector<size_t>{1, 300, 5, 5, 128, 63, 64, 1, 1, 200, 3}}) {
    Logged l;
    l.Append(pattern);
    auto g = MergeCompactionGroup(l.rows);
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    auto sizes = CheckGroup(*g, l);
    // Every block but the very last holds at least half a block.
    for (size_t c = 0; c < sizes.size(); ++c)
      for (size_t b = 0; b < sizes[c].size(); ++b)
        if (c + 1 < sizes.size() || b + 1 < sizes[c].size())
          EXPECT_GE(sizes[c][b], chunkenc::kBlockPoints / 2) << "chunk " << c << " block " << b;
    EXPECT_LT(g->encoded_points, l.reference.size() + 1);
  }
}

TEST(CompactionJoinTest, JoiningTwiceCopiesWhatTheFirstJoinWrote) {
  Logged l;
  l.Append(std::vector<size_t>(30, 10));
  auto first = MergeCompactionGroup(l.rows);
  ASSERT_TRUE(first.ok());
  // The sealed result, then more small requests: the sealed blocks are copied.
  Logged again;
  for (auto& c : first->chunks) {
    ChunkRow r;
    r.id = again.next_id++;
    r.level = 1;
    auto idx = chunkenc::ChunkIndex::Parse(c.index);
    ASSERT_TRUE(idx.ok());
    r.first_step = idx->stats().first_step;
    r.last_step = idx->stats().last_step;
    r.count = static_cast<int64_t>(idx->num_points());
    r.index = c.index;
    r.data = c.data;
    again.rows.push_back(std::move(r));
  }
  again.reference = l.reference;
  again.Append(std::vector<size_t>(30, 10));
  auto second = MergeCompactionGroup(again.rows);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  CheckGroup(*second, again);
  // The first join wrote 300 points as blocks of 128, 86 and 86.
  EXPECT_EQ(second->copied_blocks, 3u);
  EXPECT_EQ(second->encoded_points, 300u);
}

TEST(CompactionJoinTest, OverlapsAreMergedLastWriteWins) {
  Logged l;
  l.Append({1000, 1000});
  l.Add(500, 100, /*offset=*/1.0);  // rewrites steps 500..599, written last
  auto g = MergeCompactionGroup(l.rows);
  ASSERT_TRUE(g.ok());
  CheckGroup(*g, l);
  EXPECT_EQ(g->copied_blocks, 0u);
  EXPECT_EQ(g->encoded_points, EncodedPointsOfAMerge(l.rows));
}

TEST(CompactionJoinTest, ACorruptBlockIsReportedNotCopied) {
  Logged l;
  l.Append({1000, 1000});
  l.rows[1].data[10] ^= 1;
  auto g = MergeCompactionGroup(l.rows);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), Code::kDataLoss);
  EXPECT_NE(g.status().message().find("chunk 2"), std::string::npos) << g.status().message();
}

TEST(CompactionJoinTest, StringSeriesAreJoinedToo) {
  std::vector<ChunkRow> rows;
  std::vector<std::string> expect;
  for (int k = 0; k < 5; ++k) {
    std::vector<int64_t> steps, ts;
    std::vector<std::string> text;
    for (int i = 0; i < 200; ++i) {
      steps.push_back(k * 200 + i);
      ts.push_back(k * 200 + i);
      text.push_back("line " + std::to_string(k * 200 + i));
    }
    std::vector<std::string_view> views(text.begin(), text.end());
    auto c = chunkenc::EncodeBytesChunk(steps, ts, views);
    ASSERT_TRUE(c.ok());
    ChunkRow r;
    r.id = k + 1;
    r.first_step = steps.front();
    r.last_step = steps.back();
    r.count = 200;
    r.index = c->index;
    r.data = c->data;
    rows.push_back(std::move(r));
    expect.insert(expect.end(), text.begin(), text.end());
  }
  auto g = MergeCompactionGroup(rows);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->copied_blocks, 10u);  // 128 + 72 per request
  ASSERT_EQ(g->chunks.size(), 1u);
  auto idx = chunkenc::ChunkIndex::Parse(g->chunks[0].index);
  ASSERT_TRUE(idx.ok());
  std::vector<int64_t> steps, ts;
  std::vector<std::string> text;
  ASSERT_TRUE(idx->DecodeAllBytes(g->chunks[0].data, &steps, &ts, &text).ok());
  EXPECT_EQ(text, expect);
}

// A sealed chunk within a block of full is left alone by the planner: the
// join would only copy it again.
TEST(CompactionJoinTest, AChunkAlmostFullIsNotRejoined) {
  std::vector<ChunkMeta> meta(2);
  meta[0].first = 0;
  meta[0].last = 16299;
  meta[0].count = 16300;
  meta[0].level = 1;
  meta[1].first = 16300;
  meta[1].last = 17299;
  meta[1].count = 1000;
  meta[1].level = 0;
  auto groups = PlanCompactionGroups(meta);
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0], std::vector<size_t>{1});
  meta[0].count = 16000;
  meta[0].last = 15999;
  groups = PlanCompactionGroups(meta);
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0], (std::vector<size_t>{0, 1}));
}

}  // namespace
}  // namespace sextant::storage
