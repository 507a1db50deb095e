// Backups, checks and restores: forwards to the backup service, and the restore's composition
// (stage the files, open them, replay the ledger, sweep, rename into place).
#include <amanah/backup.hpp>
#include <amanah/error.hpp>
#include <amanah/store.hpp>

#include <mutex>

#include "facade/store_impl.hpp"
#include "store/layout.hpp"

namespace amanah {

BackupInfo CustomerStore::backup(const AccessContext& ctx, const std::filesystem::path& dir,
                                 const BackupOptions& options) {
  return live().backups.backup(ctx, detail::normalized(dir), options);
}

CheckReport CustomerStore::check() {
  return live().backups.check();
}

DatabaseKeys CustomerStore::disclose_database_keys(const AccessContext& ctx) {
  return live().backups.disclose_keys(ctx);
}

CheckReport verify_backup(const std::filesystem::path& dir, const KeyProvider& key) {
  return detail::backup::verify(detail::normalized(dir), key);
}

RestoreReport restore(const std::filesystem::path& from_in, const std::filesystem::path& to_in,
                      const KeyProvider& key, const RestoreOptions& options) {
  const bool has_ledger = options.ledger_file.has_value() || options.ledger_store != nullptr;
  if (!has_ledger && !options.without_ledger)
    throw Error(ErrorCode::InvalidArgument,
                "restore needs the erasure ledger (a ledger file or the live store), or else "
                "without_ledger: a restore without it can bring erased customers back");
  if (has_ledger && options.without_ledger)
    throw Error(ErrorCode::InvalidArgument, "a ledger was given and without_ledger set too");
  const std::filesystem::path from = detail::normalized(from_in);
  const std::filesystem::path to = detail::normalized(to_in);

  // The ledger is read before anything is staged: a bad one changes nothing.
  std::vector<LedgerEntry> entries;
  if (options.ledger_file) entries = FileErasureLedger::read(*options.ledger_file);
  std::vector<Tombstone> ledger;
  if (options.ledger_store != nullptr) ledger = options.ledger_store->retention().tombstones();

  RestoreReport report;
  report.without_ledger = options.without_ledger;
  auto staged = detail::backup::stage(from, to, key);
  report.backup = staged.backup;
  report.backup.dir = from;
  detail::store::fault_point("restore:staged");
  try {
    auto impl = detail::open_impl(staged.dir, key, options.clock, {}, nullptr);
    if (options.ledger_store != nullptr &&
        options.ledger_store->store_id() != impl->core->store_id())
      throw Error(ErrorCode::InvalidArgument, "the ledger store is another store than the backup");
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (!impl->retention.ledger_mac_ok(entries[i]))
        throw Error(ErrorCode::Corrupt, options.ledger_file->string() + ": line " +
                                            std::to_string(i + 1) +
                                            " is not this store's or was changed");
      ledger.push_back(std::move(entries[i].tombstone));
    }
    report.ledger_entries = ledger.size();
    const AccessContext ctx{"amanah:restore", {"(restore)"}, "(restore)"};
    {
      std::lock_guard w(impl->core->write_mu);
      detail::db::Transaction tx(impl->core->data_writer());
      impl->log.record_write(tx, ctx, options.without_ledger ? "restore_without_ledger" : "restore",
                             "", "", "(backup)");
      tx.commit();
    }
    detail::store::fault_point("restore:audited");
    const auto replayed = impl->retention.replay(ctx, ledger);
    report.replayed = replayed.replayed;
    report.already_erased = replayed.already;
    detail::store::fault_point("restore:replayed");
    report.sweep = impl->retention.sweep_after_restore(ctx);
    impl->close();
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove_all(staged.dir, ec);
    throw;
  }
  detail::store::fault_point("restore:before-rename");
  detail::backup::place(staged.dir, to);
  return report;
}

}  // namespace amanah
