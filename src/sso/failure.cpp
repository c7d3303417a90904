#include "sso/failure.hpp"

#include <boost/throw_exception.hpp>

#include <stdexcept>

namespace eelchat::sso {

[[noreturn]] void throw_exception_from_error(const failure& f, const boost::source_location& loc) {
    boost::throw_exception(std::runtime_error("single sign-on: " + f.detail), loc);
}

} // namespace eelchat::sso
