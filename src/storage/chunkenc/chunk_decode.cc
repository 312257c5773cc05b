// Index parsing and block decoding (see chunk.h). Every check here guards
// against bytes from storage, so failures are DataLoss values, not asserts.
#include <algorithm>
#include <bit>
#include <limits>

#include "storage/chunkenc/bytes.h"
#include "storage/chunkenc/chunk.h"
#include "storage/chunkenc/coding.h"
#include "storage/chunkenc/crc32c.h"
#include "storage/chunkenc/dod.h"
#include "storage/chunkenc/decimal.h"
#include "storage/chunkenc/for32.h"
#include "storage/chunkenc/summary.h"
#include "storage/chunkenc/xor.h"

namespace sextant::chunkenc {
namespace {

// Restores output vectors to their sizes at construction unless disarmed,
// so a failed decode leaves the caller's vectors as they were.
template <typename V>
class Rollback {
 public:
  Rollback(std::vector<int64_t>* steps, std::vector<int64_t>* ts, std::vector<V>* values)
      : steps_(steps), ts_(ts), values_(values),
        n_steps_(steps->size()), n_ts_(ts->size()), n_values_(values->size()) {}
  ~Rollback() {
    if (armed_) {
      steps_->resize(n_steps_);
      ts_->resize(n_ts_);
      values_->resize(n_values_);
    }
  }
  Status Done(Status s) {
    armed_ = !s.ok();
    return s;
  }

