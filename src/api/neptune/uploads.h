// Files that neptune-scale uploads through a signed URL, by the storage path
// the client chose, and the attributes that refer to them: the tracker's
// upload records (storage/upload_records.h), shared by every replica when
// runs live in PostgreSQL.
#pragma once

#include "storage/upload_records.h"

namespace sextant::api::neptune {

using UploadRef = storage::UploadRecord;
using PendingAttach = storage::PendingAttachment;
using Uploads = storage::UploadRecords;

}  // namespace sextant::api::neptune
