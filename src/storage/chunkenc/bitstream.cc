#include "storage/chunkenc/bitstream.h"

#include <algorithm>

namespace sextant::chunkenc {

void BitWriter::Finish() {
  while (nacc_ >= 8) {
    nacc_ -= 8;
    out_->push_back(static_cast<char>(acc_ >> nacc_));
  }
  if (nacc_ > 0) out_->push_back(static_cast<char>(acc_ << (8 - nacc_)));
  acc_ = 0;
  nacc_ = 0;
  bits_ = 0;
}

uint64_t BitReader::LoadTail(const uint8_t* data, size_t size, size_t byte) {
  uint8_t buf[8] = {};
  if (byte < size) std::memcpy(buf, data + byte, std::min<size_t>(8, size - byte));
  uint64_t w;
  std::memcpy(&w, buf, 8);
  return FromBigEndian(w);
}

}  // namespace sextant::chunkenc
