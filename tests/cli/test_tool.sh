# The tool as a whole: help, version, usage errors and the exit-status table.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

expect 0 "help" -- --help
out_has "help lists subcommands" "import"
expect 0 "version" -- --version
expect "$EXIT_USAGE" "no subcommand" --
expect "$EXIT_USAGE" "unknown subcommand" -- frobnicate
finish
