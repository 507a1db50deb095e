// CustomerStore: a thin facade over the core and the services (facade/store_impl.hpp).
#include <amanah/error.hpp>
#include <amanah/store.hpp>

#include <algorithm>
#include <mutex>
#include <shared_mutex>

#include "facade/access.hpp"
#include "facade/store_impl.hpp"
#include "fs/fs.hpp"
#include "keys/keyslots.hpp"
#include "manifest/stored.hpp"
#include "store/layout.hpp"

namespace amanah {

namespace detail {

std::filesystem::path normalized(const std::filesystem::path& dir) {
  std::filesystem::path p = std::filesystem::absolute(dir).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();  // "x/" names the directory x
  return p;
}

// A ledger written inside the store's directory would be rolled back with it.
void check_ledger(const std::filesystem::path& dir,
                  const std::shared_ptr<ErasureLedgerSink>& ledger) {
  if (!ledger) return;
  const auto file = ledger->file();
  if (!file) return;
  if (fs::is_inside(dir, *file))
    throw Error(ErrorCode::InvalidArgument,
                "the erasure ledger must be kept outside the store's directory");
}

// Wires the services to an open core, sweeps what a killed write may have left, and hands the
// ledger the erasures it has not taken yet.
std::unique_ptr<StoreImpl> assemble(std::unique_ptr<store::Core> core, const AuditOptions& audit,
                                    std::shared_ptr<ErasureLedgerSink> ledger) {
  auto impl = std::make_unique<StoreImpl>(std::move(core), audit);
  impl->retention.set_ledger(std::move(ledger));
  std::lock_guard w(impl->core->write_mu);
  impl->consents.load_objections(impl->core->data_writer());
  impl->subject_keys.sweep(
      [&](const std::vector<std::string>& ids) { return impl->records.claimed_keys(ids); });
  impl->retention.deliver_ledger();
  return impl;
}

std::unique_ptr<StoreImpl> open_impl(const std::filesystem::path& dir, const KeyProvider& key,
                                     std::shared_ptr<const Clock> clock, const AuditOptions& audit,
                                     std::shared_ptr<ErasureLedgerSink> ledger) {
  check_ledger(dir, ledger);
  auto impl = assemble(store::Core::open(dir, key, std::move(clock)), audit, std::move(ledger));
  std::lock_guard w(impl->core->write_mu);
  impl->core->set_manifest(manifest::load_stored(impl->core->data_writer()));
  impl->records.finish_reindex();
  return impl;
}

}  // namespace detail

namespace {

namespace fsys = std::filesystem;
namespace keys = detail::keys;
namespace layout = detail::store;

void validate_label(std::string_view label) {
  if (label.empty() || label.size() > 128)
    throw Error(ErrorCode::InvalidArgument, "an unlock method label must be 1 to 128 bytes");
  for (unsigned char c : label)
    if (c < 0x20 || c == 0x7f)
      throw Error(ErrorCode::InvalidArgument,
                  "an unlock method label must not contain control characters");
}

}  // namespace

using Impl = detail::StoreImpl;

CustomerStore::CustomerStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CustomerStore::CustomerStore(CustomerStore&&) noexcept = default;

Impl& CustomerStore::live() const {
  if (!impl_) throw Error(ErrorCode::InvalidOperation, "the store was moved from");
  return *impl_;
}
CustomerStore& CustomerStore::operator=(CustomerStore&&) noexcept = default;
CustomerStore::~CustomerStore() {
  close();
}

CustomerStore CustomerStore::create(const fsys::path& dir, const KeyProvider& key,
                                    const CreateOptions& options) {
  return create(dir, key, Manifest{}, options);
}

CustomerStore CustomerStore::create(const fsys::path& dir_in, const KeyProvider& key,
                                    const Manifest& manifest, const CreateOptions& options) {
  validate_label(options.label);
  const fsys::path dir = detail::normalized(dir_in);
  std::error_code ec;
  const auto st = fsys::status(dir, ec);
  if (fsys::exists(st)) {
    if (!fsys::is_directory(st))
      throw Error(ErrorCode::AlreadyExists, dir.string() + " exists and is not a directory");
    if (fsys::exists(dir / layout::kKeyslotsFile))
      throw Error(ErrorCode::AlreadyExists, "a store already exists at " + dir.string());
    if (!fsys::is_empty(dir, ec) || ec)
      throw Error(ErrorCode::AlreadyExists, dir.string() + " is not empty");
  }
  const fsys::path parent = dir.parent_path();
  if (!fsys::is_directory(parent, ec))
    throw Error(ErrorCode::NotFound, "parent directory " + parent.string() + " does not exist");
  detail::audit::Log::check_options(dir, options.audit);  // refused before anything is made
  detail::check_ledger(dir, options.erasure_ledger);

  return CustomerStore(detail::assemble(
      detail::store::Core::create(dir, key, manifest, options.label, options.clock), options.audit,
      options.erasure_ledger));
}

CustomerStore CustomerStore::open(const fsys::path& dir, const KeyProvider& key) {
  return open(dir, key, OpenOptions{});
}

CustomerStore CustomerStore::open(const fsys::path& dir_in, const KeyProvider& key,
                                  const OpenOptions& options) {
  const fsys::path dir = detail::normalized(dir_in);
  std::error_code ec;
  if (!fsys::exists(dir, ec)) throw Error(ErrorCode::NotFound, "no store at " + dir.string());
  if (!fsys::is_directory(dir, ec) || !fsys::exists(dir / layout::kKeyslotsFile, ec))
    throw Error(ErrorCode::NotAStore, dir.string() + " is not an amanah store (no keyslots file)");
  return CustomerStore(
      detail::open_impl(dir, key, options.clock, options.audit, options.erasure_ledger));
}

CustomerStore CustomerStore::open(const fsys::path& dir, const KeyProvider& key,
                                  const Manifest& manifest, const OpenOptions& options) {
  CustomerStore store = open(dir, key, options);
  Impl& s = *store.impl_;
  std::lock_guard w(s.core->write_mu);
  s.records.adopt_manifest(manifest, options);
  return store;
}

const Manifest& CustomerStore::manifest() const {
  Impl& s = live();
  std::lock_guard w(s.core->write_mu);
  // Replaced only while opening, before anyone else sees the store; kept alive by the core.
  s.held_manifest = s.core->manifest();
  return *s.held_manifest;
}

const fsys::path& CustomerStore::path() const {
  return live().core->dir();
}

std::string CustomerStore::store_id() const {
  return live().core->store_id();
}

std::vector<UnlockMethod> CustomerStore::unlock_methods() const {
  Impl& s = live();
  std::shared_lock gate(s.core->gate);
  std::lock_guard w(s.core->write_mu);
  s.core->require_open();
  std::vector<UnlockMethod> out;
  for (const auto& slot : s.core->slots().slots)
    out.push_back({slot.id, slot.wrapped.kind, slot.label});
  return out;
}

std::string CustomerStore::add_unlock_method(const KeyProvider& key, std::string_view label) {
  validate_label(label);
  Impl& s = live();
  std::shared_lock gate(s.core->gate);
  std::lock_guard w(s.core->write_mu);
  s.core->require_open();
  keys::Keyslots next = s.core->slots();
  next.slots.push_back(keys::make_slot(key, s.core->keys().root(), next.store_id, label));
  std::string id = next.slots.back().id;
  s.core->commit_slots(std::move(next));
  return id;
}

void CustomerStore::remove_unlock_method(std::string_view id) {
  Impl& s = live();
  std::shared_lock gate(s.core->gate);
  std::lock_guard w(s.core->write_mu);
  s.core->require_open();
  keys::Keyslots next = s.core->slots();
  const auto it = std::find_if(next.slots.begin(), next.slots.end(),
                               [&](const keys::Slot& slot) { return slot.id == id; });
  if (it == next.slots.end()) throw Error(ErrorCode::NotFound, "no unlock method with this id");
  if (next.slots.size() == 1)
    throw Error(ErrorCode::InvalidOperation, "cannot remove the last unlock method");
  next.slots.erase(it);
  s.core->commit_slots(std::move(next));
}

SecretBytes CustomerStore::add_recovery_key(std::string_view label) {
  SecretBytes printed = generate_recovery_key();
  (void)add_unlock_method(*recovery_key(printed.clone()), label);
  return printed;
}

void CustomerStore::rekey() {
  Impl& s = live();
  std::unique_lock gate(s.core->gate);  // no reader holds a connection keyed the old way
  std::lock_guard w(s.core->write_mu);
  s.core->require_open();
  try {
    s.core->rekey();
  } catch (...) {
    if (!s.core->is_open()) s.close();  // else undone: the store is as it was
    throw;
  }
}

std::uint64_t CustomerStore::key_generation() const {
  Impl& s = live();
  std::lock_guard w(s.core->write_mu);
  return s.core->slots().db_generation;
}

void CustomerStore::rotate_kek() {
  Impl& s = live();
  std::unique_lock gate(s.core->gate);  // no reader unwraps a key under the KEK being replaced
  std::lock_guard w(s.core->write_mu);
  s.core->require_open();
  try {
    s.core->rotate_kek();
  } catch (...) {
    if (!s.core->is_open()) s.close();  // else undone: the store is as it was
    throw;
  }
}

std::uint64_t CustomerStore::kek_epoch() const {
  Impl& s = live();
  std::lock_guard w(s.core->write_mu);
  return s.core->slots().kek_epoch;
}

void CustomerStore::close() noexcept {
  if (!impl_) return;
  std::unique_lock gate(impl_->core->gate);
  std::lock_guard w(impl_->core->write_mu);
  impl_->close();
}

bool CustomerStore::is_open() const noexcept {
  if (!impl_) return false;
  std::shared_lock gate(impl_->core->gate);
  return impl_->core->is_open();
}

// --- records: served by the records service

CustomerId CustomerStore::insert(const AccessContext& ctx, const FieldValues& values,
                                 std::vector<Warning>* warnings) {
  return live().records.insert_many(ctx, {values}, warnings).front();
}
std::vector<CustomerId> CustomerStore::insert_many(const AccessContext& ctx,
                                                   const std::vector<FieldValues>& records,
                                                   std::vector<Warning>* warnings) {
  return live().records.insert_many(ctx, records, warnings);
}
std::vector<RecordProblem> CustomerStore::validate(const AccessContext& ctx,
                                                   const std::vector<FieldValues>& records,
                                                   std::vector<Warning>* warnings) {
  return live().records.validate(ctx, records, warnings);
}
std::vector<CustomerId> CustomerStore::insert_many(const AccessContext& ctx,
                                                   const std::vector<FieldValues>& records,
                                                   const InputFormats& formats,
                                                   std::vector<Warning>* warnings) {
  return live().records.insert_many(ctx, records, warnings, &formats);
}
std::vector<RecordProblem> CustomerStore::validate(const AccessContext& ctx,
                                                   const std::vector<FieldValues>& records,
                                                   const InputFormats& formats,
                                                   std::vector<Warning>* warnings) {
  return live().records.validate(ctx, records, warnings, &formats);
}
std::vector<RecordProblem> CustomerStore::validate(const AccessContext& ctx,
                                                   const std::vector<FieldValues>& records,
                                                   ValidationScope& scope,
                                                   std::vector<Warning>* warnings) {
  return live().records.validate(ctx, records, warnings, nullptr, &scope);
}
std::vector<RecordProblem> CustomerStore::validate(const AccessContext& ctx,
                                                   const std::vector<FieldValues>& records,
                                                   const InputFormats& formats,
                                                   ValidationScope& scope,
                                                   std::vector<Warning>* warnings) {
  return live().records.validate(ctx, records, warnings, &formats, &scope);
}
Record CustomerStore::get(const AccessContext& ctx, const CustomerId& id,
                          const std::vector<std::string>& fields) {
  return live().records.get(ctx, id, fields);
}
void CustomerStore::update(const AccessContext& ctx, const CustomerId& id,
                           const FieldChanges& changes, std::vector<Warning>* warnings) {
  live().records.update(ctx, id, changes, warnings);
}
std::vector<CustomerId> CustomerStore::find(const AccessContext& ctx, std::string_view field,
                                            std::string_view value) {
  return live().records.find(ctx, field, value);
}
RecordScan CustomerStore::scan(const AccessContext& ctx, std::vector<std::string> fields) {
  return live().records.scan(ctx, std::move(fields));
}
std::vector<std::vector<CustomerId>> CustomerStore::find_duplicates(const AccessContext& ctx) {
  return live().records.find_duplicates(ctx);
}
void CustomerStore::merge(const AccessContext& ctx, const CustomerId& keep,
                          const CustomerId& absorb) {
  live().records.merge(ctx, keep, absorb);
}
void CustomerStore::change_manifest(const AccessContext& ctx, const Manifest& next,
                                    const OpenOptions& options) {
  live().records.change_manifest(ctx, next, options);
}
const AccessPolicy& CustomerStore::policy() const {
  return live().access_policy;
}
ConsentRegistry& CustomerStore::consents() {
  return live().consent_registry;
}
AuditLog& CustomerStore::audit() {
  return live().audit_log;
}
Retention& CustomerStore::retention() {
  return live().retention_api;
}
ErasureReceipt CustomerStore::erase(const AccessContext& ctx, const CustomerId& id,
                                    ErasureReason reason) {
  return live().retention.erase(ctx, id, reason);
}
std::string CustomerStore::export_subject(const AccessContext& ctx, const CustomerId& id) {
  return live().rights.export_subject(ctx, id);
}
void CustomerStore::rectify(const AccessContext& ctx, const CustomerId& id,
                            const FieldChanges& changes, std::string_view reason) {
  live().rights.rectify(ctx, id, changes, reason);
}
void CustomerStore::restrict(const AccessContext& ctx, const CustomerId& id,
                             std::string_view reason) {
  live().rights.restrict(ctx, id, reason);
}
void CustomerStore::lift_restriction(const AccessContext& ctx, const CustomerId& id) {
  live().rights.lift_restriction(ctx, id);
}
void CustomerStore::object(const AccessContext& ctx, const CustomerId& id,
                           std::string_view purpose) {
  live().rights.object(ctx, id, purpose);
}
std::size_t CustomerStore::size() const {
  return live().records.size();
}

namespace detail {

db::Connection& StoreAccess::data_db(CustomerStore& s) {
  return s.impl_->core->data_writer();
}
db::Connection& StoreAccess::keys_db(CustomerStore& s) {
  return s.impl_->core->keys_writer();
}
SecretBytes StoreAccess::data_db_key(const CustomerStore& s) {
  return s.impl_->core->data_key();
}
SecretBytes StoreAccess::keys_db_key(const CustomerStore& s) {
  return s.impl_->core->keys_key();
}
std::mutex& StoreAccess::write_mutex(CustomerStore& s) {
  return s.impl_->core->write_mu;
}
consent::Consents& StoreAccess::consents(CustomerStore& s) {
  return s.impl_->consents;
}
db::ReaderPool& StoreAccess::data_readers(CustomerStore& s) {
  return s.impl_->core->data_readers();
}
audit::Log& StoreAccess::audit_log(CustomerStore& s) {
  return s.impl_->log;
}
std::int64_t StoreAccess::index_tag(CustomerStore& s, std::string_view field,
                                    std::string_view index_form) {
  const auto m = s.impl_->core->manifest();
  const Field* f = m->field(field);
  if (f == nullptr) throw Error(ErrorCode::UndeclaredField, "no such field");
  return s.impl_->index.tag(*f, index_form);
}

}  // namespace detail
}  // namespace amanah
