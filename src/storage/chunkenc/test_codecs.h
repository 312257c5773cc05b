// For the codec tests: what the encoder chose for each block of a chunk.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "storage/chunkenc/chunk.h"
#include "storage/chunkenc/coding.h"
#include "storage/chunkenc/dod.h"

namespace sextant::chunkenc {

struct BlockCodec {
  uint8_t codec = 255;   // the value codec byte
  size_t value_bytes = 0;  // the value column after it
};

// Each block of a kFloat chunk: its value codec and the size of its values.
inline std::vector<BlockCodec> BlockCodecs(const EncodedChunk& c) {
  ChunkIndex idx = ChunkIndex::Parse(c.index).value();
  EXPECT_EQ(idx.encoding(), Encoding::kFloat);
  std::vector<BlockCodec> out;
  for (const BlockSummary& b : idx.blocks()) {
    ByteCursor in(std::string_view(c.data).substr(b.offset, b.size));
    std::vector<int64_t> keys(b.count);
    EXPECT_TRUE(DecodeIntColumn(&in, b.count, keys.data()).ok());
    EXPECT_TRUE(DecodeIntColumn(&in, b.count, keys.data()).ok());
    BlockCodec bc;
    EXPECT_TRUE(in.GetByte(&bc.codec));
    bc.value_bytes = in.remaining();
    out.push_back(bc);
  }
  return out;
}

}  // namespace sextant::chunkenc
