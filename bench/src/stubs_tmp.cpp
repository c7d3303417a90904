#include "scenario.hpp"
namespace eelbench {
report run_ingest(bench_context&, bench_db&) {
    return {};
}
report run_connections(bench_context&, bench_db&) {
    return {};
}
report run_history(bench_context&, bench_db&) {
    return {};
}
report run_mixed(bench_context&, bench_db&) {
    return {};
}
} // namespace eelbench
