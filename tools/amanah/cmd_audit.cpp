// amanah CLI — audit subcommands.
#include "common.hpp"

namespace amanah::cli {

void add_audit_commands(CLI::App& app, Global& g, Status& status) {
  (void)app;
  (void)g;
  (void)status;
}

}  // namespace amanah::cli
