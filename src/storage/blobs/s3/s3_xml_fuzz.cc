// libFuzzer harness for reading S3's XML answers (bytes from the network).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "storage/blobs/s3/s3_xml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view xml(reinterpret_cast<const char*>(data), size);
  (void)sextant::blobs::s3xml::FirstText(xml, "Code");
  (void)sextant::blobs::s3xml::Elements(xml, "Contents");
  return 0;
}
