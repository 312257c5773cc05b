#include "api/json_writer.h"

#include "query/filter_datetime.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace sextant::api {

void JsonWriter::Sep() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_ += ',';
    first_.back() = false;
  }
}

JsonWriter& JsonWriter::BeginObject() {
  Sep();
  out_ += '{';
  first_.push_back(true);
  return *this;
}
JsonWriter& JsonWriter::EndObject() {
  out_ += '}';
  first_.pop_back();
  return *this;
}
JsonWriter& JsonWriter::BeginArray() {
  Sep();
  out_ += '[';
  first_.push_back(true);
  return *this;
}
JsonWriter& JsonWriter::EndArray() {
  out_ += ']';
  first_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::Key(std::string_view k) {
  String(k);
  out_ += ':';
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view s) {
  Sep();
  out_ += '"';
  static const char kHex[] = "0123456789abcdef";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out_ += "\\\""; break;
      case '\\': out_ += "\\\\"; break;
      case '\n': out_ += "\\n"; break;
      case '\r': out_ += "\\r"; break;
      case '\t': out_ += "\\t"; break;
      default:
        if (c < 0x20) {
          out_ += "\\u00";
          out_ += kHex[c >> 4];
          out_ += kHex[c & 15];
        } else {
          out_ += static_cast<char>(c);
        }
    }
  }
  out_ += '"';
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t v) {
  Sep();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, r.ptr);
  return *this;
}

JsonWriter& JsonWriter::Double(double v) {
  if (std::isnan(v)) return String("NaN");
  if (std::isinf(v)) return String(v > 0 ? "Infinity" : "-Infinity");
  Sep();
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, r.ptr);
  // Keep floats floats: "1" would read back as an integer and "-0" as 0.
  if (std::find_if(buf, r.ptr, [](char c) { return c == '.' || c == 'e'; }) == r.ptr)
    out_ += ".0";
  return *this;
}

JsonWriter& JsonWriter::Bool(bool v) {
  Sep();
  out_ += v ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::Null() {
  Sep();
  out_ += "null";
  return *this;
}

JsonWriter& JsonWriter::Step(int64_t micro) { return Raw(model::StepToString(micro)); }

JsonWriter& JsonWriter::Seconds(int64_t micros) {
  return Double(static_cast<double>(micros) / 1e6);
}

JsonWriter& JsonWriter::Raw(std::string_view json) {
  Sep();
  out_ += json;
  return *this;
}

JsonWriter& JsonWriter::Value(const model::Value& v) {
  using model::AttrType;
  switch (v.type) {
    case AttrType::kFloat:
    case AttrType::kFloatSeries:
      return Double(v.f);
    case AttrType::kInt:
      return Int(v.i);
    case AttrType::kBool:
      return Bool(v.i != 0);
    case AttrType::kDatetime:
      return String(query::internal::FormatDatetime(v.i));
    case AttrType::kStringSet:
      BeginArray();
      for (const auto& s : v.set) String(s);
      return EndArray();
    case AttrType::kHistogramSeries:
      return v.s.empty() ? Null() : Raw(v.s);
    default:
      return String(v.s);
  }
}

}  // namespace sextant::api
