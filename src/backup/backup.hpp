// Backups, checks and the files of a restore (docs/ARCHITECTURE.md, backup/). A backup is a
// store directory of its own, copied page by page from one read snapshot of each database taken
// together under the write lock (a point in time), written in a hidden staging directory and
// renamed into place. A restore's replay and sweep are retention's; this room makes and checks
// the files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

#include <amanah/backup.hpp>
#include <amanah/key_provider.hpp>
#include <amanah/policy.hpp>
#include <amanah/store.hpp>

#include "audit/log.hpp"
#include "db/db.hpp"
#include "policy/engine.hpp"
#include "store/core.hpp"

namespace amanah::detail::backup {

class Backups {
 public:
  struct Services {
    audit::Log& log;
    policy::Engine& policy;
  };
  Backups(store::Core& core, const Services& s) : core_(core), log_(s.log), policy_(s.policy) {}
  Backups(const Backups&) = delete;
  Backups& operator=(const Backups&) = delete;

  // Needs the `backup` action; recorded (the copy holds its own entry). `dir` is absolute and
  // normalized (facade's normalized()).
  [[nodiscard]] BackupInfo backup(const AccessContext& ctx, const std::filesystem::path& dir,
                                  const BackupOptions& options);
  // The live store's files: every page, the b-trees, the audit chain; counts.
  [[nodiscard]] CheckReport check();
  // The databases' raw keys. Needs the `disclose_keys` action; recorded (and committed) before
  // they are returned.
  [[nodiscard]] DatabaseKeys disclose_keys(const AccessContext& ctx);

 private:
  store::Core& core_;
  audit::Log& log_;
  policy::Engine& policy_;
};

// verify_backup(): the files opened read-only, nothing written.
[[nodiscard]] CheckReport verify(const std::filesystem::path& dir, const KeyProvider& key);

// A restore's files: the backup at `from`, checked (verify), copied into a new hidden directory
// beside `to` and synced. The caller opens it, replays, and then place()s it.
struct Staged {
  std::filesystem::path dir;
  BackupInfo backup;
};
[[nodiscard]] Staged stage(const std::filesystem::path& from, const std::filesystem::path& to,
                           const KeyProvider& key);
// Renames a staged directory to `to` (AlreadyExists if something appeared there) and syncs.
void place(const std::filesystem::path& staged, const std::filesystem::path& to);

}  // namespace amanah::detail::backup
