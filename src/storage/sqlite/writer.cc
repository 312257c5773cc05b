#include "storage/sqlite/writer.h"

#include <vector>

namespace sextant::storage::sqlite {

// Bounds the work behind one COMMIT so that the first waiter is not delayed
// without limit while others keep arriving.
constexpr size_t kMaxTasksPerCommit = 256;

Writer::Writer(std::unique_ptr<Db> db) : db_(std::move(db)) {
  thread_ = std::thread([this] { Loop(); });
}

Writer::~Writer() { Stop(); }

void Writer::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status Writer::Submit(Task task, AfterCommit after) {
  auto item = std::make_unique<Item>();
  item->task = std::move(task);
  item->after = std::move(after);
  std::future<Status> f = item->done.get_future();
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopping_) return Status::Unavailable("the server is shutting down");
    queue_.push_back(std::move(item));
  }
  cv_.notify_one();
  return f.get();
}

void Writer::Loop() {
  for (;;) {
    std::vector<std::unique_ptr<Item>> batch;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
      while (!queue_.empty() && batch.size() < kMaxTasksPerCommit) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    std::vector<Status> results(batch.size());
    Status begin = db_->Exec("BEGIN IMMEDIATE");
    if (!begin.ok()) {
      for (auto& it : batch) it->done.set_value(begin);
      continue;
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      Status sp = db_->Exec("SAVEPOINT task");
      if (!sp.ok()) {
        results[i] = sp;
        continue;
      }
      results[i] = batch[i]->task(*db_);
      if (!results[i].ok()) (void)db_->Exec("ROLLBACK TO task");
      (void)db_->Exec("RELEASE task");
    }
    Status commit = db_->Exec("COMMIT");
    if (!commit.ok()) {
      (void)db_->Exec("ROLLBACK");
      for (auto& r : results)
        if (r.ok()) r = commit.WithContext("committing");
    } else {
      ++commits_;
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      if (results[i].ok() && batch[i]->after) batch[i]->after();
      batch[i]->done.set_value(results[i]);
    }
  }
}

}  // namespace sextant::storage::sqlite
