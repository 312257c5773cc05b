#include "http/message.h"

#include <cctype>

namespace sextant::http {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::optional<std::string_view> Headers::Get(std::string_view name) const {
  for (const auto& [n, v] : fields_)
    if (EqualsIgnoreCase(n, name)) return std::string_view(v);
  return std::nullopt;
}

size_t Headers::Count(std::string_view name) const {
  size_t n = 0;
  for (const auto& f : fields_) n += EqualsIgnoreCase(f.first, name);
  return n;
}

void Headers::Set(std::string_view name, std::string value) {
  std::erase_if(fields_, [&](const auto& f) { return EqualsIgnoreCase(f.first, name); });
  fields_.emplace_back(std::string(name), std::move(value));
}

}  // namespace sextant::http
