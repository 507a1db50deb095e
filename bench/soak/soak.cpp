// Soak: many threads of mixed operations on one large store for a given time, then the store's
// own checks. Not a benchmark and not in CI (bench/README.md, "Soak"): it looks for what only
// shows after hours of contention — a deadlock, a leak, a lost audit entry, a damaged page.
//
//   amanah_soak [--customers N] [--threads T] [--seconds S] [--dir D] [--keep]
//
// Every thread draws operations at random: get, find, insert, update, consent grant and
// withdrawal, a consent-gated read, export, erase, merge; thread 0 also takes a backup every
// --backup-every seconds and verifies it. Errors a racing erasure explains (NotFound) or the
// policy decides (ConsentRequired) are counted as expected; any other error fails the run.
// At the end: check() (every page of both databases), audit().verify(), the customer count
// against what the threads did, and the process's peak resident memory.
#include <amanah/amanah.hpp>

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace fsys = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kManifest = R"toml(
[store]
name = "Soak"

[purposes.service]
basis = "contract"
[purposes.marketing]
basis = "consent"

[roles.support]
[roles.marketing]
[roles.dpo]
[roles.operator]

[fields]
full_name = { type = "text",  category = "identity",  purposes = ["service"] }
email     = { type = "email", category = "contact",   purposes = ["service", "marketing"], lookup = true, unique = true }
phone     = { type = "phone", category = "contact",   purposes = ["service"], lookup = true, mask = "last4" }
nik       = { type = "nik",   category = "sensitive", purposes = ["service"], lookup = true, unique = true }

[[permit]]
id = "support"
roles = ["support"]
actions = ["read", "update", "create"]
purposes = ["service"]

[[permit]]
id = "support-consent"
roles = ["support"]
actions = ["manage_consent"]

[[permit]]
id = "marketing"
roles = ["marketing"]
actions = ["read"]
fields = ["email"]
purposes = ["marketing"]

[[permit]]
id = "dpo"
roles = ["dpo"]
actions = ["read", "update", "export", "erase", "read_audit", "manage_consent"]
mask = "none"
restricted = true

[[permit]]
id = "operator"
roles = ["operator"]
actions = ["backup"]
)toml";

const amanah::AccessContext kSupport{.actor = "soak", .roles = {"support"}, .purpose = "service"};
const amanah::AccessContext kMarketing{
    .actor = "soak", .roles = {"marketing"}, .purpose = "marketing"};
const amanah::AccessContext kDpo{.actor = "soak-dpo", .roles = {"dpo"}, .purpose = "service"};
const amanah::AccessContext kOperator{
    .actor = "soak-backup", .roles = {"operator"}, .purpose = "service"};

std::string padded(std::uint64_t v, std::size_t width) {
  std::string s = std::to_string(v);
  return std::string(s.size() < width ? width - s.size() : 0, '0') + s;
}

// Customer n (unique email and NIK for every n; synthetic values).
amanah::FieldValues customer(std::uint64_t n) {
  const std::uint64_t day = 1 + n % 28;
  std::string nik = "3201" + padded(1 + n % 40, 2) + padded(day, 2) + padded(1 + (n / 28) % 12, 2) +
                    padded(60 + (n / 336) % 40, 2) + padded(1 + (n / 13440) % 9999, 4);
  return {{"full_name", "Customer " + std::to_string(n)},
          {"email", "c" + std::to_string(n) + "@example.com"},
          {"phone", "+62812" + padded(n % 10'000'000, 7)},
          {"nik", nik}};
}

