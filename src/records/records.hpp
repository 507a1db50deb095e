// The records service: customers' field values in data.db (the subjects table), validated,
// normalized, sealed where the manifest says, indexed for lookup, and recorded in the access log.
// Reads run on reader connections (shared gate only); writes on the writer (write lock).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include <amanah/manifest.hpp>
#include <amanah/record.hpp>
#include <amanah/store.hpp>

#include "audit/access_log.hpp"
#include "db/db.hpp"
#include "index/blind_index.hpp"
#include "keys/subject_keys.hpp"
#include "records/doc.hpp"
#include "store/core.hpp"

namespace amanah::detail::records {

class Records {
 public:
  Records(store::Core& core, keys::SubjectKeys& keys, index::BlindIndex& index,
          audit::AccessLog& log)
      : core_(core), keys_(keys), index_(index), log_(log) {}
  Records(const Records&) = delete;
  Records& operator=(const Records&) = delete;

  [[nodiscard]] std::vector<CustomerId> insert_many(const AccessContext& ctx,
                                                    const std::vector<FieldValues>& records,
                                                    std::vector<Warning>* warnings);
  [[nodiscard]] Record get(const AccessContext& ctx, const CustomerId& id,
                           const std::vector<std::string>& fields);
  void update(const AccessContext& ctx, const CustomerId& id, const FieldChanges& changes,
              std::vector<Warning>* warnings);
  [[nodiscard]] std::vector<CustomerId> find(const AccessContext& ctx, std::string_view field,
                                             std::string_view value);
  [[nodiscard]] RecordScan scan(const AccessContext& ctx, std::vector<std::string> fields);
  [[nodiscard]] std::vector<std::vector<CustomerId>> find_duplicates(const AccessContext& ctx);
  void merge(const AccessContext& ctx, const CustomerId& keep, const CustomerId& absorb);
  [[nodiscard]] std::size_t size();

  // The batch of a scan after row `after` (row order), which it advances.
  [[nodiscard]] std::vector<Record> scan_batch(const AccessContext& ctx,
                                               const std::vector<std::string>& fields,
                                               std::int64_t& after);

  // Makes `next` the manifest in force: checks what it would do to stored values, erases or
  // re-indexes as it says, and keeps it in data.db (one transaction). Write lock held.
  void adopt_manifest(const Manifest& next, const OpenOptions& options);
  // Which of `key_ids` a subject's record refers to (the orphan-key sweep at open).
  [[nodiscard]] std::unordered_set<std::string> claimed_keys(
      const std::vector<std::string>& key_ids);

 private:
  struct Loaded {
    std::string key_id;
    Doc doc;
    std::int64_t row = 0;  // the subject's row (what the blind index refers to)
  };
  // The manifest in force, once `ctx` and the requested `fields` are checked against it (the
  // store open, gate held).
  std::shared_ptr<const Manifest> checked(const AccessContext& ctx,
                                          const std::vector<std::string>& fields);
  std::string plain_value(std::string_view subject, std::string_view key_id, std::string_view field,
                          const DocValue& v);
  // Subjects whose lookup field `f` has tag `tag`, each with the index form of its stored value
  // (the index is truncated on purpose: callers compare the forms). One statement.
  std::vector<std::pair<std::string, std::string>> tagged(db::Connection& c, const Field& f,
                                                          std::int64_t tag);
  std::vector<std::string> holders(db::Connection& c, const Field& f, const std::string& form);
  void check_unique(db::Connection& c, const Field& f, const std::string& form,
                    std::string_view self);

  store::Core& core_;
  keys::SubjectKeys& keys_;
  index::BlindIndex& index_;
  audit::AccessLog& log_;
};

}  // namespace amanah::detail::records
