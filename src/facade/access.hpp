// Test-only access to a store's internals (never part of the public API).
#pragma once

#include <amanah/store.hpp>

#include <cstdint>
#include <mutex>
#include <string_view>

#include "db/db.hpp"

namespace amanah::detail {

namespace consent {
class Consents;
}
namespace audit {
class Log;
}

struct StoreAccess {
  static db::Connection& data_db(CustomerStore& s);
  static db::Connection& keys_db(CustomerStore& s);
  // The SQLCipher raw keys currently in use.
  static SecretBytes data_db_key(const CustomerStore& s);
  static SecretBytes keys_db_key(const CustomerStore& s);
  // The writer's lock: held by a test, it shows that reads do not wait for it.
  static std::mutex& write_mutex(CustomerStore& s);
  // The consent service (the calls consent gating makes) and the data.db reader pool.
  static consent::Consents& consents(CustomerStore& s);
  static db::ReaderPool& data_readers(CustomerStore& s);
  // The audit service (e.g. set_log_reads(false): the benchmark's "reads not logged" baseline).
  static audit::Log& audit_log(CustomerStore& s);
  // The blind-index tag of `index_form` in lookup field `field` (e.g. to plant an old-form tag).
  static std::int64_t index_tag(CustomerStore& s, std::string_view field,
                                std::string_view index_form);
};

}  // namespace amanah::detail
