// What a CustomerStore holds: the core's resources and one service per capability, wired
// together here and nowhere else (the composition root; nothing below includes it).
#pragma once

#include <memory>

#include <amanah/audit.hpp>
#include <amanah/consent.hpp>
#include <amanah/policy.hpp>
#include <amanah/retention.hpp>

#include "audit/log.hpp"
#include "backup/backup.hpp"
#include "consent/consents.hpp"
#include "index/blind_index.hpp"
#include "keys/subject_keys.hpp"
#include "policy/engine.hpp"
#include "policy/masks.hpp"
#include "records/records.hpp"
#include "retention/retention.hpp"
#include "rights/rights.hpp"
#include "store/core.hpp"

namespace amanah::detail {

struct StoreImpl {
  StoreImpl(std::unique_ptr<store::Core> c, const AuditOptions& audit_options)
      : core(std::move(c)),
        engine(std::make_shared<policy::Engine>([core = core.get()] { return core->manifest(); })),
        subject_keys(core->keys_writer(), core->keys_readers(), core->kek(), core->store_id()),
        index(core->keys()),
        log(*core, *engine, audit_options),
        masks(core->keys()),
        consents(*core, subject_keys, log, *engine),
        records(*core, {subject_keys, index, log, *engine, masks, consents}),
        retention(*core, {subject_keys, log, *engine, consents, records}),
        rights(*core, {log, *engine, masks, consents, records, retention}),
        backups(*core, {log, *engine}),
        access_policy(engine),
        consent_registry(*this),
        audit_log(*this),
        retention_api(*this) {
    records.set_hold_check([this](db::Connection& conn, std::int64_t row) {
      return retention.hold_of(conn, row, core->now()).has_value();
    });
  }

  StoreImpl(const StoreImpl&) = delete;
  StoreImpl& operator=(const StoreImpl&) = delete;
  ~StoreImpl() { close(); }

  // Writes what is queued, drops unused keys, forgets derived keys, closes the core (gate held
  // exclusively and write lock held, or nobody else left).
  void close() noexcept {
    if (core->is_open()) {
      log.close();
      subject_keys.drop_pool();
    }
    subject_keys.clear_cache();
    index.clear();
    masks.clear();
    consents.clear();
    engine->clear();
    core->close();
  }

  std::unique_ptr<store::Core> core;
  std::shared_ptr<policy::Engine> engine;  // shared with the AccessPolicy handed out
  keys::SubjectKeys subject_keys;
  index::BlindIndex index;
  audit::Log log;
  policy::Masks masks;
  consent::Consents consents;
  records::Records records;
  retention::Retention retention;
  rights::Rights rights;
  backup::Backups backups;
  AccessPolicy access_policy;
  ConsentRegistry consent_registry;
  AuditLog audit_log;
  Retention retention_api;
  std::shared_ptr<const Manifest> held_manifest;  // what manifest() returned a reference into
};

// The composition's steps (customer_store.cpp): a path as stores are named (absolute, no trailing
// separator); a ledger sink that must not write inside `dir`; and the services wired to an open
// core, with what a killed write may have left swept and the ledger handed what it lacks.
[[nodiscard]] std::filesystem::path normalized(const std::filesystem::path& dir);
void check_ledger(const std::filesystem::path& dir,
                  const std::shared_ptr<ErasureLedgerSink>& ledger);
[[nodiscard]] std::unique_ptr<StoreImpl> assemble(std::unique_ptr<store::Core> core,
                                                  const AuditOptions& audit,
                                                  std::shared_ptr<ErasureLedgerSink> ledger);
// An existing store at `dir` opened and assembled, with its stored manifest in force.
[[nodiscard]] std::unique_ptr<StoreImpl> open_impl(const std::filesystem::path& dir,
                                                   const KeyProvider& key,
                                                   std::shared_ptr<const Clock> clock,
                                                   const AuditOptions& audit,
                                                   std::shared_ptr<ErasureLedgerSink> ledger);

}  // namespace amanah::detail
