// What the native API's fuzz harnesses assert of a decoder's answer.
#pragma once

#include <cstdlib>

#include "common/status.h"

namespace sextant::api::fuzz {

inline void Check(bool ok) {
  if (!ok) std::abort();
}

// What a client can cause: a 400 or a 413, never a 500.
inline void CheckClientError(const Status& s) {
  Check(s.code() == Code::kInvalidArgument || s.code() == Code::kTooLarge);
  Check(!s.message().empty());
}

}  // namespace sextant::api::fuzz
