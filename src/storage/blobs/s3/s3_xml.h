// Reading S3's XML answers (errors, multipart uploads, listings) with
// libxml2. Only what the store needs: the text of named elements, matched by
// local name at any depth, so namespaces and element order do not matter.
// Bytes come from the network: malformed XML is an error, never a crash
// (fuzzed by s3_xml_fuzz.cc), and no entity or DTD is ever loaded.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sextant::blobs::s3xml {

// One element's direct children that hold only text: local name -> text.
using Fields = std::map<std::string, std::string>;

// The text of the first element named `name`, or "" if there is none.
// InvalidArgument if the document is not well-formed XML.
Result<std::string> FirstText(std::string_view xml, std::string_view name);

// For every element named `name`, its text-only children.
Result<std::vector<Fields>> Elements(std::string_view xml, std::string_view name);

}  // namespace sextant::blobs::s3xml
