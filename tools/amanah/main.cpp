// amanah — the operator's command-line tool over the public API (README "For operators").
#include <cstdio>
#include <exception>
#include <iostream>

#include "common.hpp"

int main(int argc, char** argv) {
  using namespace amanah::cli;
  Global g;
  Status status = 0;
  CLI::App app{"amanah: keep customers' personal data encrypted, purposeful, audited and erasable",
               "amanah"};
  app.require_subcommand(1);
  app.fallthrough();  // tool-wide flags may follow the subcommand
  app.add_flag("--json", g.json, "print one JSON document instead of text");
  app.add_flag("-q,--quiet", g.quiet, "no progress display");
  app.set_version_flag("--version", AMANAH_VERSION_STRING);
  add_manifest_commands(app, g, status);
  add_import_command(app, g, status);
  add_record_commands(app, g, status);
  add_audit_commands(app, g, status);
  add_ops_commands(app, g, status);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  } catch (const amanah::Error& e) {
    // Messages name fields, files and operations, never a value.
    std::cerr << "amanah: " << amanah::to_string(e.code()) << ": " << e.message() << '\n';
    if (const auto* denied = dynamic_cast<const amanah::AccessDenied*>(&e))
      std::cerr << denied->decision().explain() << '\n';
    return exit_status(e.code());
  } catch (const std::exception&) {
    std::cerr << "amanah: unexpected failure\n";
    return kExitFailure;
  }
  return status;
}
