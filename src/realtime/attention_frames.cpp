#include "realtime/attention_frames.hpp"

#include "core/crypto.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace eelchat::realtime {

namespace json = boost::json;

namespace {

net::ws_frame frame_of(const json::object& o) {
    return net::make_text_frame(json::serialize(o));
}

} // namespace

std::optional<net::ws_frame> new_messages_frame(const std::string& channel_id,
                                                const std::vector<db::event_row>& events) {
    json::array items;
    for (const auto& e : events) {
        if (e.kind != db::event_kind::posted || !e.message || e.message->deleted) continue;
        const auto& m = *e.message;
        json::array mentioned;
        for (const auto& [id, _] : m.mentions)
            mentioned.emplace_back(id);
        json::array item{e.seq, m.membership_id.value_or(""), std::move(mentioned), m.mention_channel,
                         m.parent_id.has_value()};
        items.emplace_back(std::move(item));
    }
    if (items.empty()) return std::nullopt;
    json::object o{{"t", "m"}, {"c", channel_id}};
    o["i"] = std::move(items);
    return frame_of(o);
}

net::ws_frame read_frame(const db::unread_row& c) {
    return frame_of({{"t", "r"},
                     {"c", c.channel_id},
                     {"s", c.read_seq},
                     {"l", c.last_seq},
                     {"n", c.unread},
                     {"m", c.mentions}});
}

net::ws_frame counts_frame(const std::vector<db::unread_row>& counts) {
    json::array list;
    for (const auto& c : counts)
        list.emplace_back(json::array{c.channel_id, c.last_seq, c.read_seq, c.unread, c.mentions});
    json::object o{{"t", "u"}};
    o["c"] = std::move(list);
    return frame_of(o);
}

net::ws_frame typing_frame(const std::string& channel_id, const std::string& membership_id,
                           const std::string& name) {
    return frame_of({{"t", "t"}, {"c", channel_id}, {"u", membership_id}, {"n", name}});
}

net::ws_frame presence_frame(const std::string& user_id, bool online) {
    return frame_of({{"t", "p"}, {"u", user_id}, {"on", online}});
}

net::ws_frame online_frame(const std::vector<std::string>& user_ids) {
    json::array list;
    for (const auto& u : user_ids)
        list.emplace_back(u);
    json::object o{{"t", "o"}};
    o["u"] = std::move(list);
    return frame_of(o);
}

stream_request parse_stream_request(std::string_view text) {
    stream_request out;
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (ec || !v.is_object()) return out;
    const auto& o = v.as_object();
    const auto* t = o.if_contains("t");
    if (!t || !t->is_string()) return out;
    const std::string_view kind = t->as_string();
    auto channel = [&]() -> bool {
        const auto* c = o.if_contains("c");
        if (!c || !c->is_string()) return false;
        auto id = crypto::normalize_uuid(std::string_view(c->as_string()));
        if (!id) return false;
        out.channel_id = std::move(*id);
        return true;
    };
    if (kind == "read") {
        const auto* s = o.if_contains("s");
        if (!channel() || !s || !s->is_int64() || s->as_int64() < 0) return out;
        out.seq = s->as_int64();
        out.what = stream_request::kind::read;
    } else if (kind == "typing") {
        if (!channel()) return out;
        out.what = stream_request::kind::typing;
    } else if (kind == "visible") {
        const auto* b = o.if_contains("v");
        if (!b || !b->is_bool()) return out;
        out.visible = b->as_bool();
        out.what = stream_request::kind::visible;
    }
    return out;
}

} // namespace eelchat::realtime
