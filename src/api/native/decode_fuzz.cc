// Fuzzes the native JSON API decoders (decode.h) with request bodies as they
// arrive over HTTP. The first byte picks the decoder; the rest is the body
// (or, for ParseSortParam, the `sort=` query text); run edits are validated
// as the core does. Any input must decode or
// give a 4xx status value: no crash, exception, overflow or leak. Decoded log
// batches also go through model::ValidateLogBatch, as the server does.
// Seeds: fuzz/corpus/native_decode/, dictionary: fuzz/dict/native_decode.dict.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "api/native/decode.h"
#include "api/native/fuzz_checks.h"
#include "model/operations.h"

namespace {

using sextant::api::fuzz::Check;
using sextant::api::fuzz::CheckClientError;

enum Decoder : uint8_t {
  kLogBatch = 0,
  kCreateRun,
  kRunsQuery,
  kSeriesRequest,
  kFinish,
  kSortParam,
  kRunEdit,
  kBulkEdit,
  kProjectEdit,
  kNumDecoders
};

void FuzzLogBatch(simdjson::dom::element body) {
  auto batch = sextant::api::DecodeLogBatch(body, /*now_us=*/1'767'225'600'000'000);
  if (!batch.ok()) return CheckClientError(batch.status());
  for (const sextant::model::SeriesWrite& s : batch->series) {
    Check(s.ts.size() == s.size());
    Check(s.floats.size() == s.size() || s.bytes.size() == s.size());
  }
  sextant::Status v = sextant::model::ValidateLogBatch(&*batch, sextant::model::Limits{},
                                                       std::nullopt);
  if (!v.ok()) return CheckClientError(v);
  for (const sextant::model::SeriesWrite& s : batch->series) {
    for (size_t i = 1; i < s.size(); ++i) Check(s.steps[i - 1] < s.steps[i]);
  }
}

// Run edits go on to the core's validation, as the server does.
void FuzzEdit(const sextant::Result<sextant::model::EditRunOp>& op) {
  if (!op.ok()) return CheckClientError(op.status());
  sextant::Status v = sextant::model::ValidateEditRun(op.value(), sextant::model::Limits{});
  if (!v.ok()) CheckClientError(v);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sextant::api;
  if (size < 1) return 0;
  auto decoder = static_cast<Decoder>(data[0] % kNumDecoders);
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

  if (decoder == kSortParam) {
    auto keys = ParseSortParam(text);
    if (!keys.ok()) CheckClientError(keys.status());
    return 0;
  }

  // As the server reads a body: padded once, parsed in place.
  static simdjson::dom::parser parser;
  std::string body;
  ReserveForJson(&body, text.size());
  body.assign(text);
  auto root = ParseJsonObject(parser, body);
  if (!root.ok()) {
    CheckClientError(root.status());
    return 0;
  }
  switch (decoder) {
    case kLogBatch:
      FuzzLogBatch(*root);
      break;
    case kCreateRun: {
      auto op = DecodeCreateRun(*root);
      if (!op.ok()) CheckClientError(op.status());
      break;
    }
    case kRunsQuery: {
      auto q = DecodeRunsQuery(*root);
      if (!q.ok()) CheckClientError(q.status());
      break;
    }
    case kSeriesRequest: {
      auto q = DecodeSeriesRequest(*root);
      if (!q.ok()) CheckClientError(q.status());
      break;
    }
    case kFinish: {
      auto state = DecodeFinish(*root);
      if (!state.ok()) CheckClientError(state.status());
      break;
    }
    case kRunEdit:
      FuzzEdit(DecodeRunEdit(*root));
      break;
    case kBulkEdit: {
      auto b = DecodeBulkEdit(*root);
      if (!b.ok()) {
        CheckClientError(b.status());
        break;
      }
      FuzzEdit(b->op);
      break;
    }
    case kProjectEdit: {
      auto d = DecodeProjectEdit(*root);
      if (!d.ok()) CheckClientError(d.status());
      break;
    }
    default:
      break;
  }
  return 0;
}
