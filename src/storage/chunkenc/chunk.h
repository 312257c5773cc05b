// Chunks: the storage unit of a series. A chunk holds consecutive points of
// one series (strictly increasing steps) as independently decodable blocks
// of up to kBlockPoints points, stored in two byte strings:
//   index  encoding tag, format version, one summary per block, CRC-32C
//   data   the block payloads, concatenated
// Readers parse the index (small) and decode only the blocks they need; a
// downsampled read takes whole blocks from their summaries and decodes only
// blocks at bucket edges. Byte layout and rationale: docs/format/chunk.md.
//
// Thread-safety: ChunkIndex is immutable after Parse(); concurrent const
// calls are safe. The free functions keep no state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sextant::chunkenc {

// Points per block. Small enough that decoding the one block straddling a
// chart bucket's edge costs ~1 µs; large enough that the per-block summary
// (45-55 bytes) stays under half a byte per point.
constexpr size_t kBlockPoints = 128;

// The first byte of `index`. Stored: never renumber.
//   kFloatXor  float64 values, every block's value column XOR (xor.h)
//   kBytes     byte-string values (bytes.h)
//   kFloat     float64 values, each block's value column led by a codec
//              byte: XOR, float32 bit-packing (for32.h) when every value is
//              a widened float32, or, when every value is k / 10^e, the k
//              bit-packed or delta-coded (decimal.h); the smallest. What the encoder
//              writes; kFloatXor chunks stay readable.
enum class Encoding : uint8_t { kFloatXor = 1, kBytes = 2, kFloat = 3 };

// Whether chunks of `e` hold float values (and float block summaries).
constexpr bool IsFloat(Encoding e) { return e != Encoding::kBytes; }

// The codec byte that leads a kFloat block's value column.
enum class ValueCodec : uint8_t { kXor = 0, kFloat32 = 1, kDecimal = 2, kDecimalDelta = 3 };

// The version byte of `index` written by this code. Bump it (and keep
// decoding older versions) whenever the layout changes.
constexpr uint8_t kFormatVersion = 1;

struct BlockSummary {
  uint32_t count = 0;
  int64_t first_step = 0, last_step = 0;
  int64_t min_ts = 0, max_ts = 0;
  // Float chunks only. min/max/sum ignore NaN; +-Inf participate. If all values
  // are NaN, min=+inf, max=-inf, sum=0.
  double min = 0, max = 0, sum = 0;
  uint32_t nan_count = 0;
  double first_value = 0, last_value = 0;
  int64_t last_ts = 0;            // timestamp of the last point (by step)
  uint32_t offset = 0, size = 0;  // byte range of this block in `data`
  int64_t first_ts = 0;           // timestamp of the first point (by step)
  uint32_t crc = 0;               // CRC-32C of the block's payload
};

struct EncodedChunk {
  std::string index;
  std::string data;
};

// REQUIRES (else InvalidArgument): equal lengths, steps strictly increasing.
// An empty input gives a valid chunk with no blocks. TooLarge if `data`
// would pass 4 GiB (block offsets are 32-bit).
Result<EncodedChunk> EncodeFloatChunk(std::span<const int64_t> steps, std::span<const int64_t> ts,
                                      std::span<const double> values);
Result<EncodedChunk> EncodeBytesChunk(std::span<const int64_t> steps, std::span<const int64_t> ts,
                                      std::span<const std::string_view> values);

// Chunk-level statistics (the SQL columns next to a chunk). For an empty
// chunk count is 0, min=+inf, max=-inf and everything else 0. The sum is the
// sum of block sums, which may differ from a point-by-point sum in the last
// bits.
struct ChunkStats {
  uint64_t count;
  int64_t first_step, last_step, min_ts, max_ts;
  double min, max, sum;
  uint64_t nan_count;
  double first_value, last_value;
  int64_t last_ts;
  int64_t first_ts;
};
// REQUIRES: `blocks` in step order, as ChunkIndex::blocks() returns them.
ChunkStats Aggregate(std::span<const BlockSummary> blocks);

// Blocks per group: a parsed index also keeps the aggregate of each run of
// kGroupBlocks consecutive blocks, so that a reader covering many blocks
// with one chart bucket reads one group instead of 16 summaries.
constexpr size_t kGroupBlocks = 16;

