#include "app/service_manager.hpp"

#include <systemd/sd-daemon.h>

#include <cstdint>
#include <string>

namespace eelchat::service_manager {

namespace {

void notify(std::string_view state, std::string_view status) {
    std::string msg(state);
    if (!status.empty()) {
        if (!msg.empty()) msg += '\n';
        msg += "STATUS=";
        msg += status;
    }
    // unset_environment = 0: worker processes are not forked, and a restart in place keeps working.
    (void)sd_notify(0, msg.c_str());
}

} // namespace

void ready(std::string_view s) {
    notify("READY=1", s);
}

void stopping(std::string_view s) {
    notify("STOPPING=1", s);
}

void status(std::string_view s) {
    notify("", s);
}

void watchdog_ping() {
    notify("WATCHDOG=1", "");
}

std::optional<std::chrono::microseconds> watchdog_interval() {
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
    return std::chrono::microseconds(usec / 2);
}

} // namespace eelchat::service_manager
