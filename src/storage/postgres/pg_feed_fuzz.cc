// libFuzzer harness for change-feed payloads (NOTIFY messages that any
// process connected to the database may send): Decode never crashes, and
// what it accepts encodes back to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "storage/postgres/pg_feed.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using sextant::storage::postgres::ChangeFeed;
  std::string_view payload(reinterpret_cast<const char*>(data), size);
  uint64_t origin = 0;
  sextant::storage::Change c;
  if (ChangeFeed::Decode(payload, &origin, &c)) {
    uint64_t origin2 = 0;
    sextant::storage::Change c2;
    if (!ChangeFeed::Decode(ChangeFeed::Encode(origin, c), &origin2, &c2) || origin2 != origin ||
        c2.project_id != c.project_id || c2.run_id != c.run_id || c2.kind != c.kind || c2.event != c.event)
      std::abort();
  }
  return 0;
}
