// A CSV file through the CLI's importer (tools/amanah/import.cpp, csv_reader.cpp, compiled into
// this target) into a store created once per process. The first byte holds the options; the rest
// is the file:
//   bit 0 skip_bad   bit 1 delimiter ';' forced   bit 2 an explicit column mapping (else the
//   header's field names)   bit 3 write (else --dry-run)   bit 4 per-import formats   bit 5
//   batches of 2 rows (else 5000)
// Property: import_csv returns, or throws amanah::Error with a code it documents for bad input
// (InvalidArgument: a mapping that does not fit, a malformed file; UndeclaredField) or that the
// store gives for rows (Validation, Duplicate); anything else, or a crash, is a finding. Its
// counts add up. Writes go to the store; it is recreated after 256 writing runs so it stays
// small and each run fast.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <amanah/amanah.hpp>

#include "fuzz_support.hpp"
#include "import.hpp"

namespace {

using namespace amanah;

constexpr const char* kManifest = R"toml(
[purposes.service]
basis = "contract"
[roles.support]
[fields]
full_name  = { type = "text",    category = "identity",    purposes = ["service"], max_length = 64 }
email      = { type = "email",   category = "contact",     purposes = ["service"], lookup = true, unique = true }
phone      = { type = "phone",   category = "contact",     purposes = ["service"], lookup = true, input = { phone_country = "62" } }
nik        = { type = "nik",     category = "sensitive",   purposes = ["service"], lookup = true, unique = true }
birth_date = { type = "date",    category = "identity",    purposes = ["service"], input = { date = "DD/MM/YYYY" } }
balance    = { type = "money",   category = "transaction", purposes = ["service"], input = { currency = "IDR" } }
visits     = { type = "integer", category = "behavioral",  purposes = ["service"] }
[[permit]]
id = "support-all"
roles = ["support"]
mask = "none"
)toml";

const AccessContext kSupport{.actor = "fuzz", .roles = {"support"}, .purpose = "service"};

struct State {
  fuzz::ScratchDir dir;
  std::unique_ptr<KeyProvider> key = raw_key(SecretBytes::random(32));
  Manifest manifest = Manifest::from_toml(kManifest);
  std::optional<CustomerStore> store;
  unsigned writes = 0;
  unsigned generation = 0;

  State() { fresh(); }
  void fresh() {
    store.reset();
    std::filesystem::remove_all(dir.path() / ("store" + std::to_string(generation)));
    ++generation;
    store.emplace(
        CustomerStore::create(dir.path() / ("store" + std::to_string(generation)), *key, manifest));
    writes = 0;
  }
};

State& state() {
  static State s;
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  State& s = state();
  const unsigned flags = data[0];
  const auto file = s.dir.path() / "input.csv";
  fuzz::write_bytes(file, {reinterpret_cast<const char*>(data + 1), size - 1});

  cli::ImportOptions options;
  options.skip_bad = (flags & 1) != 0;
  if ((flags & 2) != 0) options.delimiter = ';';
  if ((flags & 4) != 0)
    options.map = {{"Nama", "full_name"}, {"E-mail", "email"},     {"HP", "phone"},
                   {"NIK", "nik"},        {"Lahir", "birth_date"}, {"Saldo", "balance"}};
  options.dry_run = (flags & 8) == 0;
  if ((flags & 16) != 0)
    options.formats = {{"balance", {.numbers = NumberStyle::indonesian}},
                       {"birth_date", {.date = "MM/DD/YYYY"}}};
  if ((flags & 32) != 0) options.batch = 2;
  std::size_t problems = 0;
  cli::ImportSinks sinks;
  sinks.problem = [&](const cli::ImportProblem&) { ++problems; };
  sinks.warning = [](const cli::ImportWarning&) {};
  sinks.progress = [](const char*, std::size_t, std::size_t) {};

  try {
    const cli::ImportResult r = cli::import_csv(*s.store, kSupport, file, options, sinks);
    fuzz::check(r.rejected <= r.rows, "rejected rows are rows");
    fuzz::check(r.imported + r.rejected <= r.rows, "imported and rejected rows are rows");
    fuzz::check(r.rejected == 0 || problems > 0, "each rejected row has a problem reported");
    fuzz::check(!r.written || !options.dry_run, "a dry run writes nothing");
    if (r.written) fuzz::check(r.imported == r.rows - r.rejected, "every good row is imported");
  } catch (const Error& e) {
    fuzz::expect_code(e,
                      {ErrorCode::InvalidArgument, ErrorCode::UndeclaredField,
                       ErrorCode::Validation, ErrorCode::Duplicate},
                      "import_csv");
  } catch (...) {
    fuzz::foreign_exception("import_csv");
  }
  if (!options.dry_run && ++s.writes >= 256) s.fresh();
  return 0;
}
