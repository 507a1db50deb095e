// amanah — CustomerStore: an encrypted store directory (keyslots, data.db, keys.db).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <amanah/export.hpp>
#include <amanah/key_provider.hpp>
#include <amanah/secret.hpp>

namespace amanah {

namespace detail {
struct StoreAccess;  // test-only internals
}

struct CreateOptions {
  std::string label = "primary";  // label of the first unlock method
};

struct UnlockMethod {
  std::string id;     // slot id (hex)
  std::string kind;   // provider kind: "passphrase", "raw", "recovery", or a plug-in's
  std::string label;  // free text chosen when the method was added
};

// One open store. Move-only; closing happens on destruction (or close()).
// A store is opened by one CustomerStore at a time: a second open, from this process or another,
// fails with ErrorCode::StoreLocked until the first is closed. Share one instance between threads.
class AMANAH_EXPORT CustomerStore {
 public:
  // Creates a new store in `dir` (which must not exist, or be an empty directory).
  // Fails with AlreadyExists over an existing store or a non-empty directory; on failure nothing
  // is left behind.
  [[nodiscard]] static CustomerStore create(const std::filesystem::path& dir,
                                            const KeyProvider& key,
                                            const CreateOptions& options = {});
  // Opens an existing store. WrongKey if no unlock method of `key`'s kind accepts it, Corrupt
  // if a store file is damaged, NotAStore if `dir` holds no store, StoreLocked if already open.
  [[nodiscard]] static CustomerStore open(const std::filesystem::path& dir, const KeyProvider& key);

  CustomerStore(CustomerStore&&) noexcept;
  CustomerStore& operator=(CustomerStore&&) noexcept;
  CustomerStore(const CustomerStore&) = delete;
  CustomerStore& operator=(const CustomerStore&) = delete;
  ~CustomerStore();

  [[nodiscard]] const std::filesystem::path& path() const;
  [[nodiscard]] std::string store_id() const;

  // Unlock methods. Adding one wraps the root key for `key`; removing one deletes its slot.
  // The last method cannot be removed (InvalidOperation).
  [[nodiscard]] std::vector<UnlockMethod> unlock_methods() const;
  std::string add_unlock_method(const KeyProvider& key, std::string_view label);
  void remove_unlock_method(std::string_view id);
  // Adds a recovery-key slot and returns the printable key: show it once, keep it offline.
  [[nodiscard]] SecretBytes add_recovery_key(std::string_view label = "recovery");

  // Re-encrypts data.db and keys.db under fresh keys derived from the root key (generation + 1).
  // A copy of a database file taken before rekey() does not open with the new keys. Crash-safe:
  // an interrupted rekey is completed by the next open.
  void rekey();
  [[nodiscard]] std::uint64_t key_generation() const;

  // Closes the databases and releases the store lock. Idempotent; the destructor calls it.
  void close() noexcept;
  [[nodiscard]] bool is_open() const noexcept;

 private:
  struct Impl;
  explicit CustomerStore(std::unique_ptr<Impl> impl);
  friend struct detail::StoreAccess;
  std::unique_ptr<Impl> impl_;
};

}  // namespace amanah
