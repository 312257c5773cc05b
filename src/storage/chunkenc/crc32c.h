// CRC-32C (Castagnoli), the checksum the chunk format stores for its index
// and for every block payload. Uses the SSE4.2 instruction when the CPU has
// it (checked once at run time, so the binary still runs anywhere) and a
// slicing-by-8 table otherwise; both give identical results.
#pragma once

#include <cstdint>
#include <string_view>

namespace sextant::chunkenc {

uint32_t Crc32c(std::string_view data);

}  // namespace sextant::chunkenc
