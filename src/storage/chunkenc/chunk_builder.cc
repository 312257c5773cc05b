#include "storage/chunkenc/chunk_builder.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "storage/chunkenc/bytes.h"
#include "storage/chunkenc/coding.h"
#include "storage/chunkenc/crc32c.h"
#include "storage/chunkenc/decimal.h"
#include "storage/chunkenc/dod.h"
#include "storage/chunkenc/for32.h"
#include "storage/chunkenc/summary.h"
#include "storage/chunkenc/xor.h"

namespace sextant::chunkenc {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// The encoding-independent part of a block summary.
BlockSummary KeySummary(std::span<const int64_t> steps, std::span<const int64_t> ts) {
  BlockSummary s;
  s.count = static_cast<uint32_t>(steps.size());
  s.first_step = steps.front();
  s.last_step = steps.back();
  auto [mn, mx] = std::minmax_element(ts.begin(), ts.end());
  s.min_ts = *mn;
  s.max_ts = *mx;
  s.first_ts = ts.front();
  s.last_ts = ts.back();
  return s;
}

void AddValueSummary(std::span<const double> v, BlockSummary* s) {
  s->min = kInf;
  s->max = -kInf;
  s->sum = 0;
  for (double x : v) {
    if (std::isnan(x)) {
      ++s->nan_count;
      continue;
    }
    s->min = std::min(s->min, x);
    s->max = std::max(s->max, x);
    s->sum += x;
  }
  s->first_value = v.front();
  s->last_value = v.back();
}

// A kFloat block's value column: the smallest of XOR, float32 bit-packing
// (when every value is a widened float32) and decimal bit-packing (when
// every value is k / 10^e). XOR wins ties, then float32: XOR needs no
// check of every value, and float32 decodes without a division.
void EncodeFloatColumn(std::span<const double> v, std::string* out) {
  const size_t start = out->size();
  out->push_back(static_cast<char>(ValueCodec::kXor));
  EncodeXorColumn(v, out);
  size_t best = out->size() - start;
  ValueCodec codec = ValueCodec::kXor;
  auto consider = [&](ValueCodec c, size_t size) {
    if (1 + size < best) {
      best = 1 + size;
      codec = c;
    }
  };
  if (AllFloat32(v)) consider(ValueCodec::kFloat32, For32ColumnSize(v));
  std::optional<DecimalFrame> frame = FitDecimal(v);
  std::string delta;
  if (frame) {
    consider(ValueCodec::kDecimal, DecimalColumnSize(*frame, v.size()));
    EncodeDecimalDeltaColumn(v, *frame, &delta);
    consider(ValueCodec::kDecimalDelta, delta.size());
  }
  if (codec == ValueCodec::kXor) return;
  out->resize(start);
  out->push_back(static_cast<char>(codec));
  if (codec == ValueCodec::kFloat32) {
    EncodeFor32Column(v, out);
  } else if (codec == ValueCodec::kDecimal) {
    EncodeDecimalColumn(v, *frame, out);
  } else {
    out->append(delta);
  }
}

Status CheckBlockSize(size_t n) {
  if (n == 0 || n > kBlockPoints)
    return Status::InvalidArgument("chunk: a block holds 1 to " + std::to_string(kBlockPoints) +
                                   " points, not " + std::to_string(n));
  return Status::Ok();
}

}  // namespace

Status ChunkBuilder::CheckOrder(int64_t first_step) const {
  if (blocks_ > 0 && first_step <= prev_.last_step)
    return Status::InvalidArgument("chunk: a block's steps must follow the previous block's");
  return Status::Ok();
}

Status ChunkBuilder::Seal(BlockSummary s, size_t start) {
  if (data_.size() > std::numeric_limits<uint32_t>::max())
    return Status::TooLarge("chunk: data passes 4 GiB; split the series into smaller chunks");
  s.offset = static_cast<uint32_t>(start);
  s.size = static_cast<uint32_t>(data_.size() - start);
  PutSummary(enc_, s, blocks_ == 0 ? nullptr : &prev_, &summaries_);
  prev_ = s;
  ++blocks_;
  points_ += s.count;
  return Status::Ok();
}

Status ChunkBuilder::AddFloatBlock(std::span<const int64_t> steps, std::span<const int64_t> ts,
                                   std::span<const double> values) {
  RETURN_IF_ERROR(CheckBlockSize(steps.size()));
  if (enc_ != Encoding::kFloat) return Status::InvalidArgument("chunk: float block in a non-float chunk");
  RETURN_IF_ERROR(CheckOrder(steps.front()));
  size_t start = data_.size();
  EncodeIntColumn(steps, &data_);
  EncodeIntColumn(ts, &data_);
  EncodeFloatColumn(values, &data_);
  BlockSummary s = KeySummary(steps, ts);
  AddValueSummary(values, &s);
  s.crc = Crc32c(std::string_view(data_).substr(start));
  return Seal(s, start);
}

Status ChunkBuilder::AddBytesBlock(std::span<const int64_t> steps, std::span<const int64_t> ts,
                                   std::span<const std::string_view> values) {
  RETURN_IF_ERROR(CheckBlockSize(steps.size()));
  if (enc_ != Encoding::kBytes) return Status::InvalidArgument("chunk: bytes block in a float chunk");
  RETURN_IF_ERROR(CheckOrder(steps.front()));
  size_t start = data_.size();
  EncodeIntColumn(steps, &data_);
  EncodeIntColumn(ts, &data_);
  EncodeBytesColumn(values, &data_);
  BlockSummary s = KeySummary(steps, ts);
  s.crc = Crc32c(std::string_view(data_).substr(start));
  return Seal(s, start);
}

Status ChunkBuilder::CopyBlock(const ChunkIndex& from, size_t i, std::string_view data) {
  if (from.encoding() != enc_) return Status::InvalidArgument("chunk: copied block of another encoding");
  if (i >= from.blocks().size()) return Status::InvalidArgument("chunk: no block " + std::to_string(i));
  if (data.size() != from.data_size())
    return Status::DataLoss("chunk: data is " + std::to_string(data.size()) + " bytes, index expects " +
                            std::to_string(from.data_size()));
  const BlockSummary& s = from.blocks()[i];
  RETURN_IF_ERROR(CheckOrder(s.first_step));
  std::string_view payload = data.substr(s.offset, s.size);
  if (Crc32c(payload) != s.crc)
    return Status::DataLoss("chunk: checksum mismatch in block " + std::to_string(i));
  size_t start = data_.size();
  data_.append(payload);
  return Seal(s, start);
}

EncodedChunk ChunkBuilder::Finish() {
  EncodedChunk c;
  c.index.push_back(static_cast<char>(enc_));
  c.index.push_back(static_cast<char>(kFormatVersion));
  PutVarint(&c.index, blocks_);
  c.index += summaries_;
  PutFixed32(&c.index, Crc32c(c.index));
  c.data = std::move(data_);
  summaries_.clear();
  data_.clear();
  blocks_ = 0;
  points_ = 0;
  prev_ = BlockSummary();
  return c;
}

}  // namespace sextant::chunkenc
