// amanah CLI — import: customers from a CSV file (import.hpp does the work).
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <set>

#include <fmt/format.h>

#include "common.hpp"
#include "import.hpp"

namespace amanah::cli {

namespace {

struct ImportArgs {
  std::string dir, file, map, rejects, delimiter;
  bool skip_bad = false, dry_run = false;
  std::size_t batch = 5000;
  std::vector<std::string> inputs;  // --input FIELD.OPTION=VALUE
};

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// "Nama Lengkap=full_name,No HP=phone" (a field name never holds '=').
std::vector<std::pair<std::string, std::string>> parse_map(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t at = 0;
  while (at <= text.size() && !text.empty()) {
    const std::size_t comma = std::min(text.find(',', at), text.size());
    const std::string item = text.substr(at, comma - at);
    const std::size_t eq = item.rfind('=');
    if (eq == std::string::npos || trim(item.substr(0, eq)).empty() ||
        trim(item.substr(eq + 1)).empty())
      throw Error(ErrorCode::InvalidArgument, "--map takes column=field pairs separated by ','");
    out.emplace_back(trim(item.substr(0, eq)), trim(item.substr(eq + 1)));
    at = comma + 1;
  }
  return out;
}

// "45000" -> "45,000"
std::string grouped(std::size_t n) {
  std::string s = std::to_string(n);
  for (auto i = static_cast<std::ptrdiff_t>(s.size()) - 3; i > 0; i -= 3)
    s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

std::string problem_line(const ImportProblem& p) {
  return p.field.empty() ? fmt::format("line {}: {}: {}", p.line, to_string(p.code), p.message)
                         : fmt::format("line {}: field {}: {}: {}", p.line, p.field,
                                       to_string(p.code), p.message);
}

// "--input birth_date.date=MM/DD/YYYY": one input-format option of one field for this import.
// The library checks the field and whether the option suits its type (InvalidArgument).
InputFormats parse_inputs(const std::vector<std::string>& inputs) {
  InputFormats out;
  for (const std::string& in : inputs) {
    const auto dot = in.find('.'), eq = in.find('=');
    if (dot == std::string::npos || eq == std::string::npos || dot == 0 || eq < dot)
      throw Error(
          ErrorCode::InvalidArgument,
          "--input is FIELD.OPTION=VALUE (options: numbers, currency, date, phone_country)");
    const std::string field = in.substr(0, dot), option = in.substr(dot + 1, eq - dot - 1),
                      value = in.substr(eq + 1);
    InputFormat& f = out[field];
    if (option == "numbers") {
      if (value == "international")
        f.numbers = NumberStyle::international;
      else if (value == "indonesian")
        f.numbers = NumberStyle::indonesian;
      else
        throw Error(ErrorCode::InvalidArgument,
                    "--input FIELD.numbers is international or indonesian");
    } else if (option == "currency") {
      f.currency = value;
    } else if (option == "date") {
      f.date = value;
    } else if (option == "phone_country") {
      f.phone_country = value;
    } else {
      throw Error(ErrorCode::InvalidArgument,
                  "--input options are numbers, currency, date and phone_country");
    }
  }
  return out;
}

int run_import(const Global& g, const ImportArgs& a) {
  ImportOptions opt;
  opt.map = a.map.empty() ? decltype(opt.map){} : parse_map(a.map);
  opt.skip_bad = a.skip_bad;
  opt.dry_run = a.dry_run;
  opt.batch = a.batch;
  opt.formats = parse_inputs(a.inputs);
  if (a.delimiter == "tab" || a.delimiter == "\\t") {
    opt.delimiter = '\t';
  } else if (!a.delimiter.empty()) {
    if (a.delimiter.size() != 1 || a.delimiter == "\"")
      throw Error(ErrorCode::InvalidArgument, "--delimiter is one character (or \"tab\")");
    opt.delimiter = a.delimiter[0];
  }
  const AccessContext ctx = context(g);
  CustomerStore store = open_store(g, a.dir);

  std::ofstream rejects;
  const std::string rejects_path = a.rejects.empty() ? a.file + ".rejects.csv" : a.rejects;
  if (a.skip_bad) {
    rejects.open(rejects_path, std::ios::trunc);
    if (!rejects) throw Error(ErrorCode::Io, rejects_path + ": cannot be written");
    rejects << "line,field,code,message\n";
  }
  const bool progress = !g.quiet && isatty(STDERR_FILENO) == 1;
  nlohmann::json problems = nlohmann::json::array(), warnings = nlohmann::json::array();
  ImportSinks sinks;
  sinks.problem = [&](const ImportProblem& p) {
    if (a.skip_bad) {
      rejects << p.line << ',' << p.field << ',' << to_string(p.code) << ',' << csv_cell(p.message)
              << '\n';
    } else {
      if (progress) std::cerr << "\r\033[K";
      std::cerr << problem_line(p) << '\n';
    }
    if (g.json)
      problems.push_back({{"line", p.line},
                          {"field", p.field},
                          {"code", std::string(to_string(p.code))},
                          {"message", p.message}});
  };
  sinks.warning = [&](const ImportWarning& w) {
    if (progress) std::cerr << "\r\033[K";
    std::cerr << fmt::format("line {}: field {}: warning: {}\n", w.line, w.field, w.message);
    if (g.json) warnings.push_back({{"line", w.line}, {"field", w.field}, {"message", w.message}});
  };
  if (progress)
    sinks.progress = [](const char* phase, std::size_t done, std::size_t total) {
      if (std::string_view(phase) == "checked")
        std::cerr << fmt::format("\rchecked {} rows ({}%)\033[K", grouped(done), total);
      else
        std::cerr << fmt::format("\rimported {} / ~{} rows\033[K", grouped(done), grouped(total));
      std::cerr.flush();
    };

  const ImportResult r = import_csv(store, ctx, a.file, opt, sinks);
  if (progress) std::cerr << "\r\033[K";
  if (a.skip_bad) {
    rejects.close();
    if (!rejects) throw Error(ErrorCode::Io, rejects_path + ": writing failed");
  }

  nlohmann::json doc;
  doc["file"] = a.file;
  doc["dry_run"] = a.dry_run;
  doc["mode"] = a.skip_bad ? "skip-bad" : "all-or-nothing";
  doc["delimiter"] = std::string(1, r.delimiter);
  doc["columns"] = nlohmann::json::object();
  for (const auto& [column, field] : r.columns)
    doc["columns"][column] = field;
  doc["ignored_columns"] = r.ignored_columns;
  doc["rows_read"] = r.rows;
  doc["imported"] = r.imported;
  doc["rejected"] = r.rejected;
  doc["problems_by_code"] = nlohmann::json::object();
  std::string by_code;
  for (const auto& [code, n] : r.problems_by_code) {
    doc["problems_by_code"][std::string(to_string(code))] = n;
    by_code += fmt::format("{}{} {}", by_code.empty() ? "" : ", ", to_string(code), n);
  }
  doc["problems"] = problems;
  doc["warnings"] = r.warnings;
  doc["warning_list"] = warnings;
  if (a.skip_bad) doc["rejects_file"] = rejects_path;

  std::string text;
  if (r.delimiter != ',') text += fmt::format("delimiter: '{}'\n", r.delimiter);
  if (!r.ignored_columns.empty()) {
    std::string names;
    for (const auto& c : r.ignored_columns)
      names += (names.empty() ? "" : ", ") + c;
    text += "ignored columns: " + names + "\n";
  }
  text += fmt::format("rows read: {}\n", grouped(r.rows));
  const bool refused = r.rejected > 0 && !a.skip_bad;
  if (a.dry_run)
    text += fmt::format("dry run: nothing written; {} rows would be imported\n",
                        grouped(refused ? 0 : r.rows - r.rejected));
  else
    text += fmt::format("imported: {}\n", grouped(r.imported));
  if (r.rejected > 0)
    text += fmt::format("rejected: {} rows (problems: {}){}\n", grouped(r.rejected), by_code,
                        a.skip_bad ? "; listed in " + rejects_path
                                   : "; nothing imported (all or nothing: fix them or use "
                                     "--skip-bad)");
  text += fmt::format("warnings: {}\n", grouped(r.warnings));

  // Likely duplicates among the store's customers (email, phone, NIK compared, never shown).
  try {
    const auto groups = store.find_duplicates(ctx);
    std::set<std::string> customers;
    for (const auto& grp : groups)
      for (const auto& id : grp)
        customers.insert(id.str());
    doc["duplicates"] = {
        {"checked", true}, {"groups", groups.size()}, {"customers", customers.size()}};
    text += fmt::format("likely duplicates in the store: {} groups, {} customers\n", groups.size(),
                        customers.size());
  } catch (const Error& e) {
    if (e.code() != ErrorCode::AccessDenied) throw;
    doc["duplicates"] = {{"checked", false}, {"reason", e.message()}};
    text += "duplicates not checked: " + e.message() + "\n";
  }
  doc["store_size"] = store.size();
  text += fmt::format("store size: {} customers\n", grouped(store.size()));
  emit(g, doc, text);
  return refused ? exit_status(ErrorCode::Validation) : 0;
}

}  // namespace

void add_import_command(CLI::App& app, Global& g, Status& status) {
  auto a = std::make_shared<ImportArgs>();
  CLI::App* cmd = app.add_subcommand(
      "import",
      "Import customers from a CSV file (header row first; RFC 4180 quoting, BOM, CRLF, ',' or "
      "';').\nEvery row is checked before anything is written: by default one bad row and "
      "nothing is imported (exit 14), each bad line reported by line, field and code, never its "
      "value. The rows are then written in batches, one transaction each: a kill during writing "
      "leaves the batches committed so far (the progress counts committed rows), never part of "
      "a batch.");
  cmd->add_option("dir", a->dir, "the store directory")->required();
  cmd->add_option("file", a->file, "the CSV file")->required();
  cmd->add_option("--map", a->map,
                  "column=field pairs, comma-separated (default: columns named like fields)");
  cmd->add_flag("--skip-bad", a->skip_bad, "import the good rows; list the bad ones in --rejects");
  cmd->add_option("--rejects", a->rejects,
                  "where --skip-bad lists the bad rows (line,field,code,message; default "
                  "FILE.rejects.csv)");
  cmd->add_flag("--dry-run", a->dry_run, "check every row and report; write nothing");
  cmd->add_option("--delimiter", a->delimiter,
                  "cell delimiter (default: ';' if the header has more ';' than ',')");
  cmd->add_option("--input", a->inputs,
                  "FIELD.OPTION=VALUE, repeatable: how this file writes a field, over the "
                  "manifest's input format (numbers=indonesian|international, currency=IDR, "
                  "date=DD/MM/YYYY, phone_country=62)");
  cmd->add_option("--batch", a->batch, "rows per transaction")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}));
  add_context_options(*cmd, g);
  add_key_options(*cmd, g);
  cmd->callback([&g, &status, a] { status = run_import(g, *a); });
}

}  // namespace amanah::cli
