// Fuzzes the chunk decoders with bytes as they come from storage: corrupt
// input must give DataLoss, never a crash, an out-of-bounds access or
// undefined behaviour, and whatever decodes must agree with its summaries.
//
// The checksums would stop almost every mutation before the codecs, so the
// harness can recompute them. Input layout, by the first byte's low 2 bits:
//   0  chunk:  [mode][flags][index length, 2 bytes LE][index][data]
//      flags bit 0: append the index CRC (the index is given without it);
//      flags bit 1: rewrite every block's CRC to match `data`.
//   1  int column (dod.h):    [mode][n - 1][strictly_increasing][bytes]
//   2  float column:          [mode][n - 1][bytes]; mode bits 2 and 3 set:
//      delta-coded decimals, bit 3 alone: bit-packed decimals (decimal.h),
//      bit 2 alone: float32 packing (for32.h), neither: XOR (xor.h)
//   3  bytes column (bytes.h): [mode][n][bytes]
// Seeds: fuzz/corpus/chunkenc/. Run with scripts/fuzz.sh.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/chunkenc/bytes.h"
#include "storage/chunkenc/chunk.h"
#include "storage/chunkenc/coding.h"
#include "storage/chunkenc/crc32c.h"
#include "storage/chunkenc/decimal.h"
#include "storage/chunkenc/dod.h"
#include "storage/chunkenc/for32.h"
#include "storage/chunkenc/summary.h"
#include "storage/chunkenc/xor.h"

