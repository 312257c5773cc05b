// MSB-first bit streams for the chunk codecs (dod.h, xor.h).
//
// The reader is built for the chart read path: a read is one unaligned 8-byte
// load plus shifts. It is also built for untrusted bytes: it never touches
// memory outside the buffer it was given. Reading past the end yields zero
// bits and sets a sticky overrun flag, which callers check once per stream
// instead of once per read, keeping the per-point loop branch-light.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace sextant::chunkenc {

// Appends bits to a std::string, most significant bit first. Not thread-safe.
class BitWriter {
 public:
  // `out` must outlive the writer; bytes are appended after its current end.
  explicit BitWriter(std::string* out) : out_(out) {}

  // Writes the low `n` bits of `bits`; n in [0, 64]. Higher bits are ignored.
  void Write(uint64_t bits, int n) {
    if (n > 32) {
      Put32(bits >> 32, n - 32);
      n = 32;
    }
    Put32(bits, n);
  }
  void WriteBit(bool bit) { Put32(bit ? 1 : 0, 1); }

  // Pads the last byte with zero bits and flushes it. The writer may be
  // reused afterwards; the next bit starts on a fresh byte.
  void Finish();

  // Bits written since construction or the last Finish().
  uint64_t bits_written() const { return bits_; }

 private:
  // REQUIRES: n <= 32.
  void Put32(uint64_t bits, int n) {
    uint64_t mask = n == 0 ? 0 : (~uint64_t{0} >> (64 - n));
    acc_ = (acc_ << n) | (bits & mask);
    nacc_ += n;
    bits_ += n;
    if (nacc_ >= 32) {
      nacc_ -= 32;
      uint32_t w = static_cast<uint32_t>(acc_ >> nacc_);
      char buf[4] = {static_cast<char>(w >> 24), static_cast<char>(w >> 16),
                     static_cast<char>(w >> 8), static_cast<char>(w)};
      out_->append(buf, 4);
    }
  }

  std::string* out_;
  uint64_t acc_ = 0;  // the low nacc_ bits are pending; higher bits are stale
  int nacc_ = 0;      // always < 32 between calls
  uint64_t bits_ = 0;
};

// Reads an MSB-first bit stream out of a caller-owned buffer. Cheap to copy.
class BitReader {
 public:
  explicit BitReader(std::string_view bytes)
      : data_(reinterpret_cast<const uint8_t*>(bytes.data())), size_(bytes.size()) {}

  // The next 64 bits of the stream without consuming them; at least the top
  // 57 are exact (bits past the end read as zero). Use for multi-field peeks.
  uint64_t Peek() const {
    size_t byte = pos_ >> 3;
    uint64_t w;
    if (byte + 8 <= size_) {
      std::memcpy(&w, data_ + byte, 8);
      w = FromBigEndian(w);
    } else {
      w = LoadTail(data_, size_, byte);
    }
    return w << (pos_ & 7);
  }

  void Skip(int n) { pos_ += n; }

  // Reads n bits, n in [0, 56].
  uint64_t Read56(int n) {
    uint64_t v = n == 0 ? 0 : Peek() >> (64 - n);
    pos_ += n;
    return v;
  }

  // Reads n bits, n in [0, 64].
  uint64_t Read(int n) {
    if (n <= 56) return Read56(n);
    uint64_t hi = Read56(32);
    return (hi << (n - 32)) | Read56(n - 32);
  }

  bool ReadBit() { return Read56(1) != 0; }

  // True once any read went past the end of the buffer; sticky.
  bool overrun() const { return pos_ > size_ * 8; }
  uint64_t bit_position() const { return pos_; }

 private:
  static uint64_t FromBigEndian(uint64_t w) {
    if constexpr (std::endian::native == std::endian::little) return __builtin_bswap64(w);
    return w;
  }
  // The last < 8 bytes of the buffer, zero-padded; out of line because it is
  // hit at most a few times per stream. Static so that `this` does not escape
  // and the hot loops can keep pos_ in a register.
  static uint64_t LoadTail(const uint8_t* data, size_t size, size_t byte);

  const uint8_t* data_;
  size_t size_;
  uint64_t pos_ = 0;  // in bits; may run past size_ * 8 (see overrun())
};

}  // namespace sextant::chunkenc
