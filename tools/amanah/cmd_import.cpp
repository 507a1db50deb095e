// amanah CLI — import subcommands.
#include "common.hpp"

namespace amanah::cli {

void add_import_command(CLI::App& app, Global& g, Status& status) {
  (void)app;
  (void)g;
  (void)status;
}

}  // namespace amanah::cli
