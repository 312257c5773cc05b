#include "storage/config_columns.h"

#include <cstring>

#include <nlohmann/json.hpp>

namespace sextant::storage {

int64_t DoubleBits(double v) {
  int64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits;
}

ValueColumns ConfigColumns(const model::Value& v) {
  switch (v.type) {
    case model::AttrType::kFloat:
      return {v.f, DoubleBits(v.f), std::nullopt};
    case model::AttrType::kString:
      return {std::nullopt, std::nullopt, v.s};
    case model::AttrType::kStringSet:
      return {std::nullopt, std::nullopt, nlohmann::json(v.set).dump()};
    default:  // int, bool, datetime
      return {static_cast<double>(v.i), v.i, std::nullopt};
  }
}

model::Value ValueFromColumns(model::AttrType type, std::optional<int64_t> int_value,
                              std::optional<std::string_view> text) {
  model::Value v;
  v.type = type;
  using model::AttrType;
  switch (type) {
    case AttrType::kFloat:
    case AttrType::kFloatSeries:
      if (int_value) std::memcpy(&v.f, &*int_value, sizeof v.f);
      break;
    case AttrType::kString:
    case AttrType::kStringSeries:
    case AttrType::kHistogramSeries:
      if (text) v.s = std::string(*text);
      break;
    case AttrType::kStringSet:
      if (text) {
        auto j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
        if (j.is_array())
          for (auto& m : j)
            if (m.is_string()) v.set.push_back(m.get<std::string>());
      }
      break;
    case AttrType::kFile:
    case AttrType::kFileSeries:
      if (text) v.s = std::string(*text);
      v.i = int_value.value_or(0);
      break;
    default:
      v.i = int_value.value_or(0);
  }
  return v;
}

}  // namespace sextant::storage
