// libFuzzer harness: the Neptune ingest decoder (ingest_decode.h) on
// arbitrary bytes must never crash, and what it accepts names a valid project.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/neptune/ingest_decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto d = sextant::api::neptune::DecodeRunOperation(body, 1'700'000'000'000'000);
  if (d.ok()) {
    if (!sextant::model::ValidateProjectName(d->project).ok()) __builtin_trap();
    if (d->run_id.empty()) __builtin_trap();
  }
  return 0;
}
