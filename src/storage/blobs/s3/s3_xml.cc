#include "storage/blobs/s3/s3_xml.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <climits>
#include <memory>

namespace sextant::blobs::s3xml {
namespace {

struct DocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
using Doc = std::unique_ptr<xmlDoc, DocFree>;

// S3 answers that Sextant reads are small; a listing page is about 1 MiB at most.
constexpr size_t kMaxXml = 16 << 20;

Result<Doc> Parse(std::string_view xml) {
  if (xml.size() > kMaxXml) return Status::InvalidArgument("S3 answer: XML larger than 16 MiB");
  // XML_PARSE_NONET: never fetch anything; no NOENT/DTDLOAD, so entities are
  // not expanded from outside. NOERROR/NOWARNING: the caller reports.
  xmlDoc* d = xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "s3.xml", nullptr,
                            XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
  if (!d || !xmlDocGetRootElement(d)) {
    if (d) xmlFreeDoc(d);
    return Status::InvalidArgument("S3 answer: not well-formed XML");
  }
  return Doc(d);
}

bool Named(const xmlNode* n, std::string_view name) {
  return n->type == XML_ELEMENT_NODE && n->name &&
         std::string_view(reinterpret_cast<const char*>(n->name)) == name;
}

std::string Text(const xmlNode* n) {
  std::string out;
  for (const xmlNode* c = n->children; c; c = c->next)
    if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
      out += reinterpret_cast<const char*>(c->content);
  return out;
}

// Depth-first, iterative: a deeply nested answer cannot exhaust the stack.
template <typename F>
void Walk(const xmlNode* root, F&& visit) {
  std::vector<const xmlNode*> stack{root};
  while (!stack.empty()) {
    const xmlNode* n = stack.back();
    stack.pop_back();
    if (n->type != XML_ELEMENT_NODE) continue;
    if (!visit(n)) return;
    std::vector<const xmlNode*> kids;
    for (const xmlNode* c = n->children; c; c = c->next)
      if (c->type == XML_ELEMENT_NODE) kids.push_back(c);
    for (auto it = kids.rbegin(); it != kids.rend(); ++it) stack.push_back(*it);
  }
}

}  // namespace

Result<std::string> FirstText(std::string_view xml, std::string_view name) {
  ASSIGN_OR_RETURN(Doc d, Parse(xml));
  std::string out;
  Walk(xmlDocGetRootElement(d.get()), [&](const xmlNode* n) {
    if (!Named(n, name)) return true;
    out = Text(n);
    return false;
  });
  return out;
}

Result<std::vector<Fields>> Elements(std::string_view xml, std::string_view name) {
  ASSIGN_OR_RETURN(Doc d, Parse(xml));
  std::vector<Fields> out;
  Walk(xmlDocGetRootElement(d.get()), [&](const xmlNode* n) {
    if (!Named(n, name)) return true;
    Fields f;
    for (const xmlNode* c = n->children; c; c = c->next)
      if (c->type == XML_ELEMENT_NODE && c->name) f[reinterpret_cast<const char*>(c->name)] = Text(c);
    out.push_back(std::move(f));
    return true;
  });
  return out;
}

}  // namespace sextant::blobs::s3xml