struct BlockGroup {
  ChunkStats stats;                 // Aggregate() of the group's blocks
  int64_t last_block_first_step;    // first step of the group's last block
  uint64_t max_block_span;          // max of last_step - first_step over its blocks
};

// A parsed `index`. Parse() costs O(blocks) and verifies the checksum; every
// summary it returns is self-consistent (steps increase within and across
// blocks, timestamps lie within [min_ts, max_ts], byte ranges are adjacent).
class ChunkIndex {
 public:
  ChunkIndex() = default;  // an empty float chunk

  // DataLoss on corrupt, truncated or unknown-version input; never crashes.
  static Result<ChunkIndex> Parse(std::string_view index);

  Encoding encoding() const { return encoding_; }
  const std::vector<BlockSummary>& blocks() const { return blocks_; }
  uint64_t num_points() const { return num_points_; }
  // The size `data` must have: the sum of block sizes.
  uint64_t data_size() const { return data_size_; }
  // Aggregate(blocks()), computed once by Parse(): a reader whose whole
  // chunk falls in one chart bucket takes it from here.
  const ChunkStats& stats() const { return stats_; }
  // Group g aggregates blocks [g * kGroupBlocks, min((g + 1) * kGroupBlocks, n)).
  const std::vector<BlockGroup>& groups() const { return groups_; }
  // The widest block's last_step - first_step.
  uint64_t max_block_span() const { return max_block_span_; }
  // Heap bytes held (for caches that bound their memory).
  size_t MemoryBytes() const {
    return sizeof(*this) + blocks_.capacity() * sizeof(BlockSummary) +
           groups_.capacity() * sizeof(BlockGroup);
  }

  // Index of the first block whose last_step >= step (blocks().size() if
  // none); with it a reader seeks to a step without scanning summaries.
  size_t LowerBoundBlock(int64_t step) const;

  // Decode block i from the chunk's `data` bytes and append its points to
  // the outputs. On error (DataLoss for corrupt data or a mismatched
  // encoding, InvalidArgument for i out of range) the outputs are left as
  // they were. The payload's checksum and its agreement with the summary
  // are verified, so a decoded block matches its summary.
  Status DecodeFloatBlock(size_t i, std::string_view data, std::vector<int64_t>* steps,
                          std::vector<int64_t>* ts, std::vector<double>* values) const;
  Status DecodeBytesBlock(size_t i, std::string_view data, std::vector<int64_t>* steps,
                          std::vector<int64_t>* ts, std::vector<std::string>* values) const;
  // The allocation-free form of DecodeFloatBlock for hot loops: writes the
  // block's points to [0, blocks()[i].count) of each array; arrays of
  // kBlockPoints always suffice. On error the arrays hold garbage.
  Status DecodeFloatBlockTo(size_t i, std::string_view data, int64_t* steps, int64_t* ts,
                            double* values) const;

  // Every block, in step order; same contract as the block decoders.
  Status DecodeAllFloat(std::string_view data, std::vector<int64_t>* steps,
                        std::vector<int64_t>* ts, std::vector<double>* values) const;
  Status DecodeAllBytes(std::string_view data, std::vector<int64_t>* steps,
                        std::vector<int64_t>* ts, std::vector<std::string>* values) const;

 private:
  // Checks that block i exists, holds floats (or bytes, as `floats` says)
  // and has a checksummed payload in `data`; on success points `payload` at
  // its bytes.
  Status BlockPayload(size_t i, bool floats, std::string_view data,
                      std::string_view* payload) const;
  // Decodes the step and timestamp columns of block i, verifying them
  // against its summary, and returns the rest of the payload in `rest`.
  Status DecodeKeys(size_t i, std::string_view payload, int64_t* steps, int64_t* ts,
                    std::string_view* rest) const;

  Encoding encoding_ = Encoding::kFloatXor;
  std::vector<BlockSummary> blocks_;
  uint64_t num_points_ = 0;
  uint64_t data_size_ = 0;
  ChunkStats stats_ = Aggregate({});
  std::vector<BlockGroup> groups_;
  uint64_t max_block_span_ = 0;
};

}  // namespace sextant::chunkenc
