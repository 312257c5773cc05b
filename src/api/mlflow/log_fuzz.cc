// libFuzzer harness for the MLflow logging decoders (log.h): any bytes as a
// log-batch body must give a batch the core accepts or refuses with
// InvalidArgument/TooLarge/Conflict — never a crash, never another code.
#include <simdjson.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "api/mlflow/log.h"
#include "model/limits.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

bool ClientError(const sextant::Status& s) {
  using sextant::Code;
  return s.code() == Code::kInvalidArgument || s.code() == Code::kTooLarge;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sextant;
  static simdjson::dom::parser parser;
  std::string body(reinterpret_cast<const char*>(data), size);
  simdjson::dom::element root;
  if (parser.parse(body).get(root) != simdjson::SUCCESS) return 0;
  auto batch = api::mlflow::DecodeBatch(root, body.size());
  if (!batch.ok()) {
    Check(ClientError(batch.status()));
  } else {
    auto b = api::mlflow::ToLogBatch(*batch);
    if (!b.ok()) {
      Check(ClientError(b.status()));
    } else {
      Status st = model::ValidateLogBatch(&*b, model::Limits{}, std::nullopt);
      Check(st.ok() || ClientError(st));
    }
  }
  // The single-entity endpoints take the same objects.
  (void)api::mlflow::DecodeMetric(root);
  (void)api::mlflow::DecodeParam(root);
  (void)api::mlflow::DecodeTag(root);
  return 0;
}
