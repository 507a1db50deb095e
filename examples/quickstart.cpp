// amanah quickstart: an encrypted customer store governed by a privacy manifest.
//
//   AMANAH_PASSPHRASE='correct horse battery staple' ./quickstart customers.amanah [privacy.toml]
//
// It grows as amanah does: it creates a store, inserts customers, records consent, reads through
// the policy, exports one customer's data, backs the store up, erases two customers (one of them
// partly held by the law), and restores the backup with the erasure ledger: the erased stay gone.
// Beside the store directory it keeps the demo's audit signing key (<dir>.audit-key), the log's
// signed checkpoints (<dir>.checkpoints), the erasure ledger (<dir>.erasures), the backup
// (<dir>.backup) and the store restored from it (<dir>.restored).
#include <amanah/amanah.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

namespace {

std::unique_ptr<amanah::KeyProvider> demo_key() {
  if (const char* p = std::getenv("AMANAH_PASSPHRASE"); p != nullptr && *p != '\0')
    return amanah::passphrase_from_env("AMANAH_PASSPHRASE");
  std::cout << "\n"
               "  !!! DEMO ONLY: AMANAH_PASSPHRASE is not set, so this store is locked with a\n"
               "  !!! built-in demo passphrase that anyone can read in this source file.\n"
               "  !!! Set AMANAH_PASSPHRASE for anything that holds real customer data.\n\n";
  return amanah::passphrase_key(amanah::SecretBytes::from_string("amanah-demo-passphrase"));
}

// The audit signing key signs the log's checkpoints. It is the application's, kept apart from the
// store like an unlock key; this demo keeps it in a file beside the store directory.
amanah::AuditSigningKey audit_key(const std::filesystem::path& file) {
  if (std::filesystem::exists(file))
    return amanah::AuditSigningKey(amanah::SecretBytes::from_file(file));
  auto key = amanah::generate_audit_key();
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  std::filesystem::permissions(
      file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  out.write(reinterpret_cast<const char*>(key.private_key().data()),
            static_cast<std::streamsize>(key.private_key().size()));
  return key;
}

void show_trail(amanah::CustomerStore& store, const amanah::AccessContext& dpo,
                const amanah::CustomerId& id) {
  std::cout << "who touched this customer, and why (the audit trail, as the DPO sees it):\n";
  for (const amanah::AuditEntry& e : store.audit().trail(dpo, id)) {
    std::string fields;
    for (const auto& f : e.fields)
      fields += (fields.empty() ? "" : ",") + f;
    std::cout << "  #" << e.seq << " " << e.actor << " " << e.action << " (" << e.purpose << ")"
              << (e.allowed ? "" : " DENIED") << (fields.empty() ? "" : " fields " + fields)
              << "\n";
  }
}

void show_manifest(const amanah::Manifest& m) {
  std::cout << "manifest of \"" << m.store_name() << "\":\n";
  for (const auto& p : m.purposes())
    std::cout << "  purpose " << p.id << " (" << amanah::to_string(p.basis) << ")\n";
  for (const auto& f : m.fields())
    std::cout << "  field   " << f.name << ": " << amanah::to_string(f.type) << ", "
              << amanah::to_string(f.category) << (f.lookup ? ", lookup" : "")
              << (f.unique ? ", unique" : "")
              << (f.encrypted() ? ", sealed under the customer's own key" : "") << "\n";
}

// The emails a marketing campaign may reach: only customers who consented.
void show_campaign(amanah::CustomerStore& store, const amanah::AccessContext& marketing) {
  std::cout << "a marketing scan reaches:\n";
  std::size_t n = 0;
  for (const auto& r : store.scan(marketing)) {
    for (const auto& [name, value] : r.fields)
      std::cout << "    " << name << ": " << value << "\n";
    ++n;
  }
  std::cout << "  " << n << " of " << store.size() << " customers (the others did not consent)\n";
}

void show_record(const amanah::Record& r) {
  std::cout << "  customer " << r.id.str() << "\n";
  for (const auto& [name, value] : r.fields)
    std::cout << "    " << name << ": " << value << "\n";
}

void show_receipt(const amanah::ErasureReceipt& r) {
  std::cout << "erasure receipt: customer " << r.subject << " (pseudonym), reason "
            << amanah::to_string(r.reason) << "\n  destroyed:";
  for (const auto& f : r.erased_fields)
    std::cout << " " << f;
  std::cout << (r.key_destroyed ? "; the customer's key" : "") << "; " << r.consents_erased
            << " consent event(s)\n";
  for (const auto& h : r.held) {
    const auto days = std::chrono::floor<std::chrono::days>(h.until.time_since_epoch()).count();
    const std::chrono::year_month_day until{std::chrono::sys_days{std::chrono::days{days}}};
    char date[16];
    std::snprintf(date, sizeof date, "%04d-%02u-%02u", static_cast<int>(until.year()),
                  static_cast<unsigned>(until.month()), static_cast<unsigned>(until.day()));
    std::cout << "  kept by " << h.hold << " (" << amanah::to_string(h.basis) << "): " << h.field
              << " until " << date << "\n";
  }
  std::cout << "  write-ahead logs emptied: " << (r.scrubbed ? "yes" : "not yet") << "\n";
}

void show_files(const std::filesystem::path& dir) {
  std::cout << "files in " << dir.string() << ":\n";
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    char head[16] = {};
    in.read(head, sizeof head);
    const bool plain = std::string(head, 15) == "SQLite format 3";
    std::cout << "  " << e.path().filename().string() << "  " << e.file_size() << " bytes"
              << (e.path().extension() == ".db"
                      ? (plain ? "  PLAINTEXT SQLite header!" : "  (encrypted, no SQLite header)")
                      : "")
              << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path dir = argc > 1 ? argv[1] : "customers.amanah";
  const std::filesystem::path manifest_file = argc > 2 ? argv[2] : AMANAH_EXAMPLE_MANIFEST;
  try {
    std::cout << "amanah " << AMANAH_VERSION_STRING << " quickstart\n";
    const auto manifest = amanah::Manifest::from_file(manifest_file);
    show_manifest(manifest);

    auto key = demo_key();
    const bool exists = std::filesystem::exists(dir / "keyslots");
    if (!exists && dir.has_parent_path()) std::filesystem::create_directories(dir.parent_path());
    // Checkpoints of the audit log go to a file outside the store: putting back an older copy
    // of the store cannot take them back with it.
    const auto signer = audit_key(dir.string() + ".audit-key");
    const std::filesystem::path checkpoints = dir.string() + ".checkpoints";
    const amanah::AuditOptions audit{
        .signing_key = &signer,
        .sink = std::make_shared<amanah::FileCheckpointSink>(checkpoints),
        .checkpoint_every = 20};
    // Every erasure is also written to a ledger kept apart from the backups: a restore replays
    // it, so that no erased customer comes back with an older copy.
    const std::filesystem::path ledger_file = dir.string() + ".erasures";
    const std::filesystem::path backup_dir = dir.string() + ".backup";
    const std::filesystem::path restored_dir = dir.string() + ".restored";
    if (!exists) {
      // Left by an earlier run's store, which is gone: they belong to no store now.
      for (const auto& p : {ledger_file, backup_dir, restored_dir})
        std::filesystem::remove_all(p);
    }
    const auto ledger = std::make_shared<amanah::FileErasureLedger>(ledger_file);
    auto store = exists ? amanah::CustomerStore::open(dir, *key, manifest,
                                                      {.audit = audit, .erasure_ledger = ledger})
                        : amanah::CustomerStore::create(dir, *key, manifest,
                                                        {.audit = audit, .erasure_ledger = ledger});
    std::cout << (exists ? "opened" : "created") << " store " << store.store_id() << " at "
              << store.path().string() << "\n";

    // Every call says who is asking, in which role, and why; the policy decides each one.
    const amanah::AccessContext support{
        .actor = "agent-17", .roles = {"support"}, .purpose = "service"};
    const amanah::AccessContext marketing{
        .actor = "campaign-svc", .roles = {"marketing"}, .purpose = "marketing"};
    const amanah::AccessContext dpo{.actor = "dpo-ani", .roles = {"dpo"}, .purpose = "service"};
    const amanah::AccessContext nightly{
        .actor = "backup-job", .roles = {"operator"}, .purpose = "service"};

    if (store.size() == 0) {
      std::vector<amanah::Warning> warnings;
      const auto siti = store.insert(support,
                                     {{"full_name", "Siti Rahma"},
                                      {"email", "siti@Example.CO.ID"},
                                      {"phone", "0812-3456-7890"},
                                      {"nik", "3171234105900001"},
                                      {"birth_date", "1990-05-01"}},
                                     &warnings);
      const auto budi = store.insert(support,
                                     {{"full_name", "Budi Santoso"},
                                      {"email", "budi@example.com"},
                                      {"phone", "+62 811 222 333"},
                                      {"card", "4111 1111 1111 1111"}},
                                     &warnings);
      (void)store.insert(support, {{"full_name", "Dewi Lestari"}, {"phone", "(021) 555-1234"}},
                         &warnings);
      for (const auto& w : warnings)
        std::cout << "  warning on " << w.field << ": " << w.message << "\n";
      std::cout << "inserted 3 customers\n";
      // Siti and Budi tick the newsletter box at signup: one consent, one purpose, with proof.
      const amanah::ConsentEvidence signup{.source = "signup-form",
                                           .notice_version = "2026-01",
                                           .language = "id",
                                           .method = amanah::ConsentMethod::checkbox};
      store.consents().grant(support, siti, "marketing", signup);
      store.consents().grant(support, budi, "marketing", signup);
      std::cout << "Siti and Budi consented to marketing\n";
      show_campaign(store, marketing);
      store.consents().withdraw(support, budi, "marketing", "unsubscribe-link");
      std::cout << "Budi unsubscribed; the withdrawal takes effect at once\n";
      try {
        (void)store.insert(support, {{"full_name", "Siti again"}, {"email", "SITI@example.co.id"}});
      } catch (const amanah::Error& e) {
        std::cout << "a second customer with Siti's email: " << amanah::to_string(e.code())
                  << " (email is unique)\n";
      }

      // The nightly backup: a consistent, still encrypted copy taken while the store serves.
      const auto backup = store.backup(nightly, backup_dir);
      std::cout << "backed up " << backup.customers << " customers to " << backup.dir.string()
                << " (" << backup.bytes / 1024 << " KiB, up to audit entry " << backup.audit_seq
                << ")\n";

      // The customer's rights: Siti asks for her data, Dewi and Budi ask to be erased.
      std::cout << "Siti's data, as the DPO exports it for her (machine-readable JSON):\n"
                << store.export_subject(dpo, siti) << "\n";
      const auto dewi = store.find(support, "phone", "021 5551234").at(0);
      show_receipt(store.erase(dpo, dewi));
      try {
        (void)store.get(support, dewi);
      } catch (const amanah::Error& e) {
        std::cout << "reading Dewi afterwards: " << amanah::to_string(e.code()) << "\n";
      }
      // Budi's card is transaction data, which the law keeps 10 years: it stays, restricted.
      show_receipt(store.erase(dpo, budi));
      try {
        (void)store.get(support, budi);
      } catch (const amanah::Error& e) {
        std::cout << "support reading Budi afterwards: " << amanah::to_string(e.code())
                  << " (only what the hold keeps is left, and only the DPO's permit reaches it)\n";
      }

      // Disaster: the store is lost and the backup, taken before the erasures, is restored.
      // The ledger's erasures are replayed before the restored store can serve.
      const auto restored =
          amanah::restore(backup_dir, restored_dir, *key, {.ledger_file = ledger_file});
      std::cout << "restored the backup to " << restored_dir.string() << ": replayed "
                << restored.replayed << " erasures from the ledger\n";
      auto back = amanah::CustomerStore::open(restored_dir, *key);
      try {
        (void)back.get(support, dewi);
      } catch (const amanah::Error& e) {
        std::cout << "  Dewi in the restored store: " << amanah::to_string(e.code())
                  << " (still erased)\n";
      }
      std::cout << "  Siti in the restored store: "
                << back.get(support, siti, {"full_name"}).fields.at("full_name") << "\n";
      std::cout << "  check of the restored store: " << back.check().customers
                << " customers, every page and the audit chain verified\n";
    }
    std::cout << "customers in the store: " << store.size() << "\n";

    show_campaign(store, marketing);

    // Lookups go through a keyed blind index over the normalized value.
    const auto hits = store.find(support, "phone", "+62 (812) 3456.7890");
    std::cout << "find phone \"+62 (812) 3456.7890\": " << hits.size() << " match\n";
    if (!hits.empty()) {
      std::cout << "what a support agent sees (NIK, phone and birth date masked):\n";
      show_record(store.get(support, hits.front()));
      std::cout << "Siti's consent receipt:\n  "
                << store.consents().receipt(hits.front(), "marketing") << "\n";
      try {
        (void)store.get(marketing, hits.front(), {"email", "nik"});
      } catch (const amanah::AccessDenied& e) {
        std::cout << "marketing asks for the NIK: " << amanah::to_string(e.code()) << "\n  "
                  << e.decision().explain() << "\n";
      }
    }

    if (!hits.empty()) show_trail(store, dpo, hits.front());
    const auto report = store.audit().verify(amanah::FileCheckpointSink::read(checkpoints));
    std::cout << report.explain() << "\n";

    try {
      (void)store.insert(support, {{"shoe_size", "42"}});
    } catch (const amanah::Error& e) {
      std::cout << "storing an undeclared field: " << amanah::to_string(e.code()) << "\n";
    }
    try {
      auto again = amanah::CustomerStore::open(dir, *key);
    } catch (const amanah::Error& e) {
      std::cout << "opening the store a second time: " << amanah::to_string(e.code())
                << " (as intended)\n";
    }
    store.close();
    show_files(dir);
    std::cout << "run it again to open the same store; delete the directory to start over\n";
    return 0;
  } catch (const amanah::Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}
