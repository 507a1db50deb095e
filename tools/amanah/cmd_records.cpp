// amanah CLI — one customer at a time: add, get, find, export, rectify, restrict, erase, consent,
// and the retention sweep. Values are read from stdin or a file, never from the command line
// (which ends up in shell history and the process list); `find` accepts one there for
// convenience, with --value-from as the safer way.
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "common.hpp"
#include "store_support.hpp"

namespace amanah::cli {
namespace {

struct RecordArgs {
  std::string dir, id, fields, value, value_from, field, output, reason, from, purpose, source,
      notice_version, method = "checkbox", language, expires, ledger, input = "-";
  bool lift = false, dry_run = false, without_ledger = false;
};

ErasureReason parse_reason(const std::string& text) {
  for (const auto r :
       {ErasureReason::subject_request, ErasureReason::consent_withdrawn, ErasureReason::objection,
        ErasureReason::unlawful, ErasureReason::legal_order, ErasureReason::retention_expired})
    if (to_string(r) == text) return r;
  throw Error(ErrorCode::InvalidArgument,
              "unknown erasure reason: one of subject_request, consent_withdrawn, objection, "
              "unlawful, legal_order, retention_expired");
}

ConsentMethod parse_method(const std::string& text) {
  for (const auto m : {ConsentMethod::checkbox, ConsentMethod::signature, ConsentMethod::verbal,
                       ConsentMethod::imported, ConsentMethod::other})
    if (to_string(m) == text) return m;
  throw Error(ErrorCode::InvalidArgument,
              "unknown consent method: one of checkbox, signature, verbal, imported, other");
}

// One line of stdin or a file (find --value-from): the value, without its newline.
std::string read_value(const std::string& source) {
  std::string line;
  if (source == "-") {
    std::getline(std::cin, line);
  } else {
    std::ifstream in(source);
    if (!in) throw Error(ErrorCode::NotFound, "cannot read " + source);
    std::getline(in, line);
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

nlohmann::json receipt_json(const ErasureReceipt& r) {
  nlohmann::json held = nlohmann::json::array();
  for (const auto& h : r.held)
    held.push_back({{"field", h.field},
                    {"hold", h.hold},
                    {"basis", to_string(h.basis)},
                    {"until", iso_time(h.until)}});
  return {{"subject", r.subject},
          {"at", iso_time(r.at)},
          {"reason", to_string(r.reason)},
          {"erased_fields", r.erased_fields},
          {"consents_erased", r.consents_erased},
          {"key_destroyed", r.key_destroyed},
          {"held", held},
          {"scrubbed", r.scrubbed},
          {"complete", r.complete()}};
}

std::string receipt_text(const ErasureReceipt& r) {
  std::ostringstream t;
  t << (r.complete() ? "erased" : "erased, except what a legal hold keeps") << "\n"
    << "  customer pseudonym: " << r.subject << "\n"
    << "  at: " << iso_time(r.at) << "\n"
    << "  reason: " << to_string(r.reason) << "\n"
    << "  erased fields: " << (r.erased_fields.empty() ? "(none)" : join(r.erased_fields)) << "\n"
    << "  consent events erased: " << r.consents_erased << "\n"
    << "  customer key destroyed: " << (r.key_destroyed ? "yes" : "no (held fields need it)")
    << "\n";
  for (const auto& h : r.held)
    t << "  held: " << h.field << " until " << iso_time(h.until) << " (" << h.hold << ", "
      << to_string(h.basis) << "; restricted meanwhile, erased by sweep after)\n";
  if (!r.scrubbed)
    t << "  note: a reader kept a write-ahead log; it is emptied at the next close\n";
  return t.str();
}

nlohmann::json event_json(const ConsentEvent& e) {
  nlohmann::json j = {{"id", e.id},
                      {"purpose", e.purpose},
                      {"kind", e.kind == ConsentEventKind::grant ? "grant" : "withdraw"},
                      {"at", iso_time(e.at)},
                      {"actor", e.actor},
                      {"source", e.evidence.source}};
  if (e.kind == ConsentEventKind::grant) {
    j["notice_version"] = e.evidence.notice_version;
    j["method"] = to_string(e.evidence.method);
    if (!e.evidence.language.empty()) j["language"] = e.evidence.language;
    if (e.evidence.expires) j["expires"] = iso_time(*e.evidence.expires);
    if (e.evidence.guardian) j["guardian"] = true;  // the guardian's name is personal data
  }
  return j;
}

std::string event_text(const ConsentEvent& e) {
  std::ostringstream t;
  t << "  " << iso_time(e.at) << "  "
    << (e.kind == ConsentEventKind::grant ? "grant   " : "withdraw") << "  " << e.purpose << "  by "
    << e.actor << "  via " << e.evidence.source;
  if (e.kind == ConsentEventKind::grant) {
    t << "  notice " << e.evidence.notice_version << "  " << to_string(e.evidence.method);
    if (!e.evidence.language.empty()) t << "  lang " << e.evidence.language;
    if (e.evidence.expires) t << "  expires " << iso_time(*e.evidence.expires);
  }
  return t.str();
}

void add_consent_commands(CLI::App& app, Global& g, Status& status,
                          const std::shared_ptr<RecordArgs>& a) {
  auto* consent = app.add_subcommand("consent", "a customer's consents: grant, withdraw, show");
  consent->require_subcommand(1);

  auto* grant = consent->add_subcommand("grant", "record a customer's consent to one purpose");
  grant->add_option("DIR", a->dir, "the store")->required();
  grant->add_option("ID", a->id, "the customer id")->required();
  grant->add_option("PURPOSE", a->purpose, "a purpose whose basis is consent")->required();
  grant->add_option("--source", a->source, "the channel, e.g. signup-form")->required();
  grant->add_option("--notice-version", a->notice_version, "the privacy notice shown")->required();
  grant->add_option("--method", a->method,
                    "checkbox (default), signature, verbal, imported or other");
  grant->add_option("--language", a->language, "BCP 47 tag of the notice shown, e.g. id");
  grant->add_option("--expires", a->expires, "when the consent lapses (YYYY-MM-DD[THH:MM:SSZ])");
  add_context_options(*grant, g);
  add_key_options(*grant, g);
  grant->callback([&g, &status, a] {
    const auto id = parse_id(a->id);
    ConsentEvidence ev;
    ev.source = a->source;
    ev.notice_version = a->notice_version;
    ev.language = a->language;
    ev.method = parse_method(a->method);
    if (!a->expires.empty()) ev.expires = parse_time(a->expires);
    const AccessContext ctx = context(g);
    auto store = open_with_ledger(g, a->dir, ledger_path({}));
    const ConsentEvent e = store.consents().grant(ctx, id, a->purpose, ev);
    emit(g, event_json(e), "consent granted\n" + event_text(e));
    status = 0;
  });

  auto* withdraw = consent->add_subcommand("withdraw", "record a withdrawal (effective at once)");
  withdraw->add_option("DIR", a->dir, "the store")->required();
  withdraw->add_option("ID", a->id, "the customer id")->required();
  withdraw->add_option("PURPOSE", a->purpose, "the purpose")->required();
  withdraw->add_option("--source", a->source, "the channel, e.g. call-centre")->required();
  add_context_options(*withdraw, g);
  add_key_options(*withdraw, g);
  withdraw->callback([&g, &status, a] {
    const auto id = parse_id(a->id);
    const AccessContext ctx = context(g);
    auto store = open_with_ledger(g, a->dir, ledger_path({}));
    const ConsentEvent e = store.consents().withdraw(ctx, id, a->purpose, a->source);
    emit(g, event_json(e), "consent withdrawn\n" + event_text(e));
    status = 0;
  });

  auto* show = consent->add_subcommand(
      "show", "a customer's consent history, and the state of each consent purpose now");
  show->add_option("DIR", a->dir, "the store")->required();
  show->add_option("ID", a->id, "the customer id")->required();
  add_key_options(*show, g);
  show->callback([&g, &status, a] {
    const auto id = parse_id(a->id);
    auto store = open_with_ledger(g, a->dir, ledger_path({}));
    const auto history = store.consents().history(id);
    nlohmann::json states = nlohmann::json::object();
    std::string text = "consents of " + id.str() + "\n";
    for (const auto& p : store.manifest().purposes()) {
      if (p.basis != LegalBasis::consent) continue;
      const auto state = to_string(store.consents().state(id, p.id));
      states[p.id] = state;
      text += "  " + p.id + ": " + std::string(state) + "\n";
    }
    nlohmann::json events = nlohmann::json::array();
    text += history.empty() ? "history: (none)\n" : "history:\n";
    for (const auto& e : history) {
      events.push_back(event_json(e));
      text += event_text(e) + "\n";
    }
    emit(g, {{"id", id.str()}, {"state", states}, {"history", events}}, text);
    status = 0;
  });
}

}  // namespace

void add_record_commands(CLI::App& app, Global& g, Status& status) {
  auto a = std::make_shared<RecordArgs>();

  auto* add = app.add_subcommand(
      "add", "insert one customer from field=value lines (stdin, or --from FILE); prints the id");
  add->add_option("DIR", a->dir, "the store")->required();
  add->add_option("--from", a->input,
                  "where the field=value lines come from: - (stdin, the default) or a file. "
                  "Values never go on the command line: it is kept in shell history");
  add_context_options(*add, g);
  add_key_options(*add, g);
  add->callback([&g, &status, a] {
    FieldValues values;
    for (auto& f : read_field_lines_from(a->input))
      values.emplace(std::move(f.field), std::move(f.value));
    if (values.empty()) throw Error(ErrorCode::InvalidArgument, "no field=value line given");
    const AccessContext ctx = context(g);
    auto store = open_with_ledger(g, a->dir, ledger_path({}));
    std::vector<Warning> warnings;
    const CustomerId id = store.insert(ctx, values, &warnings);
    for (const auto& w : warnings)
      std::cerr << "amanah: warning: " << w.field << ": " << w.message << '\n';
    emit(g, {{"id", id.str()}}, id.str());
    status = 0;
  });

  auto* get = app.add_subcommand("get", "a customer's fields, through the caller's masks");
  get->add_option("DIR", a->dir, "the store")->required();
  get->add_option("ID", a->id, "the customer id")->required();
  get->add_option("--fields", a->fields, "only these fields, comma-separated");
  add_context_options(*get, g);
  add_key_options(*get, g);
  get->callback([&g, &status, a] {
    const auto id = parse_id(a->id);
    const AccessContext ctx = context(g);
    auto store = open_with_ledger(g, a->dir, ledger_path({}));
    const Record r = store.get(ctx, id, split_list(a->fields));
    nlohmann::json fields = nlohmann::json::object();
    std::string text = "id: " + r.id.str() + "\n";
    for (const auto& [k, v] : r.fields) {
      fields[k] = v;
      text += k + ": " + v + "\n";
    }
    emit(g, {{"id", r.id.str()}, {"fields", fields}}, text);
    status = 0;
  });

  auto* find = app.add_subcommand(
      "find", "customers whose lookup FIELD equals a value (after normalization)");
  find->add_option("DIR", a->dir, "the store")->required();
  find->add_option("FIELD", a->field, "a field declared with lookup = true")->required();
  auto* value_opt =
      find->add_option("VALUE", a->value,
                       "the value; on the command line it lands in shell history, so prefer "
                       "--value-from");
  find->add_option("--value-from", a->value_from,
                   "read the value from the first line of - (stdin) or a file")
      ->excludes(value_opt);
  add_context_options(*find, g);
  add_key_options(*find, g);
  find->callback([&g, &status, a, value_opt] {
    if (value_opt->count() == 0 && a->value_from.empty())
      throw Error(ErrorCode::InvalidArgument, "give the value: VALUE or --value-from -");
    const std::string value = a->value_from.empty() ? a->value : read_value(a->value_from);
    const AccessContext ctx = context(g);
    auto store = open_with_ledger(g, a->dir, ledger_path({}));
    const auto ids = store.find(ctx, a->field, value);
    nlohmann::json list = nlohmann::json::array();
    std::string text;
    for (const auto& id : ids) {
      list.push_back(id.str());
      text += id.str() + "\n";
    }
    emit(g, {{"field", a->field}, {"ids", list}},
         text.empty() ? std::string("no customer found") : text);
    status = 0;
  });

  auto* exp = app.add_subcommand(
      "export", "the customer's own copy of their data (access request): one JSON document");
  exp->add_option("DIR", a->dir, "the store")->required();
  exp->add_option("ID", a->id, "the customer id")->required();
  exp->add_option("--output", a->output, "write it to this new file (mode 0600) instead");
  add_context_options(*exp, g);
  add_key_options(*exp, g);
  exp->callback([&g, &status, a] {
    const auto id = parse_id(a->id);
    if (!a->output.empty() && std::filesystem::exists(a->output))
      throw Error(ErrorCode::AlreadyExists, a->output + " exists");
    const AccessContext ctx = context(g);
    auto store = open_with_ledger(g, a->dir, ledger_path({}));
    const std::string doc = store.export_subject(ctx, id);
    if (a->output.empty()) {
      std::cout << doc << '\n';
    } else {
      write_private_file(a->output, std::as_bytes(std::span(doc.data(), doc.size())));
      emit(g, {{"id", id.str()}, {"output", a->output}},
           "wrote the export of " + id.str() + " to " + a->output);
    }
    status = 0;
  });

  auto* rectify =
      app.add_subcommand("rectify",
                         "correct a customer's fields at their request: field=value lines on stdin "
                         "(\"field=\" clears one)");
  rectify->add_option("DIR", a->dir, "the store")->required();
  rectify->add_option("ID", a->id, "the customer id")->required();
  rectify->add_option("--reason", a->reason, "a short name, e.g. customer_request")->required();
  rectify->add_option("--from", a->input, "- (stdin, the default) or a file");
  add_context_options(*rectify, g);
  add_key_options(*rectify, g);
  rectify->callback([&g, &status, a] {
    const auto id = parse_id(a->id);
    FieldChanges changes;
    std::vector<std::string> names;
    for (auto& f : read_field_lines_from(a->input)) {
      names.push_back(f.field);
      if (f.value.empty())
        changes.emplace(std::move(f.field), std::nullopt);
      else
        changes.emplace(std::move(f.field), std::move(f.value));
    }
    if (changes.empty()) throw Error(ErrorCode::InvalidArgument, "no field=value line given");
    const AccessContext ctx = context(g);
    auto store = open_with_ledger(g, a->dir, ledger_path({}));
    store.rectify(ctx, id, changes, a->reason);
    emit(g, {{"id", id.str()}, {"rectified", names}, {"reason", a->reason}},
         "rectified " + id.str() + ": " + join(names));
    status = 0;
  });

  auto* restrict = app.add_subcommand(
      "restrict", "restrict a customer's processing (--reason R), or lift it (--lift)");
  restrict->add_option("DIR", a->dir, "the store")->required();
  restrict->add_option("ID", a->id, "the customer id")->required();
  auto* reason_opt = restrict->add_option("--reason", a->reason, "a short name, e.g. disputed");
  restrict->add_flag("--lift", a->lift, "lift the restriction")->excludes(reason_opt);
  add_context_options(*restrict, g);
  add_key_options(*restrict, g);
  restrict->callback([&g, &status, a] {
    const auto id = parse_id(a->id);
    if (!a->lift && a->reason.empty())
      throw Error(ErrorCode::InvalidArgument, "give --reason R to restrict, or --lift");
    const AccessContext ctx = context(g);
    auto store = open_with_ledger(g, a->dir, ledger_path({}));
    if (a->lift) {
      store.lift_restriction(ctx, id);
      emit(g, {{"id", id.str()}, {"restricted", false}}, "lifted the restriction of " + id.str());
    } else {
      store.restrict(ctx, id, a->reason);
      emit(g, {{"id", id.str()}, {"restricted", true}, {"reason", a->reason}},
           "restricted " + id.str() + " (" + a->reason + ")");
    }
    status = 0;
  });

  auto* erase = app.add_subcommand(
      "erase", "erase a customer for good (except what a legal hold keeps); prints the receipt");
  erase->add_option("DIR", a->dir, "the store")->required();
  erase->add_option("ID", a->id, "the customer id")->required();
  erase
      ->add_option("--reason", a->reason,
                   "subject_request, consent_withdrawn, objection, unlawful, legal_order or "
                   "retention_expired")
      ->required();
  erase->add_option("--ledger", a->ledger, "the erasure ledger file (or AMANAH_LEDGER)");
  erase->add_flag("--without-ledger", a->without_ledger,
                  "erase without a ledger (it gets the erasure at the next open with one)");
  add_context_options(*erase, g);
  add_key_options(*erase, g);
  erase->callback([&g, &status, a] {
    const auto id = parse_id(a->id);
    const ErasureReason reason = parse_reason(a->reason);
    const std::string ledger = require_ledger(a->ledger, a->without_ledger);
    const AccessContext ctx = context(g);
    auto store = open_with_ledger(g, a->dir, ledger);
    const ErasureReceipt r = store.erase(ctx, id, reason);
    nlohmann::json doc = receipt_json(r);
    doc["id"] = id.str();
    emit(g, doc, "customer " + id.str() + " " + receipt_text(r));
    status = 0;
  });

  auto* sweep = app.add_subcommand(
      "sweep", "erase what retention rules say has expired (--dry-run: only report it)");
  sweep->add_option("DIR", a->dir, "the store")->required();
  sweep->add_flag("--dry-run", a->dry_run, "report what would be erased; change nothing");
  sweep->add_option("--ledger", a->ledger, "the erasure ledger file (or AMANAH_LEDGER)");
  sweep->add_flag("--without-ledger", a->without_ledger, "sweep without a ledger");
  add_context_options(*sweep, g);
  add_key_options(*sweep, g);
  sweep->callback([&g, &status, a] {
    const std::string ledger =
        a->dry_run ? ledger_path(a->ledger) : require_ledger(a->ledger, a->without_ledger);
    const AccessContext ctx = context(g);
    auto store = open_with_ledger(g, a->dir, ledger);
    const SweepReport r = store.retention().sweep(ctx, SweepOptions{.dry_run = a->dry_run});
    nlohmann::json lines = nlohmann::json::array();
    std::ostringstream t;
    t << (r.dry_run ? "sweep (dry run: nothing changed)" : "sweep") << " at " << iso_time(r.at)
      << "\n  customers checked: " << r.customers_checked
      << "\n  customers erased whole: " << r.customers_erased
      << "\n  values held back by a hold: " << r.values_held_back << "\n";
    for (const auto& l : r.lines) {
      lines.push_back({{"rule", l.rule}, {"field", l.field}, {"values", l.values}});
      t << "  " << l.rule << ": " << l.field << ": " << l.values << " value(s)\n";
    }
    emit(g,
         {{"at", iso_time(r.at)},
          {"dry_run", r.dry_run},
          {"customers_checked", r.customers_checked},
          {"customers_erased", r.customers_erased},
          {"values_held_back", r.values_held_back},
          {"lines", lines},
          {"subjects", r.subjects}},
         t.str());
    status = 0;
  });

  add_consent_commands(app, g, status, a);
}

}  // namespace amanah::cli