// The ids the threads pick from; erased and absorbed ones are taken out.
class Ids {
 public:
  void add(const amanah::CustomerId& id) {
    std::lock_guard lock(mu_);
    ids_.push_back(id);
  }
  // A random id (copy), or nothing when empty.
  bool pick(std::mt19937_64& rng, amanah::CustomerId& out) {
    std::lock_guard lock(mu_);
    if (ids_.empty()) return false;
    out = ids_[rng() % ids_.size()];
    return true;
  }
  // Takes a random id out (the caller erases or absorbs it).
  bool take(std::mt19937_64& rng, amanah::CustomerId& out) {
    std::lock_guard lock(mu_);
    if (ids_.empty()) return false;
    const std::size_t i = rng() % ids_.size();
    out = ids_[i];
    ids_[i] = ids_.back();
    ids_.pop_back();
    return true;
  }
  std::size_t size() {
    std::lock_guard lock(mu_);
    return ids_.size();
  }

 private:
  std::mutex mu_;
  std::vector<amanah::CustomerId> ids_;
};

enum Op { get, find, insert, update, consent, marketing_read, export_, erase, merge, backup, kOps };
constexpr const char* kOpNames[kOps] = {"get",     "find",           "insert", "update",
                                        "consent", "marketing_read", "export", "erase",
                                        "merge",   "backup"};

struct Counters {
  std::atomic<std::uint64_t> done[kOps]{};
  std::atomic<std::uint64_t> expected_errors{0};
  std::atomic<std::uint64_t> unexpected{0};
  std::atomic<std::uint64_t> removed{0};  // erased or absorbed
  std::atomic<std::uint64_t> inserted{0};
};

// Resident memory now (MiB), from /proc/self/statm: printed at each backup, so growth over
// the run shows (a leak climbs; caches level off).
long rss_mib() {
  long pages = 0, resident = 0;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * 4096 / (1024 * 1024);
}

long peak_rss_kib() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

const char* arg(int argc, char** argv, std::string_view name, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == name) return argv[i + 1];
  return fallback;
}

