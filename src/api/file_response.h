// A stored file as an HTTP response, for every front end that serves files
// (native downloads, MLflow artifacts): the bytes through http::FileBody
// (the transport adds Range support), an ETag of the digest, and the safe
// headers of native/file_headers.h: the type sniffed from the first bytes,
// never taken from the name, Content-Disposition with the original name,
// nosniff and a sandbox.
#pragma once

#include "common/status.h"
#include "core/tracker.h"
#include "http/message.h"

namespace sextant::api {

Result<http::Response> FileResponse(core::Tracker* t, const storage::FileRef& ref);

}  // namespace sextant::api
