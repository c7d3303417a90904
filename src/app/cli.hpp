// The binary's command line: `eelchat` serves; the other commands do one job and exit, for deploy
// pipelines and service managers (ExecStartPre=eelchat check-config).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace eelchat {

enum class command {
    serve,            // no argument: migrate, then serve until SIGTERM
    version,          // --version
    help,             // --help, help
    migrate,          // apply the migrations and exit
    check_config,     // validate the environment (and the assets) and exit
    export_community, // export COMMUNITY_ID FILE: write the community's archive to FILE
    import_archive,   // import ARCHIVE: create a new community from an archive
};

struct command_line {
    command cmd = command::serve;
    std::vector<std::string> args; // the command's arguments (export: id, file; import: archive)
    std::string error;             // non-empty: the arguments were wrong; print it with the usage and exit 2
};

// Pure: `args` are argv[1..].
command_line parse_command_line(std::span<const char* const> args);

// The usage text printed by --help and after a wrong argument.
std::string_view usage_text();

} // namespace eelchat