bool flag(int argc, char** argv, std::string_view name) {
  for (int i = 1; i < argc; ++i)
    if (argv[i] == name) return true;
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  const auto customers = std::strtoull(arg(argc, argv, "--customers", "100000"), nullptr, 10);
  const int threads = std::atoi(arg(argc, argv, "--threads", "8"));
  const int seconds = std::atoi(arg(argc, argv, "--seconds", "300"));
  const int backup_every = std::atoi(arg(argc, argv, "--backup-every", "60"));
  // --only OP: every thread does that one operation (to find which one a growth comes from).
  const std::string only = arg(argc, argv, "--only", "");
  int only_op = -1;
  for (int op = 0; op < kOps; ++op)
    if (only == kOpNames[op]) only_op = op;
  if (!only.empty() && only_op < 0) {
    std::fprintf(stderr,
                 "soak: --only takes one of get, find, insert, update, consent, "
                 "marketing_read, export, erase, merge, backup\n");
    return 2;
  }
  const fsys::path root = arg(argc, argv, "--dir", "/tmp/amanah-soak");
  if (fsys::exists(root)) {
    std::fprintf(stderr, "soak: %s exists; give a new --dir\n", root.c_str());
    return 2;
  }
  fsys::create_directories(root);
  const fsys::path dir = root / "store";
  const auto ledger = std::make_shared<amanah::FileErasureLedger>(root / "erasures.log");
  const amanah::SecretBytes raw = amanah::SecretBytes::random(32);

  Counters c;
  Ids ids;
  int status = 0;
  try {
    auto store = amanah::CustomerStore::create(dir, *amanah::raw_key(raw.clone()),
                                               amanah::Manifest::from_toml(kManifest),
                                               {.erasure_ledger = ledger});
    // The store, filled in batches.
    const auto fill_start = Clock::now();
    std::uint64_t next = 0;
    while (next < customers) {
      std::vector<amanah::FieldValues> batch;
      for (int i = 0; i < 5000 && next < customers; ++i)
        batch.push_back(customer(next++));
      for (const auto& id : store.insert_many(kSupport, batch))
        ids.add(id);
    }
    std::atomic<std::uint64_t> serial{next};
    const double fill_s = std::chrono::duration<double>(Clock::now() - fill_start).count();
    std::printf("filled %llu customers in %.1f s; peak RSS %ld MiB\n",
                static_cast<unsigned long long>(customers), fill_s, peak_rss_kib() / 1024);
    std::fflush(stdout);

    std::map<std::string, std::uint64_t> error_codes;  // unexpected ones, by code
    std::mutex error_mu;
    const auto deadline = Clock::now() + std::chrono::seconds(seconds);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        std::mt19937_64 rng(0x5eed + static_cast<std::uint64_t>(t));
        auto last_backup = Clock::now();
        int backups = 0;
        while (Clock::now() < deadline) {
          Op op;
          if (only_op >= 0) {
            op = static_cast<Op>(only_op);
          } else if (t == 0 && Clock::now() - last_backup > std::chrono::seconds(backup_every)) {
            op = backup;
          } else {
            const auto r = rng() % 1000;
            op = r < 300   ? get
                 : r < 450 ? find
                 : r < 600 ? insert
                 : r < 720 ? update
                 : r < 820 ? consent
                 : r < 900 ? marketing_read
                 : r < 940 ? export_
                 : r < 985 ? erase
                           : merge;
          }
          amanah::CustomerId id;
          try {
            switch (op) {
              case get:
                if (!ids.pick(rng, id)) continue;
                (void)store.get(kSupport, id);
                break;
              case find: {
                const auto n = rng() % serial.load();
                (void)store.find(kSupport, "email", "C" + std::to_string(n) + "@EXAMPLE.com");
                break;
              }
              case insert:
                ids.add(store.insert(kSupport, customer(serial.fetch_add(1))));
                c.inserted.fetch_add(1);
                break;
              case update:
                if (!ids.pick(rng, id)) continue;
                store.update(kSupport, id, {{"phone", "+62813" + padded(rng() % 10'000'000, 7)}});
                break;
              case consent:
                if (!ids.pick(rng, id)) continue;
                if (rng() % 3 == 0)
                  (void)store.consents().withdraw(kSupport, id, "marketing", "soak");
                else
                  (void)store.consents().grant(kSupport, id, "marketing",
                                               {.source = "soak", .notice_version = "1"});
                break;
              case marketing_read:
                if (!ids.pick(rng, id)) continue;
                (void)store.get(kMarketing, id, {"email"});
                break;
              case export_:
                if (!ids.pick(rng, id)) continue;
                (void)store.export_subject(kDpo, id);
                break;
              case erase:
                if (!ids.take(rng, id)) continue;
                (void)store.erase(kDpo, id);
                c.removed.fetch_add(1);
                break;
              case merge: {
                amanah::CustomerId keep;
                if (!ids.pick(rng, keep) || !ids.take(rng, id)) continue;
                if (keep == id) {
                  ids.add(id);
                  continue;
                }
                // Merging would break email/NIK uniqueness only if keep lacked them; it does not.
                store.merge(kDpo, keep, id);
                c.removed.fetch_add(1);
                break;
              }
              case backup: {
                last_backup = Clock::now();
                const fsys::path to =
                    root / ("backup-" + std::to_string(t) + "-" + std::to_string(backups++));
                const auto info = store.backup(kOperator, to);
                (void)amanah::verify_backup(to, *amanah::raw_key(raw.clone()));
                std::printf("backup %d: %llu customers, %.1f MiB; RSS now %ld MiB\n", backups,
                            static_cast<unsigned long long>(info.customers),
                            static_cast<double>(info.bytes) / (1024.0 * 1024.0), rss_mib());
                std::fflush(stdout);
                fsys::remove_all(to);
                break;
              }
              case kOps:
                break;
            }
            c.done[op].fetch_add(1);
          } catch (const amanah::Error& e) {
            // A merge whose keep was erased meanwhile, a read of a customer erased meanwhile,
            // a consent-gated read of a customer who has not consented: expected.
            const bool expected =
                e.code() == amanah::ErrorCode::NotFound ||
                (op == marketing_read && e.code() == amanah::ErrorCode::ConsentRequired);
            if (expected) {
              c.expected_errors.fetch_add(1);
              if (op == merge) ids.add(id);  // absorb was not absorbed
            } else {
              c.unexpected.fetch_add(1);
              std::lock_guard lock(error_mu);
              ++error_codes[std::string(kOpNames[op]) + ": " +
                            std::string(amanah::to_string(e.code()))];
            }
          }
        }
      });
    }
    // Resident memory every 10 s while the threads run.
    pool.emplace_back([&] {
      for (int s = 10; Clock::now() < deadline; s += 10) {
        std::this_thread::sleep_until(deadline - std::chrono::seconds(seconds - s));
        if (Clock::now() < deadline) std::printf("t=%ds RSS %ld MiB\n", s, rss_mib());
        std::fflush(stdout);
      }
    });
    for (auto& th : pool)
      th.join();

    std::uint64_t total = 0;
    std::printf("\n%d threads for %d s on %llu customers:\n", threads, seconds,
                static_cast<unsigned long long>(customers));
    for (int op = 0; op < kOps; ++op) {
      std::printf("  %-15s %10llu\n", kOpNames[op],
                  static_cast<unsigned long long>(c.done[op].load()));
      total += c.done[op].load();
    }
    std::printf("  total           %10llu  (%.0f ops/s)\n", static_cast<unsigned long long>(total),
                static_cast<double>(total) / seconds);
    std::printf("  expected errors %10llu  (NotFound after a racing erasure; ConsentRequired)\n",
                static_cast<unsigned long long>(c.expected_errors.load()));
    std::printf("  unexpected      %10llu\n", static_cast<unsigned long long>(c.unexpected.load()));
    for (const auto& [what, n] : error_codes)
      std::printf("    %s: %llu\n", what.c_str(), static_cast<unsigned long long>(n));
    if (c.unexpected.load() != 0) status = 1;

    // The store's own checks, then the count against what the threads did.
    const auto check_start = Clock::now();
    const auto report = store.check();
    const auto audit = store.audit().verify();
    const double check_s = std::chrono::duration<double>(Clock::now() - check_start).count();
    const auto want = customers + c.inserted.load() - c.removed.load();
    std::printf(
        "check(): %llu customers, %llu keys, %llu consent events, %llu tombstones, "
        "%llu audit entries (%.1f s with verify)\n",
        static_cast<unsigned long long>(report.customers),
        static_cast<unsigned long long>(report.subject_keys),
        static_cast<unsigned long long>(report.consent_events),
        static_cast<unsigned long long>(report.tombstones),
        static_cast<unsigned long long>(report.audit_entries), check_s);
    std::printf("audit().verify(): %s\n", audit.ok() ? "ok" : "FAILED");
    if (!audit.ok()) status = 1;
    if (report.customers != want || store.size() != want || ids.size() != want) {
      std::printf("customer count %llu, expected %llu: FAILED\n",
                  static_cast<unsigned long long>(report.customers),
                  static_cast<unsigned long long>(want));
      status = 1;
    }
    store.close();
  } catch (const amanah::Error& e) {
    std::fprintf(stderr, "soak: %s\n", e.what());  // amanah's messages carry no values
    status = 1;
  }
  std::uintmax_t bytes = 0;
  for (const auto& e : fsys::recursive_directory_iterator(dir))
    if (e.is_regular_file()) bytes += e.file_size();
  std::printf("store on disk %.1f MiB; peak RSS %ld MiB\n",
              static_cast<double>(bytes) / (1024.0 * 1024.0), peak_rss_kib() / 1024);
  std::printf("%s\n", status == 0 ? "soak: ok" : "soak: FAILED");
  if (!flag(argc, argv, "--keep")) fsys::remove_all(root);
  return status;
}
