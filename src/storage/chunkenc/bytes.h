// Byte-string column codec (Encoding::kBytes), for string series and
// serialized histograms: each value is a varint length and its bytes.
// Values are opaque and incompressible here on purpose; the caller picks a
// representation (and compression, if any) that suits the value type.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sextant::chunkenc {

void EncodeBytesColumn(std::span<const std::string_view> values, std::string* out);

// Decodes exactly `n` values from `bytes`, which must hold this column and
// nothing after it. Appends to `out`; returns DataLoss on malformed input.
Status DecodeBytesColumn(std::string_view bytes, size_t n, std::vector<std::string>* out);

}  // namespace sextant::chunkenc
