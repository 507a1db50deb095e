// amanah CLI — operations: check, backup, verify-backup, restore, unlock keys, rekey, KEK
// rotation, and db-key (the one deliberate disclosure of key material).
#include <iostream>
#include <sstream>

#include "common.hpp"
#include "store_support.hpp"

namespace amanah::cli {
namespace {

struct OpsArgs {
  std::string dir, dest, offsite_key_file, ledger, slot, label, output, manifest;
  bool without_ledger = false, disclose = false;
  NewKeyOptions new_key;
};

nlohmann::json check_json(const CheckReport& r) {
  nlohmann::json j = {{"customers", r.customers},
                      {"subject_keys", r.subject_keys},
                      {"consent_events", r.consent_events},
                      {"tombstones", r.tombstones},
                      {"audit_entries", r.audit_entries}};
  if (r.backup)
    j["backup"] = {{"store_id", r.backup->store_id},
                   {"taken_at", iso_time(r.backup->taken_at)},
                   {"audit_seq", r.backup->audit_seq},
                   {"tombstone_seq", r.backup->tombstone_seq}};
  return j;
}

std::string check_text(const CheckReport& r) {
  std::ostringstream t;
  t << "ok: every page, the b-trees and the audit chain check\n"
    << "  customers: " << r.customers << "\n  customer keys: " << r.subject_keys
    << "\n  consent events: " << r.consent_events << "\n  tombstones: " << r.tombstones
    << "\n  audit entries: " << r.audit_entries << "\n";
  if (r.backup)
    t << "  a backup of store " << r.backup->store_id << " taken at "
      << iso_time(r.backup->taken_at) << "\n";
  return t.str();
}

nlohmann::json backup_json(const BackupInfo& b) {
  return {{"dir", b.dir.string()},
          {"store_id", b.store_id},
          {"taken_at", iso_time(b.taken_at)},
          {"audit_seq", b.audit_seq},
          {"tombstone_seq", b.tombstone_seq},
          {"customers", b.customers},
          {"bytes", b.bytes}};
}

void add_new_key_options(CLI::App& cmd, NewKeyOptions& o) {
  auto* env = cmd.add_option("--new-passphrase-env", o.passphrase_env,
                             "environment variable holding the new passphrase");
  auto* file =
      cmd.add_option("--new-passphrase-file", o.passphrase_file, "file holding the new passphrase");
  auto* raw = cmd.add_option("--new-key-file", o.key_file, "file holding a new raw 32-byte key");
  env->excludes(file)->excludes(raw);
  file->excludes(raw);
  cmd.add_option("--argon2-memory-mib", o.argon2_memory_mib,
                 "Argon2id memory for a new passphrase (default 64; at least 19)");
  cmd.add_option("--argon2-iterations", o.argon2_iterations,
                 "Argon2id passes for a new passphrase (default 3; at least 2)");
}

// Hex of `bytes` into wiped memory.
SecretBytes hex_of(const SecretBytes& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  SecretBytes out(bytes.size() * 2);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<unsigned>(bytes.data()[i]);
    out.data()[2 * i] = static_cast<std::byte>(kDigits[b >> 4]);
    out.data()[2 * i + 1] = static_cast<std::byte>(kDigits[b & 15]);
  }
  return out;
}

void put(std::string_view s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
}
void put(const SecretBytes& s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
}

}  // namespace

