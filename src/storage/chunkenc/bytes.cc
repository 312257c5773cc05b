#include "storage/chunkenc/bytes.h"

#include "storage/chunkenc/coding.h"

namespace sextant::chunkenc {

void EncodeBytesColumn(std::span<const std::string_view> values, std::string* out) {
  for (std::string_view v : values) {
    PutVarint(out, v.size());
    out->append(v);
  }
}

Status DecodeBytesColumn(std::string_view bytes, size_t n, std::vector<std::string>* out) {
  ByteCursor in(bytes);
  for (size_t i = 0; i < n; ++i) {
    uint64_t len;
    std::string_view v;
    // GetBytes bounds `len` by what is left, so a corrupt length cannot
    // trigger a huge allocation.
    if (!in.GetVarint(&len) || !in.GetBytes(len, &v)) {
      return Status::DataLoss("bytes column: truncated value");
    }
    out->emplace_back(v);
  }
  if (in.remaining() != 0) return Status::DataLoss("bytes column: trailing bytes");
  return Status::Ok();
}

}  // namespace sextant::chunkenc
