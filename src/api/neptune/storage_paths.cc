#include "api/neptune/storage_paths.h"

#include "model/types.h"

namespace sextant::api::neptune {

namespace {
constexpr std::string_view kPrefix = "sextant/";
}

std::string FileStoragePath(const FileLocation& f) {
  return std::string(kPrefix) + f.run_id + "/" + (f.step ? model::StepToString(*f.step) : "-") + "/" + f.path;
}

std::optional<FileLocation> ParseFileStoragePath(std::string_view s) {
  if (!s.starts_with(kPrefix)) return std::nullopt;
  s.remove_prefix(kPrefix.size());
  size_t a = s.find('/');
  if (a == std::string_view::npos) return std::nullopt;
  size_t b = s.find('/', a + 1);
  if (b == std::string_view::npos || b + 1 >= s.size()) return std::nullopt;
  FileLocation f;
  f.run_id = std::string(s.substr(0, a));
  std::string_view step = s.substr(a + 1, b - a - 1);
  if (step != "-") {
    auto m = model::StepFromString(step);
    if (!m.ok()) return std::nullopt;
    f.step = *m;
  }
  f.path = std::string(s.substr(b + 1));
  if (f.run_id.empty()) return std::nullopt;
  return f;
}

}  // namespace sextant::api::neptune
