// Who may read, edit, delete and manage in a conversation (conversations/permissions.hpp).
#include "conversations/permissions.hpp"

#include <catch2/catch.hpp>

using namespace eelchat;
using conversations::reader;

namespace {

db::message_row message_by(std::optional<std::string> membership, bool system = false, bool deleted = false) {
    db::message_row m;
    m.membership_id = std::move(membership);
    m.is_system = system;
    m.deleted = deleted;
    return m;
}

} // namespace

TEST_CASE("reading: public channels for members, private and direct ones for their own members",
          "[unit][authz]") {
    const reader outsider{false, false, false}, member{true, false, false}, admin{true, true, false},
        insider{true, false, true};
    CHECK_FALSE(conversations::may_read("public", outsider));
    CHECK(conversations::may_read("public", member));
    for (auto kind : {"private", "direct"}) {
        CHECK_FALSE(conversations::may_read(kind, member));
        CHECK_FALSE(conversations::may_read(kind, admin)); // admins do not read others' private talk
        CHECK(conversations::may_read(kind, insider));
        CHECK_FALSE(conversations::may_read(kind, reader{false, false, true})); // removed from the community
    }
}

TEST_CASE("editing and deleting messages", "[unit][authz]") {
    const auto mine = message_by("m1"), theirs = message_by("m2"), system = message_by(std::nullopt, true),
               gone = message_by("m1", false, true), former = message_by(std::nullopt);
    CHECK(conversations::may_edit(mine, "m1"));
    CHECK_FALSE(conversations::may_edit(theirs, "m1"));
    CHECK_FALSE(conversations::may_edit(system, "m1"));
    CHECK_FALSE(conversations::may_edit(gone, "m1"));
    CHECK_FALSE(conversations::may_edit(former, "m1"));
    CHECK(conversations::may_delete(mine, "m1", false));
    CHECK_FALSE(conversations::may_delete(theirs, "m1", false));
    CHECK(conversations::may_delete(theirs, "m1", true));
    CHECK(conversations::may_delete(system, "m1", true));
    CHECK_FALSE(conversations::may_delete(system, "m1", false));
    CHECK_FALSE(conversations::may_delete(gone, "m1", true));
}

TEST_CASE("managing channels", "[unit][authz]") {
    const reader member{true, false, false}, admin{true, true, false}, admin_inside{true, true, true};
    CHECK(conversations::may_rename("public", admin));
    CHECK_FALSE(conversations::may_rename("public", member));
    CHECK_FALSE(conversations::may_rename("private", admin));
    CHECK(conversations::may_rename("private", admin_inside));
    CHECK_FALSE(conversations::may_rename("direct", admin_inside));
    CHECK(conversations::may_delete_channel("public", admin));
    CHECK_FALSE(conversations::may_delete_channel("direct", admin_inside));
    CHECK(conversations::may_choose_members("private", admin_inside));
    CHECK_FALSE(conversations::may_choose_members("private", admin));
    CHECK_FALSE(conversations::may_choose_members("public", admin));
    CHECK_FALSE(conversations::may_choose_members("private", reader{true, false, true}));
}
