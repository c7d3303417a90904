// The binary's command line: `eelchat` serves; the other commands do one job and exit, for deploy
// pipelines and service managers (ExecStartPre=eelchat check-config).
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace eelchat {

enum class command {
    serve,        // no argument: migrate, then serve until SIGTERM
    version,      // --version
    help,         // --help, help
    migrate,      // apply the migrations and exit
    check_config, // validate the environment (and the assets) and exit
};

struct command_line {
    command cmd = command::serve;
    std::string error; // non-empty: the arguments were wrong; print it with the usage and exit 2
};

// Pure: `args` are argv[1..].
command_line parse_command_line(std::span<const char* const> args);

// The usage text printed by --help and after a wrong argument.
std::string_view usage_text();

} // namespace eelchat
