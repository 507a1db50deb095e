// amanah CLI — init, manifest check, report processing: the manifest as an operator and a
// data-protection officer read it.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "common.hpp"

namespace amanah::cli {

namespace {

// --- init

struct InitArgs {
  std::string dir, manifest, label = "primary";
  std::uint32_t memory_mib = 0, iterations = 0;  // 0: the library's defaults
};

const char* env_set(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : nullptr;
}

// The unlock key for a new store: Global's sources in unlock_key's order, with cheaper Argon2
// settings when asked (tests, small machines).
std::unique_ptr<KeyProvider> init_key(const Global& g, const InitArgs& a) {
  if (a.memory_mib == 0 && a.iterations == 0) return unlock_key(g, true);
  Argon2Params params;
  if (a.memory_mib != 0) params.memory_kib = a.memory_mib * 1024;
  if (a.iterations != 0) params.iterations = a.iterations;
  const bool raw = !g.key_file.empty() || !g.recovery_key_file.empty();
  if (!raw && !g.passphrase_file.empty()) return passphrase_from_file(g.passphrase_file, params);
  if (!raw && !g.passphrase_env.empty())
    return passphrase_from_env(g.passphrase_env.c_str(), params);
  if (raw || env_set("AMANAH_KEY_FILE") != nullptr)
    throw Error(ErrorCode::InvalidArgument, "--argon2-* apply to a passphrase, not to a key file");
  if (env_set("AMANAH_PASSPHRASE") != nullptr)
    return passphrase_from_env("AMANAH_PASSPHRASE", params);
  SecretBytes first = prompt_secret("passphrase: ");
  const SecretBytes again = prompt_secret("passphrase again: ");
  if (!first.equals(again)) throw Error(ErrorCode::InvalidArgument, "the two passphrases differ");
  if (first.empty()) throw Error(ErrorCode::InvalidArgument, "the passphrase is empty");
  return passphrase_key(std::move(first), params);
}

int run_init(const Global& g, const InitArgs& a) {
  const Manifest manifest = Manifest::from_file(a.manifest);
  const auto key = init_key(g, a);
  CreateOptions options;
  options.label = a.label;
  CustomerStore store = CustomerStore::create(a.dir, *key, manifest, options);
  nlohmann::json doc{{"store", a.dir},
                     {"store_id", store.store_id()},
                     {"name", manifest.store_name()},
                     {"unlock_methods", nlohmann::json::array()}};
  std::string text = fmt::format("created store {} in {} (\"{}\")\n", store.store_id(), a.dir,
                                 manifest.store_name());
  for (const auto& m : store.unlock_methods()) {
    doc["unlock_methods"].push_back({{"id", m.id}, {"kind", m.kind}, {"label", m.label}});
    text += fmt::format("unlock method: {} \"{}\" (slot {})\n", m.kind, m.label, m.id);
  }
  emit(g, doc, text);
  return 0;
}

// --- what the manifest allows, as the policy engine decides it

constexpr Action kFieldActions[] = {Action::read,        Action::create,  Action::update,
                                    Action::export_data, Action::rectify, Action::erase};
constexpr Action kStoreActions[] = {
    Action::manage_consent, Action::manage_manifest,  Action::read_audit, Action::restrict,
    Action::object,         Action::manage_retention, Action::backup};

struct PurposeAccess {
  std::string purpose;
  std::vector<std::pair<Action, std::vector<std::pair<std::string, Mask>>>> actions;
};
struct RoleAccess {
  const Role* role = nullptr;
  std::vector<PurposeAccess> purposes;
  std::vector<std::pair<Action, std::vector<std::string>>> store_wide;  // action -> purposes
  std::vector<const Rule*> forbids;
};

std::vector<RoleAccess> who_may_see_what(const Manifest& m) {
  const AccessPolicy policy(m);
  std::vector<std::string> fields;
  for (const auto& f : m.fields())
    fields.push_back(f.name);
  std::vector<RoleAccess> out;
  for (const auto& role : m.roles()) {
    RoleAccess ra;
    ra.role = &role;
    for (const auto& p : m.purposes()) {
      const AccessContext ctx{"manifest-review", {role.id}, p.id};
      PurposeAccess pa{p.id, {}};
      for (const Action action : kFieldActions) {
        std::vector<std::pair<std::string, Mask>> allowed;
        if (!fields.empty()) {
          const Decision d = policy.decide(ctx, action, fields);
          for (const auto& fd : d.fields())
            if (fd.effect == Effect::allow) allowed.emplace_back(fd.field, fd.mask);
        }
        if (!allowed.empty()) pa.actions.emplace_back(action, std::move(allowed));
      }
      if (!pa.actions.empty()) ra.purposes.push_back(std::move(pa));
      for (const Action action : kStoreActions) {
        if (!policy.decide(ctx, action).allowed()) continue;
        auto it = std::find_if(ra.store_wide.begin(), ra.store_wide.end(),
                               [&](const auto& e) { return e.first == action; });
        if (it == ra.store_wide.end()) it = ra.store_wide.insert(ra.store_wide.end(), {action, {}});
        it->second.push_back(p.id);
      }
    }
    for (const auto& rule : m.rules())
      if (rule.forbid && (rule.roles.empty() || std::find(rule.roles.begin(), rule.roles.end(),
                                                          role.id) != rule.roles.end()))
        ra.forbids.push_back(&rule);
    out.push_back(std::move(ra));
  }
  return out;
}

template <typename T, typename F>
std::string join_by(const std::vector<T>& items, F&& show, std::string_view none = "any") {
  if (items.empty()) return std::string(none);
  std::string s;
  for (const auto& i : items)
    s += (s.empty() ? "" : ", ") + std::string(show(i));
  return s;
}
std::string join(const std::vector<std::string>& items, std::string_view none = "any") {
  return join_by(
      items, [](const std::string& s) { return s; }, none);
}

std::string forbid_text(const Rule& r) {
  return fmt::format(
      "{}: {} on {}{} for {}", r.id,
      join_by(
          r.actions, [](Action a) { return to_string(a); }, "any action"),
      r.categories.empty() && r.fields.empty()
          ? std::string("every field")
          : join_by(
                r.categories, [](Category c) { return "category " + std::string(to_string(c)); },
                ""),
      r.fields.empty() ? "" : (r.categories.empty() ? "" : ", ") + ("fields " + join(r.fields)),
      join(r.purposes, "any purpose"));
}

std::string masked(const std::pair<std::string, Mask>& f) {
  return f.second == Mask::none ? f.first : fmt::format("{} [{}]", f.first, to_string(f.second));
}

const RetentionRule* category_rule(const Manifest& m, Category c) {
  for (const auto& r : m.retention())
    if (r.category == c) return &r;
  return nullptr;
}

std::string rule_text(const RetentionRule& r) {
  std::string s = r.keep;
  if (r.from != RetentionFrom::collection) s += fmt::format(" from {}", to_string(r.from));
  if (r.basis) s += fmt::format(" ({}: kept against erasure requests)", to_string(*r.basis));
  return s;
}

std::string retention_text(const Manifest& m, const Field& f) {
  if (!f.retention.empty()) {
    std::string s = f.retention;
    if (f.retention_from) s += fmt::format(" from {}", to_string(*f.retention_from));
    return s;
  }
  if (const auto* r = category_rule(m, f.category)) return rule_text(*r) + " (category rule)";
  return "no period set: kept until erased";
}

std::vector<std::string> field_flags(const Field& f) {
  std::vector<std::string> flags;
  if (f.lookup) flags.emplace_back("lookup");
  if (f.unique) flags.emplace_back("unique");
  if (f.encrypted()) flags.emplace_back("encrypted per customer");
  if (f.mask != Mask::none) flags.push_back(fmt::format("mask {}", to_string(f.mask)));
  return flags;
}

std::vector<Category> used_categories(const Manifest& m) {
  std::vector<Category> out;
  for (const Category c : {Category::identity, Category::contact, Category::transaction,
                           Category::account, Category::behavioral, Category::sensitive})
    for (const auto& f : m.fields())
      if (f.category == c) {
        out.push_back(c);
        break;
      }
  return out;
}

nlohmann::json manifest_json(const Manifest& m, const std::vector<RoleAccess>& access) {
  nlohmann::json doc{{"store", m.store_name()}, {"purposes", nlohmann::json::array()}};
  for (const auto& p : m.purposes())
    doc["purposes"].push_back(
        {{"id", p.id}, {"basis", to_string(p.basis)}, {"description", p.description}});
  doc["categories"] = nlohmann::json::object();
  for (const Category c : used_categories(m)) {
    auto& list = doc["categories"][std::string(to_string(c))] = nlohmann::json::array();
    for (const auto& f : m.fields()) {
      if (f.category != c) continue;
      list.push_back({{"name", f.name},
                      {"type", to_string(f.type)},
                      {"purposes", f.purposes},
                      {"lookup", f.lookup},
                      {"unique", f.unique},
                      {"encrypted", f.encrypted()},
                      {"mask", to_string(f.mask)},
                      {"retention", retention_text(m, f)}});
    }
  }
  doc["retention"] = nlohmann::json::object();
  for (const auto& r : m.retention())
    doc["retention"][std::string(to_string(r.category))] = rule_text(r);
  doc["roles"] = nlohmann::json::array();
  for (const auto& ra : access) {
    nlohmann::json role{{"id", ra.role->id},
                        {"description", ra.role->description},
                        {"access", nlohmann::json::object()},
                        {"store_wide", nlohmann::json::object()},
                        {"forbids", nlohmann::json::array()}};
    for (const auto& pa : ra.purposes)
      for (const auto& [action, fields] : pa.actions) {
        auto& list = role["access"][pa.purpose][std::string(to_string(action))] =
            nlohmann::json::array();
        for (const auto& [field, mask] : fields)
          list.push_back({{"field", field}, {"mask", to_string(mask)}});
      }
    for (const auto& [action, purposes] : ra.store_wide)
      role["store_wide"][std::string(to_string(action))] = purposes;
    for (const Rule* r : ra.forbids)
      role["forbids"].push_back(forbid_text(*r));
    doc["roles"].push_back(std::move(role));
  }
  return doc;
}

std::string manifest_text(const std::string& file, const Manifest& m,
                          const std::vector<RoleAccess>& access) {
  std::ostringstream o;
  o << fmt::format("{}: valid\nstore: {}\n\npurposes\n", file, m.store_name());
  for (const auto& p : m.purposes())
    o << fmt::format("  {:<14} {:<20} {}\n", p.id, to_string(p.basis), p.description);
  o << "\nfields, by category\n";
  for (const Category c : used_categories(m)) {
    o << fmt::format("  {}{}\n", to_string(c),
                     c == Category::sensitive ? " (sealed under each customer's own key)" : "");
    for (const auto& f : m.fields()) {
      if (f.category != c) continue;
      o << fmt::format("    {:<14} {:<6} for {}{}\n", f.name, to_string(f.type), join(f.purposes),
                       field_flags(f).empty() ? "" : "; " + join(field_flags(f)));
      o << fmt::format("    {:<14} retention: {}\n", "", retention_text(m, f));
    }
  }
  o << "\nroles\n";
  for (const auto& r : m.roles())
    o << fmt::format("  {:<14} {}\n", r.id, r.description);
  o << "\nwho may see what (as the access policy decides; [mask] how values are shown)\n";
  for (const auto& ra : access) {
    o << fmt::format("  {}\n", ra.role->id);
    if (ra.purposes.empty() && ra.store_wide.empty()) o << "    nothing\n";
    for (const auto& pa : ra.purposes) {
      const Purpose* p = m.purpose(pa.purpose);
      o << fmt::format("    for {} ({}{}):\n", pa.purpose, to_string(p->basis),
                       p->basis == LegalBasis::consent ? "; only customers who consented" : "");
      for (const auto& [action, fields] : pa.actions)
        o << fmt::format("      {:<8} {}\n", to_string(action),
                         join_by(fields, [](const auto& f) { return masked(f); }));
    }
    for (const auto& [action, purposes] : ra.store_wide)
      o << fmt::format("    store-wide: {} (for {})\n", to_string(action), join(purposes));
    for (const Rule* r : ra.forbids)
      o << fmt::format("    forbidden by {}\n", forbid_text(*r));
  }
  return o.str();
}

// --- report processing: a record of processing activities (GDPR art. 30, UU PDP).

std::string processing_markdown(const Manifest& m, const std::vector<RoleAccess>& access,
                                const std::string& source) {
  std::ostringstream o;
  o << fmt::format("# Record of processing activities: {}\n\n", m.store_name());
  o << fmt::format(
      "Generated by amanah {} from the privacy manifest ({}) on {}. It follows GDPR article 30(1) "
      "and the processing records of Indonesia's Personal Data Protection Law (UU PDP, Law "
      "27/2022). The manifest is what the store enforces; the parts it does not hold are marked "
      "*to complete*.\n\n",
      AMANAH_VERSION_STRING, source, iso_time(std::chrono::system_clock::now()));
  o << "## Controller\n\n";
  o << fmt::format("- Processing system: {} (an amanah store)\n", m.store_name());
  o << "- Controller's name and contact, representative, data-protection officer: *to "
       "complete*\n\n";
  o << "## Purposes of processing\n\n| Purpose | Legal basis | Description |\n|---|---|---|\n";
  for (const auto& p : m.purposes())
    o << fmt::format("| {} | {} | {} |\n", p.id, to_string(p.basis), p.description);
  o << "\n## Categories of personal data\n\n";
  for (const Category c : used_categories(m)) {
    o << fmt::format(
        "### {}\n\n| Field | Type | Purposes | Retention | Protection |\n"
        "|---|---|---|---|---|\n",
        to_string(c));
    for (const auto& f : m.fields())
      if (f.category == c)
        o << fmt::format("| {} | {} | {} | {} | {} |\n", f.name, to_string(f.type),
                         join(f.purposes), retention_text(m, f), join(field_flags(f), "-"));
    o << '\n';
  }
  o << "Data subjects: the controller's customers. *To complete* if others are recorded.\n\n";
  o << "## Recipients\n\nInternal roles with access, as the access policy decides it (default "
       "deny; a field is used only for the purposes it declares):\n\n";
  for (const auto& ra : access) {
    o << fmt::format("- **{}**{}\n", ra.role->id,
                     ra.role->description.empty() ? "" : ": " + ra.role->description);
    for (const auto& pa : ra.purposes)
      for (const auto& [action, fields] : pa.actions)
        o << fmt::format("  - {} for {}: {}\n", to_string(action), pa.purpose,
                         join_by(fields, [](const auto& f) { return masked(f); }));
    for (const auto& [action, purposes] : ra.store_wide)
      o << fmt::format("  - {} (store-wide) for {}\n", to_string(action), join(purposes));
    for (const Rule* r : ra.forbids)
      o << fmt::format("  - never: {}\n", forbid_text(*r));
  }
  o << "\nExternal recipients and transfers to other countries: *to complete*.\n\n";
  o << "## Retention\n\n";
  for (const auto& r : m.retention())
    o << fmt::format("- {}: {}\n", to_string(r.category), rule_text(r));
  for (const auto& f : m.fields())
    if (!f.retention.empty()) o << fmt::format("- field {}: {}\n", f.name, retention_text(m, f));
  o << "- Other data: kept until erased (no period set).\n\n";
  o << "Expired values are erased by the retention sweep; a legal hold keeps them (restricted) "
       "until it ends.\n\n";
  std::vector<std::string> sealed, indexed;
  for (const auto& f : m.fields()) {
    if (f.encrypted()) sealed.push_back(f.name);
    if (f.lookup) indexed.push_back(f.name);
  }
  o << "## Technical and organisational security measures\n\n";
  o << "- Encryption at rest: the whole store (records and keys) is an SQLCipher database "
       "(AES-256, HMAC-checked pages) under a root key that an unlock method (passphrase "
       "through Argon2id, key file, recovery key) unwraps.\n";
  o << fmt::format(
      "- Per-customer keys: {} sealed with AES-256-GCM under the customer's own "
      "key.\n",
      join(sealed, "no field is"));
  o << fmt::format(
      "- Blind indexes: {} searchable through keyed, truncated HMAC indexes, never "
      "by their plain value.\n",
      join(indexed, "no field is"));
  o << "- Access control: every call names who, in which role and for which purpose; the "
       "policy above decides it field by field, and masks what a role may only partly see.\n";
  o << "- Audit log: every access, denial and change is recorded in a tamper-evident hash chain "
       "(names and pseudonyms, never values).\n";
  o << "- Erasure by crypto-shredding: erasing a customer destroys their key, values and index "
       "entries and scrubs the database files, so no copy of the value remains in the store.\n";
  o << "- Organisational measures (training, access reviews, incident response): *to "
       "complete*.\n";
  return o.str();
}

struct ReportArgs {
  std::string dir, manifest, output;
};

int run_report(const Global& g, const ReportArgs& a) {
  if (a.dir.empty() == a.manifest.empty())
    throw Error(ErrorCode::InvalidArgument, "give either a store directory or --manifest FILE");
  std::optional<CustomerStore> store;
  Manifest from_file;
  if (!a.manifest.empty()) {
    from_file = Manifest::from_file(a.manifest);
  } else {
    store.emplace(open_store(g, a.dir));
  }
  const Manifest& m = store ? store->manifest() : from_file;
  const std::string md = processing_markdown(
      m, who_may_see_what(m), a.manifest.empty() ? "the manifest stored in " + a.dir : a.manifest);
  if (a.output.empty()) {
    std::cout << md;
  } else {
    std::ofstream out(a.output, std::ios::trunc);
    out << md;
    out.close();
    if (!out) throw Error(ErrorCode::Io, a.output + ": cannot be written");
    std::cerr << "written to " << a.output << '\n';
  }
  return 0;
}

}  // namespace

void add_manifest_commands(CLI::App& app, Global& g, Status& status) {
  auto init = std::make_shared<InitArgs>();
  CLI::App* cmd = app.add_subcommand(
      "init",
      "Create a store with a privacy manifest; unlocked by a passphrase (asked twice "
      "when prompted) or a key file");
  cmd->add_option("dir", init->dir, "the new store's directory (absent or empty)")->required();
  cmd->add_option("--manifest", init->manifest, "the privacy manifest (TOML)")->required();
  cmd->add_option("--label", init->label, "the first unlock method's label")->capture_default_str();
  cmd->add_option("--argon2-memory-mib", init->memory_mib,
                  "Argon2id memory for the passphrase (default 64)")
      ->check(CLI::Range(19u, 4u * 1024u * 1024u));
  cmd->add_option("--argon2-iterations", init->iterations,
                  "Argon2id passes for the passphrase (default 3)")
      ->check(CLI::Range(2u, 1000u));
  add_key_options(*cmd, g);
  cmd->callback([&g, &status, init] { status = run_init(g, *init); });

  auto file = std::make_shared<std::string>();
  CLI::App* manifest = app.add_subcommand("manifest", "Work with a privacy manifest");
  manifest->require_subcommand(1);
  CLI::App* check = manifest->add_subcommand(
      "check",
      "Validate a manifest and summarize it: purposes, fields by category, roles, and "
      "who may see what");
  check->add_option("file", *file, "the manifest (TOML)")->required();
  check->callback([&g, &status, file] {
    const Manifest m = Manifest::from_file(*file);
    const auto access = who_may_see_what(m);
    emit(g, manifest_json(m, access), manifest_text(*file, m, access));
    status = 0;
  });

  auto rep = std::make_shared<ReportArgs>();
  CLI::App* report = app.add_subcommand("report", "Reports generated from the manifest");
  report->require_subcommand(1);
  CLI::App* processing = report->add_subcommand(
      "processing",
      "A record of processing activities (GDPR art. 30, UU PDP) as Markdown, from "
      "--manifest FILE or a store's manifest");
  processing->add_option("dir", rep->dir, "a store directory (its manifest in force)");
  processing->add_option("--manifest", rep->manifest, "a manifest file instead of a store");
  processing->add_option("-o,--output", rep->output, "write to this file instead of stdout");
  add_key_options(*processing, g);
  processing->callback([&g, &status, rep] { status = run_report(g, *rep); });
}

}  // namespace amanah::cli
