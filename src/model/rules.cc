#include "model/rules.h"

#include <algorithm>
#include <random>

namespace sextant::model {

Value EditTags(std::vector<std::string> current, const std::vector<std::string>& add,
               const std::vector<std::string>& remove) {
  for (const auto& t : add) current.push_back(t);
  Value v = Value::StringSet(std::move(current));
  std::erase_if(v.set, [&](const std::string& t) {
    return std::find(remove.begin(), remove.end(), t) != remove.end();
  });
  return v;
}

std::optional<std::string> RenameOf(const LogBatch& batch) {
  std::optional<std::string> name;
  for (const auto& [path, value] : batch.configs)
    if (path == "sys/name" && value.type == AttrType::kString) name = value.s;
  return name;
}

Status CheckResumedFork(const std::string& run_id, const std::optional<std::string>& parent,
                        const std::optional<int64_t>& step, const CreateRunOp& op) {
  if (!op.fork_run_id || (parent == op.fork_run_id && step == op.fork_step)) return Status::Ok();
  return Status::Conflict("run '" + run_id + "' exists with different fork parameters");
}

std::string GenerateRunId() {
  static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 rng(std::random_device{}());
  std::string id = "run-";
  for (int i = 0; i < 10; ++i) id += kAlphabet[rng() % 36];
  return id;
}

}  // namespace sextant::model
