// Blind indexes of lookup fields: a keyed HMAC of the normalized value, truncated to the field's
// index_bits, so equal values share a tag and the index alone reveals little. Truncation makes
// tags collide on purpose: whoever reads holders compares the real values (records/).
// Owns the blind_index table of data.db.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>

#include <amanah/manifest.hpp>

#include "db/db.hpp"
#include "keys/hierarchy.hpp"

namespace amanah::detail::index {

class BlindIndex {
 public:
  explicit BlindIndex(const keys::KeyHierarchy& keys) : keys_(keys) {}
  BlindIndex(const BlindIndex&) = delete;
  BlindIndex& operator=(const BlindIndex&) = delete;

  // The tag of a value's index form (any thread; the field's key is derived on first use).
  [[nodiscard]] std::int64_t tag(const Field& f, std::string_view index_form);

  // Inside the caller's write transaction.
  // Subjects are named by their row in the subjects table (an integer: smaller rows, and the
  // candidates of a lookup are found without a second index).
  void add(db::Connection& w, std::int64_t subject_row, const Field& f,
           std::string_view index_form);
  void remove(db::Connection& w, std::int64_t subject_row, const Field& f,
              std::string_view index_form);
  void drop_field(db::Connection& w, std::string_view field);
  // Tags that more than one subject holds in `field`.
  [[nodiscard]] std::vector<std::int64_t> shared_tags(db::Connection& c, std::string_view field);

  // Forgets the derived keys (the store closes).
  void clear() noexcept {
    std::unique_lock g(mu_);
    by_field_.clear();
  }

 private:
  const keys::KeyHierarchy& keys_;
  std::shared_mutex mu_;
  std::map<std::string, keys::IndexKey, std::less<>> by_field_;
};

}  // namespace amanah::detail::index
