// Paging of lists that can be large: projects, a run's attributes, a
// project's attribute paths, saved views.
//
// Keyset paging: each list is ordered by a unique key (path, project
// "workspace/name", view name), and a page is "the first `limit` items after
// this key". The key of the last item returned travels to the client as an
// opaque token (base64url of a one-byte list kind and the key), so a page
// costs one index seek plus `limit` rows however deep it is, and pages stay
// correct under inserts: an item inserted before the cursor is simply not
// seen, one inserted after it is, nothing is returned twice or skipped.
//
// HTTP: query parameters `limit` and `page_token`; responses carry
// "next_page_token": "<token>" or null on the last page.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "model/limits.h"

namespace sextant::core {

struct PageRequest {
  size_t limit = model::kDefaultPageLimit;  // 1..model::kMaxPageLimit
  std::string page_token;                   // empty: the first page
};

template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_page_token;  // empty: this is the last page
};

// Which list a token belongs to: a token of one list is malformed for another.
enum class PageKind : char {
  kAttributes = 'a',
  kPaths = 'p',
  kProjects = 'j',
  kViews = 'v',
};

// InvalidArgument "limit: expected an integer from 1 to 10000" or
// "page_token: malformed"; on success the key the page starts after ("" for
// the first page: every key is non-empty).
Result<std::string> DecodePageRequest(PageKind kind, const PageRequest& req);
std::string EncodePageToken(PageKind kind, std::string_view last_key);

// Keeps the first `limit` of `items` (which the caller fetched as limit + 1
// to learn whether more follow) and sets the token from the last one kept.
template <typename T, typename KeyFn>
Page<T> MakePage(std::vector<T> items, size_t limit, PageKind kind, KeyFn key) {
  Page<T> page;
  if (items.size() > limit) {
    items.resize(limit);
    page.next_page_token = EncodePageToken(kind, key(items.back()));
  }
  page.items = std::move(items);
  return page;
}

}  // namespace sextant::core
