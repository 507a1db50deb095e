// Recording who accessed what and why (an audit concern; the tamper-evident log replaces this
// table next). Writes are recorded in the transaction of the change; reads are queued and
// written in batches (with the next write, at close, and when 256 are queued and the writer is
// free; past 1,024 a reader waits for the writer), so a read never waits for a disk sync nor,
// usually, for the writer. A batch of reads alone is committed without a
// sync of its own: it reaches the disk with the next write's sync or a checkpoint (a process
// crash keeps it; a power loss before then may not, like the reads still queued).
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <amanah/policy.hpp>
#include <amanah/record.hpp>

#include "db/db.hpp"
#include "keys/typed.hpp"

namespace amanah::detail::store {
class Core;
}

namespace amanah::detail::audit {

struct AccessEntry {
  std::int64_t at = 0;  // unix seconds, from the store's clock
  std::string actor, roles, purpose, action;
  std::string subject;  // keyed pseudonym of the subject id; empty when not about one subject
  std::string fields;   // field names, comma-separated; never values
  std::string decision = "allow";  // "allow" or "deny"
  std::string rules;               // the deciding rule ids, comma-separated
};

// "a,b,c": how roles and field names are written in the log.
[[nodiscard]] std::string join_names(const std::vector<std::string>& names);

class AccessLog {
 public:
  static constexpr std::size_t kReadBatch = 256;

  explicit AccessLog(store::Core& core);
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // A write, recorded inside its transaction after the reads queued before it. If the
  // transaction rolls back, those reads go back to the queue.
  void record_write(db::Transaction& tx, const AccessContext& ctx, std::string_view action,
                    std::string_view subject, std::string_view fields, std::string_view rules = {});
  // A read (any thread): queued; a full batch is written by whoever fills it, if the writer is
  // free, else with the next write.
  void record_read(const AccessContext& ctx, std::string_view subject, std::string_view fields,
                   std::string_view rules = {});
  // A denied request (any action; nothing was read or written): queued like a read.
  void record_denial(const AccessContext& ctx, std::string_view action, std::string_view subject,
                     std::string_view fields, std::string_view rules);
  // A request the policy denied, with the rules that denied it; a role or purpose the manifest
  // does not declare (possibly a value passed by mistake) is kept as "(undeclared)".
  void record_denial(const AccessContext& ctx, std::string_view action, std::string_view subject,
                     std::string_view fields, const Decision& d);
  // Writes what is queued in a transaction of its own (write lock held), e.g. at close.
  void flush() noexcept;
  // Flushes, then forgets the audit key (the store closes; write lock held).
  void close() noexcept;

 private:
  [[nodiscard]] AccessEntry entry(const AccessContext& ctx, std::string_view action,
                                  std::string_view subject, std::string_view fields,
                                  std::string_view rules) const;
  void enqueue(AccessEntry e);
  void write_batch();  // write lock held
  std::vector<AccessEntry> take_queue();

  store::Core& core_;
  keys::AuditKey key_;
  std::mutex queue_mu_;
  std::vector<AccessEntry> queue_;
};

}  // namespace amanah::detail::audit