namespace sextant::chunkenc {
namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckOkOrDataLoss(const Status& s) { Check(s.ok() || s.code() == Code::kDataLoss); }

// The index of `idx` with each block's CRC set to that of its bytes in `data`.
// REQUIRES: data.size() == idx.data_size().
std::string Reindex(const ChunkIndex& idx, std::string_view data) {
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
  PutFixed32(&out, Crc32c(out));
  return out;
}

template <typename V>
void CheckDecoded(const ChunkIndex& idx, const Status& s, const std::vector<int64_t>& steps,
                  const std::vector<int64_t>& ts, const std::vector<V>& values) {
  CheckOkOrDataLoss(s);
  if (!s.ok()) {
    Check(steps.empty() && ts.empty() && values.empty());  // rolled back
    return;
  }
  Check(steps.size() == idx.num_points() && ts.size() == steps.size() &&
        values.size() == steps.size());
  for (size_t i = 1; i < steps.size(); ++i) Check(steps[i - 1] < steps[i]);
  size_t at = 0;
  for (const BlockSummary& b : idx.blocks()) {
    Check(steps[at] == b.first_step && steps[at + b.count - 1] == b.last_step);
    for (size_t i = at; i < at + b.count; ++i) Check(ts[i] >= b.min_ts && ts[i] <= b.max_ts);
    at += b.count;
  }
}

void FuzzChunk(uint8_t flags, std::string_view rest) {
  if (rest.size() < 2) return;
  size_t index_len = static_cast<uint8_t>(rest[0]) | static_cast<uint8_t>(rest[1]) << 8;
  rest.remove_prefix(2);
  index_len = std::min(index_len, rest.size());
  std::string index(rest.substr(0, index_len));
  std::string data(rest.substr(index_len));
  if (flags & 1) PutFixed32(&index, Crc32c(index));

  auto parsed = ChunkIndex::Parse(index);
  if (!parsed.ok()) {
    Check(parsed.status().code() == Code::kDataLoss);
    return;
  }
  if ((flags & 2) && data.size() == parsed->data_size()) {
    parsed = ChunkIndex::Parse(Reindex(*parsed, data));
    Check(parsed.ok());
  }
  const ChunkIndex& idx = *parsed;
  Aggregate(idx.blocks());
  if (!idx.blocks().empty()) {
    Check(idx.LowerBoundBlock(idx.blocks().front().first_step) == 0);
    Check(idx.LowerBoundBlock(idx.blocks().back().last_step) == idx.blocks().size() - 1);
  }

  std::vector<int64_t> steps, ts;
  if (IsFloat(idx.encoding())) {
    std::vector<double> values;
    Status s = idx.DecodeAllFloat(data, &steps, &ts, &values);
    CheckDecoded(idx, s, steps, ts, values);
    // Block by block, into exactly sized arrays so ASan sees any overrun.
    for (size_t i = 0; i < idx.blocks().size() && i < 4; ++i) {
      size_t n = idx.blocks()[i].count;
      auto bs = std::make_unique<int64_t[]>(n), bt = std::make_unique<int64_t[]>(n);
      auto bv = std::make_unique<double[]>(n);
      Status bs_status = idx.DecodeFloatBlockTo(i, data, bs.get(), bt.get(), bv.get());
      CheckOkOrDataLoss(bs_status);
      if (s.ok()) Check(bs_status.ok());
    }
    if (!idx.blocks().empty()) {
      std::vector<std::string> wrong;
      Check(idx.DecodeBytesBlock(0, data, &steps, &ts, &wrong).code() == Code::kDataLoss);
    }
  } else {
    std::vector<std::string> values;
    Status s = idx.DecodeAllBytes(data, &steps, &ts, &values);
    CheckDecoded(idx, s, steps, ts, values);
    if (!idx.blocks().empty()) {
      std::vector<int64_t> s1, t1;
      std::vector<std::string> v1;
      Status last = idx.DecodeBytesBlock(idx.blocks().size() - 1, data, &s1, &t1, &v1);
      CheckOkOrDataLoss(last);
      if (s.ok()) Check(last.ok());
    }
  }
}

void FuzzIntColumn(size_t n, bool strictly_increasing, std::string_view bytes) {
  auto out = std::make_unique<int64_t[]>(n);
  ByteCursor in(bytes);
  Status s = DecodeIntColumn(&in, n, out.get(), strictly_increasing);
  CheckOkOrDataLoss(s);
  if (!s.ok()) return;
  Check(in.remaining() <= bytes.size());
  if (strictly_increasing) {
    for (size_t i = 1; i < n; ++i) Check(out[i - 1] < out[i]);
  }
  // What decodes re-encodes to bytes that decode to the same values.
  std::string again;
  EncodeIntColumn(std::span<const int64_t>(out.get(), n), &again);
  auto back = std::make_unique<int64_t[]>(n);
  ByteCursor in2(again);
  Check(DecodeIntColumn(&in2, n, back.get(), strictly_increasing).ok() && in2.remaining() == 0);
  Check(std::memcmp(out.get(), back.get(), n * sizeof(int64_t)) == 0);
}

void FuzzXorColumn(size_t n, std::string_view bytes) {
  auto out = std::make_unique<double[]>(n);
  Status s = DecodeXorColumn(bytes, n, out.get());
  CheckOkOrDataLoss(s);
  if (!s.ok()) return;
  std::string again;
  EncodeXorColumn(std::span<const double>(out.get(), n), &again);
  auto back = std::make_unique<double[]>(n);
  Check(DecodeXorColumn(again, n, back.get()).ok());
  Check(std::memcmp(out.get(), back.get(), n * sizeof(double)) == 0);  // bits, NaNs too
}

void FuzzFor32Column(size_t n, std::string_view bytes) {
  auto out = std::make_unique<double[]>(n);
  Status s = DecodeFor32Column(bytes, n, out.get());
  CheckOkOrDataLoss(s);
  if (!s.ok()) return;
  std::span<const double> values(out.get(), n);
  Check(AllFloat32(values));
  // What decodes re-encodes to the same bits. (Not always in fewer bytes: a
  // signalling NaN pattern comes back quiet, which may widen the frame.)
  std::string again;
  EncodeFor32Column(values, &again);
  Check(again.size() == For32ColumnSize(values));
  auto back = std::make_unique<double[]>(n);
  Check(DecodeFor32Column(again, n, back.get()).ok());
  Check(std::memcmp(out.get(), back.get(), n * sizeof(double)) == 0);
}

void FuzzDecimalColumn(size_t n, std::string_view bytes, bool delta) {
  auto out = std::make_unique<double[]>(n);
  Status s = delta ? DecodeDecimalDeltaColumn(bytes, n, out.get()) : DecodeDecimalColumn(bytes, n, out.get());
  CheckOkOrDataLoss(s);
  if (!s.ok()) return;
  // What decodes re-encodes to the same bits when it is decimals again. (A
  // k near 2^53 that no encoder wrote may not be: v · 10^e rounds past it.)
  std::span<const double> values(out.get(), n);
  auto frame = FitDecimal(values);
  if (!frame) return;
  std::string again;
  auto back = std::make_unique<double[]>(n);
  if (delta) {
    EncodeDecimalDeltaColumn(values, *frame, &again);
    Check(DecodeDecimalDeltaColumn(again, n, back.get()).ok());
  } else {
    EncodeDecimalColumn(values, *frame, &again);
    Check(again.size() == DecimalColumnSize(*frame, n));
    Check(DecodeDecimalColumn(again, n, back.get()).ok());
  }
  Check(std::memcmp(out.get(), back.get(), n * sizeof(double)) == 0);
}

void FuzzBytesColumn(size_t n, std::string_view bytes) {
  std::vector<std::string> out = {"kept"};
  Status s = DecodeBytesColumn(bytes, n, &out);
  CheckOkOrDataLoss(s);
  if (!s.ok()) return;
  Check(out.size() == n + 1 && out[0] == "kept");
  std::vector<std::string_view> views(out.begin() + 1, out.end());
  std::string again;
  EncodeBytesColumn(views, &again);
  std::vector<std::string> back;
  Check(DecodeBytesColumn(again, n, &back).ok());
  Check(std::equal(back.begin(), back.end(), out.begin() + 1, out.end()));
}

}  // namespace
}  // namespace sextant::chunkenc

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sextant::chunkenc;
  if (size < 2) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  uint8_t mode = data[0] & 3, arg = data[1];
  in.remove_prefix(2);
  switch (mode) {
    case 0:
      FuzzChunk(arg, in);
      break;
    case 1:
      if (in.empty()) return 0;
      FuzzIntColumn(arg % kBlockPoints + 1, in[0] & 1, in.substr(1));
      break;
    case 2:
      if (data[0] & 8) {
        FuzzDecimalColumn(arg % kBlockPoints + 1, in, (data[0] & 4) != 0);
      } else if (data[0] & 4) {
        FuzzFor32Column(arg % kBlockPoints + 1, in);
      } else {
        FuzzXorColumn(arg % kBlockPoints + 1, in);
      }
      break;
    case 3:
      FuzzBytesColumn(arg, in);
      break;
  }
  return 0;
}
