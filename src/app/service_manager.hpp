// Talking to systemd (or any service manager speaking its notify protocol): READY=1 once migrations are
// applied and every worker listens, STOPPING=1 when a signal starts the shutdown, STATUS= lines for
// `systemctl status`, and WATCHDOG=1 pings while every worker thread still answers. Without
// NOTIFY_SOCKET in the environment (not started by systemd) every call does nothing.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace eelchat::service_manager {

void ready(std::string_view status);
void stopping(std::string_view status);
void status(std::string_view status);
void watchdog_ping();

// How often to ping: half the WatchdogSec= the manager asked for (WATCHDOG_USEC), or nullopt when it
// asked for none.
std::optional<std::chrono::microseconds> watchdog_interval();

} // namespace eelchat::service_manager
