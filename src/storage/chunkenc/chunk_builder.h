// Builds a chunk block by block: blocks encoded from points, or copied as
// they are from another chunk of the same encoding (the compactor joins
// appended chunks this way instead of decoding and re-encoding them).
// Blocks hold up to kBlockPoints points each; readers take each block's
// count from its summary, so blocks of different sizes mix freely.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "common/status.h"
#include "storage/chunkenc/chunk.h"

namespace sextant::chunkenc {

class ChunkBuilder {
 public:
  explicit ChunkBuilder(Encoding enc) : enc_(enc) {}

  Encoding encoding() const { return enc_; }
  uint64_t points() const { return points_; }
  size_t blocks() const { return blocks_; }
  bool empty() const { return blocks_ == 0; }

  // Encodes 1..kBlockPoints points (steps strictly increasing, after every
  // step added so far) as one block. The float form needs a float encoding
  // (kFloat), the bytes form kBytes.
  Status AddFloatBlock(std::span<const int64_t> steps, std::span<const int64_t> ts,
                       std::span<const double> values);
  Status AddBytesBlock(std::span<const int64_t> steps, std::span<const int64_t> ts,
                       std::span<const std::string_view> values);
  // Copies block i of a parsed chunk of the same encoding whose payload is
  // `data`; its checksum is verified first (DataLoss if it does not match).
  Status CopyBlock(const ChunkIndex& from, size_t i, std::string_view data);

  // The chunk so far; the builder is left empty.
  EncodedChunk Finish();

 private:
  Status CheckOrder(int64_t first_step) const;
  // Appends the summary of the block whose payload starts at `start`.
  Status Seal(BlockSummary s, size_t start);

  Encoding enc_;
  std::string summaries_, data_;
  BlockSummary prev_;
  size_t blocks_ = 0;
  uint64_t points_ = 0;
};

}  // namespace sextant::chunkenc
