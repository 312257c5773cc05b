// Fuzzes the binary log batch decoder (log_batch_binary.h,
// docs/format/log-batch.md) with request bodies as they arrive over HTTP: the
// whole input is the body of POST …/log with Content-Type
// application/vnd.sextant.log-batch. Any input must decode or give a 4xx
// status value: no crash, exception, overflow or leak. A decoded batch has
// columns of equal length and goes through model::ValidateLogBatch, as the
// server does; what that accepts has strictly increasing steps per series.
// Seeds: fuzz/corpus/log_batch_binary/ (written by
// fuzz/log_batch_binary_seeds.py), dictionary: fuzz/dict/log_batch_binary.dict.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "api/native/log_batch_binary.h"
#include "api/native/fuzz_checks.h"
#include "model/operations.h"

namespace {

using sextant::api::fuzz::Check;
using sextant::api::fuzz::CheckClientError;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto batch = sextant::api::DecodeBinaryLogBatch(body, /*now_us=*/1'767'225'600'000'000);
  if (!batch.ok()) {
    CheckClientError(batch.status());
    return 0;
  }
  for (const sextant::model::SeriesWrite& s : batch->series) {
    Check(s.ts.size() == s.steps.size());
    // Float series (every binary one) carry floats; the JSON part's string
    // and histogram series carry bytes.
    Check(s.floats.size() == s.steps.size() || s.bytes.size() == s.steps.size());
  }
  sextant::Status v =
      sextant::model::ValidateLogBatch(&*batch, sextant::model::Limits{}, std::nullopt);
  if (!v.ok()) {
    CheckClientError(v);
    return 0;
  }
  for (const sextant::model::SeriesWrite& s : batch->series) {
    Check(!s.steps.empty());
    for (size_t i = 1; i < s.steps.size(); ++i) Check(s.steps[i - 1] < s.steps[i]);
  }
  return 0;
}