 private:
  std::vector<int64_t>* steps_;
  std::vector<int64_t>* ts_;
  std::vector<V>* values_;
  size_t n_steps_, n_ts_, n_values_;
  bool armed_ = true;
};

}  // namespace

Result<ChunkIndex> ChunkIndex::Parse(std::string_view index) {
  // Encoding, version, block count (>= 1 byte) and the CRC.
  if (index.size() < 7) return Status::DataLoss("chunk index: truncated");
  ByteCursor crc_in(index.substr(index.size() - 4));
  uint32_t stored_crc;
  if (!crc_in.GetFixed32(&stored_crc) || stored_crc != Crc32c(index.substr(0, index.size() - 4))) {
    return Status::DataLoss("chunk index: checksum mismatch");
  }
  ByteCursor in(index.substr(0, index.size() - 4));
  uint8_t enc = 0, version = 0;
  uint64_t n_blocks;
  (void)in.GetByte(&enc);  // cannot fail: the size was checked above
  (void)in.GetByte(&version);
  if (enc != static_cast<uint8_t>(Encoding::kFloatXor) &&
      enc != static_cast<uint8_t>(Encoding::kBytes) &&
      enc != static_cast<uint8_t>(Encoding::kFloat)) {
    return Status::DataLoss("chunk index: unknown encoding " + std::to_string(enc));
  }
  if (version != kFormatVersion) {
    return Status::DataLoss("chunk index: unsupported format version " + std::to_string(version));
  }
  // Each summary takes more than 8 bytes, which bounds the allocation below.
  if (!in.GetVarint(&n_blocks) || n_blocks > in.remaining() / 8) {
    return Status::DataLoss("chunk index: bad block count");
  }
  ChunkIndex idx;
  idx.encoding_ = static_cast<Encoding>(enc);
  idx.blocks_.reserve(n_blocks);
  for (size_t b = 0; b < n_blocks; ++b) {
    BlockSummary& s = idx.blocks_.emplace_back();
    if (!GetSummary(idx.encoding_, &in, b == 0 ? nullptr : &idx.blocks_[b - 1], &s)) {
      return Status::DataLoss("chunk index: corrupt summary of block " + std::to_string(b));
    }
    if (idx.data_size_ + s.size > std::numeric_limits<uint32_t>::max()) {
      return Status::DataLoss("chunk index: blocks pass 4 GiB");
    }
    s.offset = static_cast<uint32_t>(idx.data_size_);
    idx.data_size_ += s.size;
    idx.num_points_ += s.count;
  }
  if (in.remaining() != 0) return Status::DataLoss("chunk index: trailing bytes");
  idx.stats_ = Aggregate(idx.blocks_);
  std::span<const BlockSummary> all(idx.blocks_);
  idx.groups_.reserve((n_blocks + kGroupBlocks - 1) / kGroupBlocks);
  for (size_t g = 0; g < n_blocks; g += kGroupBlocks) {
    auto part = all.subspan(g, std::min(kGroupBlocks, n_blocks - g));
    uint64_t span = 0;
    for (const BlockSummary& b : part)
      span = std::max(span, static_cast<uint64_t>(b.last_step) - static_cast<uint64_t>(b.first_step));
    idx.groups_.push_back(BlockGroup{Aggregate(part), part.back().first_step, span});
    idx.max_block_span_ = std::max(idx.max_block_span_, span);
  }
  return idx;
}

size_t ChunkIndex::LowerBoundBlock(int64_t step) const {
  return std::partition_point(blocks_.begin(), blocks_.end(),
                              [step](const BlockSummary& b) { return b.last_step < step; }) -
         blocks_.begin();
}

Status ChunkIndex::BlockPayload(size_t i, bool floats, std::string_view data,
                                std::string_view* payload) const {
  if (i >= blocks_.size()) return Status::InvalidArgument("chunk: no block " + std::to_string(i));
  if (IsFloat(encoding_) != floats) return Status::DataLoss("chunk: decoded with the wrong encoding");
  if (data.size() != data_size_) {
    return Status::DataLoss("chunk: data is " + std::to_string(data.size()) +
                            " bytes, index expects " + std::to_string(data_size_));
  }
  const BlockSummary& s = blocks_[i];
  *payload = data.substr(s.offset, s.size);
  if (Crc32c(*payload) != s.crc) {
    return Status::DataLoss("chunk: checksum mismatch in block " + std::to_string(i));
  }
  return Status::Ok();
}

Status ChunkIndex::DecodeKeys(size_t i, std::string_view payload, int64_t* steps, int64_t* ts,
                              std::string_view* rest) const {
  const BlockSummary& s = blocks_[i];
  ByteCursor in(payload);
  RETURN_IF_ERROR(DecodeIntColumn(&in, s.count, steps, /*strictly_increasing=*/true));
  RETURN_IF_ERROR(DecodeIntColumn(&in, s.count, ts));
  // The checksum makes a mismatch here near impossible, but the checks are
  // cheap and let readers trust "decoded == summary" unconditionally.
  if (steps[0] != s.first_step || steps[s.count - 1] != s.last_step ||
      ts[0] != s.first_ts || ts[s.count - 1] != s.last_ts) {
    return Status::DataLoss("chunk: block " + std::to_string(i) + " disagrees with its summary");
  }
  *rest = payload.substr(payload.size() - in.remaining());
  return Status::Ok();
}

Status ChunkIndex::DecodeFloatBlockTo(size_t i, std::string_view data, int64_t* steps,
                                      int64_t* ts, double* values) const {
  std::string_view payload, rest;
  RETURN_IF_ERROR(BlockPayload(i, /*floats=*/true, data, &payload));
  RETURN_IF_ERROR(DecodeKeys(i, payload, steps, ts, &rest));
  const size_t n = blocks_[i].count;
  if (encoding_ == Encoding::kFloatXor) return DecodeXorColumn(rest, n, values);
  if (rest.empty()) return Status::DataLoss("chunk: block " + std::to_string(i) + " has no values");
  const auto codec = static_cast<uint8_t>(rest[0]);
  rest.remove_prefix(1);
  if (codec == static_cast<uint8_t>(ValueCodec::kXor)) return DecodeXorColumn(rest, n, values);
  if (codec == static_cast<uint8_t>(ValueCodec::kFloat32)) {
    RETURN_IF_ERROR(DecodeFor32Column(rest, n, values));
  } else if (codec == static_cast<uint8_t>(ValueCodec::kDecimal)) {
    RETURN_IF_ERROR(DecodeDecimalColumn(rest, n, values));
  } else if (codec == static_cast<uint8_t>(ValueCodec::kDecimalDelta)) {
    RETURN_IF_ERROR(DecodeDecimalDeltaColumn(rest, n, values));
  } else {
    return Status::DataLoss("chunk: block " + std::to_string(i) + " has unknown value codec " +
                            std::to_string(codec));
  }
  // The summary's first and last values are exact, as keys are checked.
  if (std::bit_cast<uint64_t>(values[0]) != std::bit_cast<uint64_t>(blocks_[i].first_value) ||
      std::bit_cast<uint64_t>(values[n - 1]) != std::bit_cast<uint64_t>(blocks_[i].last_value)) {
    return Status::DataLoss("chunk: block " + std::to_string(i) + " disagrees with its summary");
  }
  return Status::Ok();
}

Status ChunkIndex::DecodeFloatBlock(size_t i, std::string_view data, std::vector<int64_t>* steps,
                                    std::vector<int64_t>* ts, std::vector<double>* values) const {
  if (i >= blocks_.size()) return Status::InvalidArgument("chunk: no block " + std::to_string(i));
  Rollback<double> rollback(steps, ts, values);
  size_t n = blocks_[i].count, at = steps->size();
  steps->resize(at + n);
  ts->resize(ts->size() + n);
  values->resize(values->size() + n);
  return rollback.Done(DecodeFloatBlockTo(i, data, steps->data() + at, ts->data() + ts->size() - n,
                                          values->data() + values->size() - n));
}

Status ChunkIndex::DecodeBytesBlock(size_t i, std::string_view data, std::vector<int64_t>* steps,
                                    std::vector<int64_t>* ts,
                                    std::vector<std::string>* values) const {
  Rollback<std::string> rollback(steps, ts, values);
  std::string_view payload, rest;
  RETURN_IF_ERROR(BlockPayload(i, /*floats=*/false, data, &payload));
  size_t n = blocks_[i].count;
  steps->resize(steps->size() + n);
  ts->resize(ts->size() + n);
  RETURN_IF_ERROR(DecodeKeys(i, payload, steps->data() + steps->size() - n,
                             ts->data() + ts->size() - n, &rest));
  return rollback.Done(DecodeBytesColumn(rest, n, values));
}

Status ChunkIndex::DecodeAllFloat(std::string_view data, std::vector<int64_t>* steps,
                                  std::vector<int64_t>* ts, std::vector<double>* values) const {
  Rollback<double> rollback(steps, ts, values);
  // One resize up front instead of one per block.
  size_t s0 = steps->size(), t0 = ts->size(), v0 = values->size();
  steps->resize(s0 + num_points_);
  ts->resize(t0 + num_points_);
  values->resize(v0 + num_points_);
  size_t at = 0;
  for (size_t i = 0; i < blocks_.size(); ++i) {
    RETURN_IF_ERROR(DecodeFloatBlockTo(i, data, steps->data() + s0 + at, ts->data() + t0 + at,
                                       values->data() + v0 + at));
    at += blocks_[i].count;
  }
  return rollback.Done(Status::Ok());
}

Status ChunkIndex::DecodeAllBytes(std::string_view data, std::vector<int64_t>* steps,
                                  std::vector<int64_t>* ts,
                                  std::vector<std::string>* values) const {
  Rollback<std::string> rollback(steps, ts, values);
  steps->reserve(steps->size() + num_points_);
  ts->reserve(ts->size() + num_points_);
  values->reserve(values->size() + num_points_);
  for (size_t i = 0; i < blocks_.size(); ++i) {
    RETURN_IF_ERROR(DecodeBytesBlock(i, data, steps, ts, values));
  }
  return rollback.Done(Status::Ok());
}

}  // namespace sextant::chunkenc