void add_ops_commands(CLI::App& app, Global& g, Status& status) {
  auto a = std::make_shared<OpsArgs>();

  auto* check = app.add_subcommand(
      "check", "read every page of both databases and the audit chain; Corrupt at the first fault");
  check->add_option("DIR", a->dir, "the store")->required();
  add_key_options(*check, g);
  check->callback([&g, &status, a] {
    auto store = open_with_ledger(g, a->dir, ledger_path({}));
    const CheckReport r = store.check();
    emit(g, check_json(r), check_text(r));
    status = 0;
  });

  auto* backup = app.add_subcommand(
      "backup", "an online, consistent, still encrypted copy of the store in DEST (needs backup)");
  backup->add_option("DIR", a->dir, "the store")->required();
  backup->add_option("DEST", a->dest, "the new backup directory (must not exist)")->required();
  backup->add_option("--offsite-key-file", a->offsite_key_file,
                     "the copy opens with this raw key (32 bytes or 64 hex digits) alone, "
                     "instead of the store's unlock methods");
  add_context_options(*backup, g);
  add_key_options(*backup, g);
  backup->callback([&g, &status, a] {
    std::unique_ptr<KeyProvider> offsite;
    if (!a->offsite_key_file.empty()) offsite = raw_key_from_file(a->offsite_key_file);
    const AccessContext ctx = context(g);
    auto store = open_with_ledger(g, a->dir, ledger_path({}));
    BackupOptions options;
    options.key = offsite.get();
    if (offsite) options.label = "offsite";
    const BackupInfo b = store.backup(ctx, a->dest, options);
    std::ostringstream t;
    t << "backup written to " << a->dest << "\n  store: " << b.store_id
      << "\n  taken at: " << iso_time(b.taken_at) << "\n  customers: " << b.customers
      << "\n  last audit entry: " << b.audit_seq << "\n  last tombstone: " << b.tombstone_seq
      << "\n  bytes: " << b.bytes << "\n";
    emit(g, backup_json(b), t.str());
    status = 0;
  });

  auto* verify = app.add_subcommand(
      "verify-backup", "check a backup without changing it (opened read-only with the key)");
  verify->add_option("DIR", a->dir, "the backup directory")->required();
  add_key_options(*verify, g);
  verify->callback([&g, &status, a] {
    const auto key = unlock_key(g);
    const CheckReport r = verify_backup(a->dir, *key);
    emit(g, check_json(r), check_text(r));
    status = 0;
  });

  auto* restore_cmd = app.add_subcommand(
      "restore", "build a store at TO from the backup at FROM, replaying the erasure ledger");
  restore_cmd->add_option("FROM", a->dir, "the backup")->required();
  restore_cmd->add_option("TO", a->dest, "the new store's directory (must not exist)")->required();
  auto* ledger_opt =
      restore_cmd->add_option("--ledger", a->ledger, "the erasure ledger file (or AMANAH_LEDGER)");
  restore_cmd
      ->add_flag("--without-ledger", a->without_ledger,
                 "restore without the ledger: customers erased after the backup come back "
                 "(recorded in the restored store's audit log)")
      ->excludes(ledger_opt);
  add_key_options(*restore_cmd, g);
  restore_cmd->callback([&g, &status, a] {
    RestoreOptions options;
    const std::string ledger = ledger_path(a->ledger);
    if (!ledger.empty() && !a->without_ledger) options.ledger_file = ledger;
    options.without_ledger = a->without_ledger;
    const auto key = unlock_key(g);
    const RestoreReport r = restore(a->dir, a->dest, *key, options);
    std::ostringstream t;
    t << "restored " << a->dest << " from the backup taken at " << iso_time(r.backup.taken_at)
      << "\n  customers in the backup: " << r.backup.customers
      << "\n  ledger entries: " << r.ledger_entries
      << "\n  erased again (erased after the backup): " << r.replayed
      << "\n  already erased in the backup: " << r.already_erased
      << "\n  erased by retention since: " << r.sweep.customers_erased << " customer(s)\n";
    if (r.without_ledger)
      t << "  WITHOUT the erasure ledger: customers erased after the backup may be back\n";
    emit(g,
         {{"to", a->dest},
          {"backup", backup_json(r.backup)},
          {"ledger_entries", r.ledger_entries},
          {"replayed", r.replayed},
          {"already_erased", r.already_erased},
          {"swept_customers", r.sweep.customers_erased},
          {"without_ledger", r.without_ledger}},
         t.str());
    status = 0;
  });

  // Unlock methods: the key holder's acts (the policy does not decide them).
  auto* keys = app.add_subcommand("keys", "unlock methods, database keys and the KEK");
  keys->require_subcommand(1);

  auto* list = keys->add_subcommand("list", "the store's unlock methods");
  list->add_option("DIR", a->dir, "the store")->required();
  add_key_options(*list, g);
  list->callback([&g, &status, a] {
    auto store = open_with_ledger(g, a->dir, ledger_path({}));
    nlohmann::json slots = nlohmann::json::array();
    std::string text;
    for (const auto& m : store.unlock_methods()) {
      slots.push_back({{"id", m.id}, {"kind", m.kind}, {"label", m.label}});
      text += m.id + "  " + m.kind + "  " + m.label + "\n";
    }
    emit(g,
         {{"unlock_methods", slots},
          {"key_generation", store.key_generation()},
          {"kek_epoch", store.kek_epoch()}},
         text + "key generation " + std::to_string(store.key_generation()) + ", KEK epoch " +
             std::to_string(store.kek_epoch()));
    status = 0;
  });

  auto* add = keys->add_subcommand(
      "add", "add an unlock method (a new passphrase is asked twice when no source is given)");
  add->add_option("DIR", a->dir, "the store")->required();
  add_new_key_options(*add, a->new_key);
  add->add_option("--label", a->label, "free text naming the method");
  add_key_options(*add, g);
  add->callback([&g, &status, a] {
    auto store = open_with_ledger(g, a->dir, ledger_path({}));
    const auto key = new_key(a->new_key);
    const std::string id = store.add_unlock_method(*key, a->label.empty() ? key->kind() : a->label);
    emit(g, {{"id", id}, {"kind", key->kind()}}, "added unlock method " + id);
    status = 0;
  });

  auto* remove = keys->add_subcommand("remove", "remove an unlock method (never the last one)");
  remove->add_option("DIR", a->dir, "the store")->required();
  remove->add_option("SLOT_ID", a->slot, "the method's id (keys list)")->required();
  add_key_options(*remove, g);
  remove->callback([&g, &status, a] {
    auto store = open_with_ledger(g, a->dir, ledger_path({}));
    store.remove_unlock_method(a->slot);
    emit(g, {{"removed", a->slot}}, "removed unlock method " + a->slot);
    status = 0;
  });

  auto* recovery = keys->add_subcommand(
      "recovery", "add a recovery key and show it once (stdout, or --output FILE)");
  recovery->add_option("DIR", a->dir, "the store")->required();
  recovery->add_option("--label", a->label, "label of the method (default recovery)");
  recovery->add_option("--output", a->output, "write the key to this new file (mode 0600)");
  add_key_options(*recovery, g);
  recovery->callback([&g, &status, a] {
    if (g.json && a->output.empty())
      throw Error(ErrorCode::InvalidArgument,
                  "with --json, give --output FILE: the recovery key is not put in a JSON "
                  "document");
    if (!a->output.empty() && std::filesystem::exists(a->output))
      throw Error(ErrorCode::AlreadyExists, a->output + " exists");
    auto store = open_with_ledger(g, a->dir, ledger_path({}));
    const auto before = store.unlock_methods();
    const SecretBytes printed =
        store.add_recovery_key(a->label.empty() ? std::string_view("recovery") : a->label);
    std::string id;
    for (const auto& m : store.unlock_methods()) {
      bool old = false;
      for (const auto& b : before)
        old = old || b.id == m.id;
      if (!old) id = m.id;
    }
    if (!a->output.empty()) {
      SecretBytes line(printed.size() + 1);
      std::copy(printed.view().begin(), printed.view().end(), line.data());
      line.data()[printed.size()] = std::byte{'\n'};
      write_private_file(a->output, line.view());
      emit(g, {{"id", id}, {"output", a->output}},
           "added recovery key " + id + "; written to " + a->output + " (mode 0600)");
    } else {
      std::cerr << "amanah: the recovery key below is shown once: write it down and keep it "
                   "offline; whoever has it unlocks the store\n";
      put(printed);
      put("\n");
      std::fflush(stdout);
      std::cerr << "amanah: added recovery key " << id << '\n';
    }
    status = 0;
  });

  auto* rekey = keys->add_subcommand(
      "rekey", "re-encrypt data.db and keys.db under fresh keys (old file copies stop opening)");
  rekey->add_option("DIR", a->dir, "the store")->required();
  add_key_options(*rekey, g);
  rekey->callback([&g, &status, a] {
    auto store = open_with_ledger(g, a->dir, ledger_path({}));
    store.rekey();
    emit(g, {{"key_generation", store.key_generation()}},
         "rekeyed: key generation " + std::to_string(store.key_generation()));
    status = 0;
  });

  auto* rotate = keys->add_subcommand(
      "rotate-kek", "re-wrap every customer key under a fresh KEK and destroy the old one");
  rotate->add_option("DIR", a->dir, "the store")->required();
  add_key_options(*rotate, g);
  rotate->callback([&g, &status, a] {
    auto store = open_with_ledger(g, a->dir, ledger_path({}));
    store.rotate_kek();
    emit(g, {{"kek_epoch", store.kek_epoch()}},
         "rotated the KEK: epoch " + std::to_string(store.kek_epoch()));
    status = 0;
  });

  auto* dbkey = app.add_subcommand(
      "db-key",
      "print the SQLCipher keys of data.db and keys.db as the sqlcipher shell takes "
      "them (needs disclose_keys; recorded in the audit log)");
  dbkey->add_option("DIR", a->dir, "the store")->required();
  dbkey->add_flag("--i-understand-this-discloses-the-database-keys", a->disclose,
                  "required: whoever has these keys and the files reads every value not sealed "
                  "under a customer key, until `keys rekey`");
  add_context_options(*dbkey, g);
  add_key_options(*dbkey, g);
  dbkey->callback([&g, &status, a] {
    if (!a->disclose)
      throw Error(ErrorCode::InvalidArgument,
                  "db-key prints the databases' keys: whoever holds them and the files reads "
                  "the store without amanah (sealed fields excepted) until `keys rekey`. Add "
                  "--i-understand-this-discloses-the-database-keys to go on");
    const AccessContext ctx = context(g);
    auto store = open_with_ledger(g, a->dir, ledger_path({}));
    const DatabaseKeys k = store.disclose_database_keys(ctx);
    const SecretBytes data_hex = hex_of(k.data_db);
    const SecretBytes keys_hex = hex_of(k.keys_db);
    const std::string data_path = (store.path() / "data.db").string();
    const std::string keys_path = (store.path() / "keys.db").string();
    const std::string gen = std::to_string(k.generation);
    store.close();  // the shell may open the files once this returns
    if (g.json) {
      put("{\n  \"generation\": " + gen +
          ",\n  \"data_db\": {\"file\": " + nlohmann::json(data_path).dump() + ", \"key\": \"x'");
      put(data_hex);
      put("'\"},\n  \"keys_db\": {\"file\": " + nlohmann::json(keys_path).dump() +
          ", \"key\": \"x'");
      put(keys_hex);
      put("'\"}\n}\n");
    } else {
      put("-- data.db (key generation " + gen + "): sqlcipher " + data_path + "\n");
      put("PRAGMA key = \"x'");
      put(data_hex);
      put("'\";\n-- keys.db (key generation " + gen + "): sqlcipher " + keys_path + "\n");
      put("PRAGMA key = \"x'");
      put(keys_hex);
      put("'\";\n");
    }
    std::fflush(stdout);
    std::cerr << "amanah: disclosed the database keys (recorded in the audit log); they stay "
                 "valid until `amanah keys rekey`\n";
    status = 0;
  });
}

}  // namespace amanah::cli
