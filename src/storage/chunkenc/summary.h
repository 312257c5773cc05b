// Serialization of block summaries inside `index` (private to chunkenc).
// Fields are delta-coded against the previous block, and the float fields
// XOR-coded against the block's first value, so a summary costs 45-55 bytes
// instead of the ~120 of its in-memory form. Layout: docs/format/chunk.md.
#pragma once

#include <string>

#include "storage/chunkenc/chunk.h"
#include "storage/chunkenc/coding.h"

namespace sextant::chunkenc {

// `prev` is the previous block's summary, or null for the first block.
void PutSummary(Encoding enc, const BlockSummary& s, const BlockSummary* prev, std::string* out);

// Reads one summary and checks its internal consistency and its order after
// `prev`; fills every field except `offset`, which the caller accumulates.
// Returns false on malformed input.
bool GetSummary(Encoding enc, ByteCursor* in, const BlockSummary* prev, BlockSummary* s);

}  // namespace sextant::chunkenc
