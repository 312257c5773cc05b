// How a config value or a series' last value sits in an attribute row's
// columns (docs/format/schema.md): `num` (a double, for ordering in SQL),
// `int_value` (integers, and a float's exact bits), `text_value` (strings,
// a string set as a JSON array, a file's digest). Shared by every SQL
// backend so that they store values identically.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/types.h"

namespace sextant::storage {

struct ValueColumns {
  std::optional<double> num;
  std::optional<int64_t> int_value;
  std::optional<std::string> text;
};

// A config value's columns.
ValueColumns ConfigColumns(const model::Value& v);
// A float's exact bits, as kept in int_value.
int64_t DoubleBits(double v);

// The value of an attribute of `type` from its int_value and text_value
// columns (nullopt: NULL).
model::Value ValueFromColumns(model::AttrType type, std::optional<int64_t> int_value,
                              std::optional<std::string_view> text);

}  // namespace sextant::storage
