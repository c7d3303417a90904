#include "app/cli.hpp"

namespace eelchat {

command_line parse_command_line(std::span<const char* const> args) {
    if (args.empty()) return {command::serve, {}, {}};
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
    else if (first == "export" || first == "import") {
        const bool is_export = first == "export";
        const std::size_t want = is_export ? 2 : 1;
        if (args.size() - 1 != want)
            return {command::help,
                    {},
                    is_export ? "\"export\" takes a community id and a file: eelchat export COMMUNITY_ID FILE"
                              : "\"import\" takes an archive: eelchat import ARCHIVE"};
        out.cmd = is_export ? command::export_community : command::import_archive;
        for (std::size_t i = 1; i < args.size(); ++i)
            out.args.emplace_back(args[i]);
        return out;
    } else
        return {command::help, {}, "unknown command \"" + std::string(first) + "\""};
    if (args.size() > 1)
        return {command::help,
                {},
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
           "  export COMMUNITY_ID FILE\n"
           "                  write the community's archive (docs/export-format.md) to FILE\n"
           "  import ARCHIVE  create a new community from an archive, in one transaction; prints\n"
           "                  the new community's id and what was imported\n"
           "  --version       print the version and exit\n"
           "  --help          print this text\n"
           "\n"
           "Settings come from the environment (DATABASE_URL, PORT, ...); see the README.\n";
}

} // namespace eelchat
