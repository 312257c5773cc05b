// A small append-only JSON writer for responses. Numbers are printed with
// std::to_chars (shortest round-trip form), non-finite floats as the strings
// "NaN", "Infinity", "-Infinity" (docs/api/native.md), steps exactly.
//
// The caller is responsible for well-formed nesting; Key() and the value
// methods insert commas automatically.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/types.h"

namespace sextant::api {

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view k);
  JsonWriter& String(std::string_view s);
  JsonWriter& Int(int64_t v);
  JsonWriter& Double(double v);
  JsonWriter& Bool(bool v);
  JsonWriter& Null();
  JsonWriter& Step(int64_t micro);        // a decimal step, printed exactly
  JsonWriter& Seconds(int64_t micros);    // µs since epoch as Unix seconds
  JsonWriter& Raw(std::string_view json);  // pre-encoded JSON value
  JsonWriter& Value(const model::Value& v);

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void Sep();
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

}  // namespace sextant::api
