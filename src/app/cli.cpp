#include "app/cli.hpp"

namespace eelchat {

command_line parse_command_line(std::span<const char* const> args) {
    if (args.empty()) return {command::serve, {}};
    const std::string_view first = args.front();
    command_line out;
    if (first == "--version" || first == "-V" || first == "version")
        out.cmd = command::version;
    else if (first == "--help" || first == "-h" || first == "help")
        out.cmd = command::help;
    else if (first == "migrate")
        out.cmd = command::migrate;
    else if (first == "check-config")
        out.cmd = command::check_config;
    else if (first == "serve")
        out.cmd = command::serve;
    else
        return {command::help, "unknown command \"" + std::string(first) + "\""};
    if (args.size() > 1)
        return {command::help,
                "\"" + std::string(first) + "\" takes no arguments, got \"" + std::string(args[1]) + "\""};
    return out;
}

std::string_view usage_text() {
    return "usage: eelchat [command]\n"
           "\n"
           "  (none), serve   apply the database migrations, then serve until SIGTERM or SIGINT\n"
           "  migrate         apply the database migrations and exit (for deploy pipelines)\n"
           "  check-config    check the environment's settings and exit: 0 when valid, 2 with the\n"
           "                  variable's name when not\n"
           "  --version       print the version and exit\n"
           "  --help          print this text\n"
           "\n"
           "Settings come from the environment (DATABASE_URL, PORT, ...); see the README.\n";
}

} // namespace eelchat
